/**
 * A person's decision on an action: approve, deny, cancel, or abort a halted rollout. Each
 * is a compare-and-set, so concurrent clicks on several replicas agree on one outcome.
 */
import { abort, ActionRefused, cancel, deny, displayActionId, expire, hold, isExpired, isHeldBy, release, type Action, type ActionOutcome } from './action.js';
import type { ActionContext } from './context.js';
import { approveChecked } from './fleet-outcome.js';
import type { KillSwitch } from './store.js';

export interface DecidingOptions {
  /** Runs an approved action in the background. */
  start(id: string): void;
  /** Holds an approved action while automation is paused, and says so on its timeline. */
  hold(action: Action, paused: KillSwitch): Promise<Action>;
}

const MAX_COMMIT_ATTEMPTS = 20;

export class Deciding {
  constructor(
    private readonly ctx: ActionContext,
    private readonly o: DecidingOptions,
  ) {}

  /**
   * An approval that completes the action runs it, unless automation is paused: then the
   * action is held in the same write as the approval, so its message never says it runs,
   * and the caller gets it back held, to tell the clicker at once. A request whose dry run
   * failed is approved only `anyway` (see approveChecked).
   */
  async approve(id: string, userId: string, anyway = false): Promise<Action> {
    const paused = await this.ctx.store.killSwitch();
    let again = false;
    const action = await this.decide(id, userId, (current, isApprover) => {
      // An approved action that could not run (automation paused) runs on a later approval.
      again = current.state === 'approved' && isApprover;
      if (again) return undefined;
      const outcome = approveChecked(current, { userId, isApprover, now: this.ctx.now() }, anyway);
      return paused && outcome.action.state === 'approved' ? { ...outcome, action: hold(outcome.action, paused) } : outcome;
    });
    if (action.state !== 'approved') return action;
    if (!paused) {
      this.o.start(id);
      return release(action);
    }
    // Said once per pause: approving again while it is held changes nothing.
    return again && isHeldBy(action, paused) ? action : this.o.hold(action, paused);
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
  private async decide(id: string, userId: string, decision: (current: Action, isApprover: boolean) => ActionOutcome | undefined): Promise<Action> {
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
        if (error instanceof ActionRefused) await this.ctx.note(current, userId, { kind: 'refused', actionId: current.id, reason: error.message });
        throw error;
      }
      if (!outcome) return current;
      if (await this.ctx.commit(outcome, current.version)) return { ...outcome.action, version: current.version + 1 };
    }
    throw new Error(`Gave up deciding on ${displayActionId(id)} after ${MAX_COMMIT_ATTEMPTS} conflicting writes`);
  }
}
