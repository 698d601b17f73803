/**
 * The kill switch: while automation is paused, nothing new runs (approved actions are held,
 * fleet requests refused, rollouts stop before their next batch). Only automation admins
 * pause and resume it.
 */
import { ActionRefused } from './action.js';
import type { ActionContext } from './context.js';
import type { KillSwitch } from './store.js';

export class KillSwitchControl {
  constructor(
    private readonly ctx: ActionContext,
    /** Who may pause and resume automation; empty means anyone who approves some service. */
    private readonly admins: readonly string[],
  ) {}

  state(): Promise<KillSwitch | undefined> {
    return this.ctx.store.killSwitch();
  }

  async pause(userId: string, reason: string): Promise<KillSwitch> {
    await this.requireAdmin(userId);
    const state = { by: userId, reason: reason || 'no reason given', at: this.ctx.now().toISOString() };
    await this.ctx.store.setKillSwitch(state);
    this.ctx.log.warn(state, 'automation paused');
    return state;
  }

  async resume(userId: string): Promise<void> {
    await this.requireAdmin(userId);
    await this.ctx.store.setKillSwitch(undefined);
    this.ctx.log.warn({ by: userId }, 'automation resumed');
  }

  /** Whether this person may pause and resume automation. */
  isAdmin(userId: string): Promise<boolean> {
    return this.ctx.isApprover(userId, this.admins.length > 0 ? this.admins : this.allApprovers());
  }

  private async requireAdmin(userId: string): Promise<void> {
    if (!(await this.isAdmin(userId))) {
      throw new ActionRefused('Only automation admins (AUTOMATION_ADMINS, or any service approver when unset) may pause or resume automation.');
    }
  }

  private allApprovers(): string[] {
    return [...new Set(this.ctx.knownServices().flatMap((s) => this.ctx.policyOf(s)?.approvers ?? []))];
  }
}
