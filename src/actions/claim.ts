/**
 * The claim: exactly one caller moves an approved action to running. A rollback also starts
 * its service's cooldown in the same write; the store refuses while another action holds
 * the cooldown, unless this one was forced.
 */
import { formatDuration } from '../config/duration.js';
import { displayActionId, finish, start, type Action } from './action.js';
import type { ActionContext } from './context.js';

export async function claimRun(ctx: ActionContext, action: Action, cooldownMs: number): Promise<boolean> {
  if (action.kind !== 'rollback') {
    return ctx.commit(start(action, ctx.now()), action.version);
  }
  const holder = await ctx.store.cooldownOf(action.service);
  if (holder && holder !== action.id && !action.forced) {
    const detail = `not run: ${displayActionId(holder)} rolled ${action.service} back less than ${formatDuration(cooldownMs)} ago. Request again with --force if it is still needed.`;
    await ctx.commit(finish(action, { succeeded: false, detail }, ctx.now()), action.version);
    return false;
  }
  const claimed = await ctx.commit(start(action, ctx.now()), action.version, {
    cooldownMs,
    ...(action.forced ? {} : { cooldownMustBeFree: true }),
  });
  if (claimed) return true;
  const now = await ctx.require(action.id);
  // Still approved: the cooldown was taken between our check and the claim.
  if (now.state === 'approved') return claimRun(ctx, now, cooldownMs);
  return false;
}
