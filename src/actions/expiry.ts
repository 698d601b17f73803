import { expire, isExpired } from './action.js';
import type { ActionContext } from './context.js';

/**
 * The expiry sweep: marks expired every request whose time ran out unapproved, so its
 * buttons stop inviting clicks. Returns how many it expired; the compare-and-set makes a
 * sweep on several replicas at once expire each request once.
 */
export async function expireDue(ctx: ActionContext): Promise<number> {
  let expired = 0;
  for (const id of await ctx.store.expiredRequestIds(ctx.now())) {
    const action = await ctx.store.getAction(id);
    if (action?.state !== 'requested' || !isExpired(action, ctx.now())) continue;
    if (await ctx.commit(expire(action, ctx.now()), action.version)) expired += 1;
  }
  return expired;
}
