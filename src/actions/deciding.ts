/**
 * A person's decision on an action: approve, deny, cancel, or abort a halted rollout. Each
 * is a compare-and-set, so concurrent clicks on several replicas agree on one outcome.
 */
import { abort, ActionRefused, approve, cancel, deny, displayActionId, expire, isExpired, type Action, type ActionOutcome } from './action.js';
import type { ActionContext } from './context.js';

export interface DecidingOptions {
  /** Runs an approved action in the background. */
  start(id: string): void;
}

const MAX_COMMIT_ATTEMPTS = 20;

export class Deciding {
  constructor(
    private readonly ctx: ActionContext,
    private readonly o: DecidingOptions,
  ) {}

  async approve(id: string, userId: string): Promise<Action> {
    const action = await this.decide(id, userId, (current, isApprover) => {
      // An approved action that could not run (automation paused) runs on a later approval.
      if (current.state === 'approved' && isApprover) return undefined;
      return approve(current, { userId, isApprover, now: this.ctx.now() });
    });
    if (action.state === 'approved') this.o.start(id);
    return action;
  }

  deny(id: string, userId: string): Promise<Action> {
    return this.decide(id, userId, (current, isApprover) => deny(current, { userId, isApprover, now: this.ctx.now() }));
  }

  cancel(id: string, userId: string): Promise<Action> {
    return this.decide(id, userId, (current, isApprover) => cancel(current, { userId, isApprover, now: this.ctx.now() }));
  }

  abort(id: string, userId: string): Promise<Action> {
    return this.decide(id, userId, (current, isApprover) => abort(current, { userId, isApprover, now: this.ctx.now() }));
  }

  /** Applies a person's decision; an expired request is marked so and refused. */
  private async decide(
    id: string,
    userId: string,
    decision: (current: Action, isApprover: boolean) => ActionOutcome | undefined,
  ): Promise<Action> {
    for (let attempt = 0; attempt < MAX_COMMIT_ATTEMPTS; attempt += 1) {
      const current = await this.ctx.require(id);
      if (current.state === 'requested' && isExpired(current, this.ctx.now())) {
        await this.ctx.commit(expire(current, this.ctx.now()), current.version);
        throw new ActionRefused(`${displayActionId(id)} expired at ${current.expiresAt} without enough approvals; request it again.`);
      }
      const policy = this.ctx.policyOf(current.service);
      const isApprover = await this.ctx.isApprover(userId, policy?.approvers ?? []);
      let outcome: ActionOutcome | undefined;
      try {
        outcome = decision(current, isApprover);
      } catch (error) {
        if (error instanceof ActionRefused) await this.ctx.note(current, userId, `<@${userId}> was refused: ${error.message}`);
        throw error;
      }
      if (!outcome) return current;
      if (await this.ctx.commit(outcome, current.version)) return { ...outcome.action, version: current.version + 1 };
    }
    throw new Error(`Gave up deciding on ${displayActionId(id)} after ${MAX_COMMIT_ATTEMPTS} conflicting writes`);
  }
}
