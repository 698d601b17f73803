/**
 * The actions layer as its callers (commands, Slack listeners, the scheduler) see it: one
 * facade over the use cases, each in its own module, sharing the store through one context.
 * requesting.ts asks, deciding.ts approves or refuses, running.ts runs exactly once and
 * tracks to the end, verifying.ts watches a succeeded rollback's health checks, expiry.ts
 * sweeps, kill-switch.ts pauses everything.
 */
import type { Rehearsal } from '../timeline/fleet-facts.js';
import type { Action, ActionKind } from './action.js';
import { ActionContext, type ActionContextOptions } from './context.js';
import { Deciding } from './deciding.js';
import type { ExecutionPlan, Executor } from './executor.js';
import { expireDue } from './expiry.js';
import { KillSwitchControl } from './kill-switch.js';
import { Requesting, type ActionRequest, type FleetActionRequest, type RollbackRequest } from './requesting.js';
import { Running } from './running.js';
import type { KillSwitch } from './store.js';
import { Verifying, type VerifyingOptions } from './verifying.js';

export type { ActionRequest, FleetActionRequest, RollbackRequest } from './requesting.js';

export interface ActionServiceOptions extends ActionContextOptions {
  /** One executor per kind of action; the actions layer never learns more of them. */
  executors: Readonly<Record<ActionKind, Executor>>;
  expiryMs: number;
  cooldownMs: number;
  pollIntervalMs: number;
  /** Who may pause and resume automation; empty means anyone who approves some service. */
  killSwitchAdmins: readonly string[];
  /** Verified rollbacks; without it (no Prometheus configured) a rollback ends when its run does. */
  verification?: VerifyingOptions;
}

export class ActionService {
  private readonly ctx: ActionContext;
  private readonly requesting: Requesting;
  private readonly deciding: Deciding;
  private readonly running: Running;
  private readonly killSwitchControl: KillSwitchControl;
  private readonly verifying: Verifying | undefined;

  constructor(o: ActionServiceOptions) {
    this.ctx = new ActionContext(o);
    const { executors, expiryMs, cooldownMs, pollIntervalMs } = o;
    this.verifying = o.verification && new Verifying(this.ctx, o.verification);
    this.running = new Running(this.ctx, { executors, cooldownMs, pollIntervalMs, ...(this.verifying ? { verifying: this.verifying } : {}) });
    const start = (id: string) => this.running.start(id);
    this.deciding = new Deciding(this.ctx, { start, hold: (action, paused) => this.running.hold(action, paused) });
    this.requesting = new Requesting(this.ctx, { executors, expiryMs, cooldownMs, start, cancel: (id, userId) => this.deciding.cancel(id, userId) });
    this.killSwitchControl = new KillSwitchControl(this.ctx, o.killSwitchAdmins);
  }

  onChange(listener: (actionId: string) => void): void {
    this.ctx.onChange(listener);
  }

  get(id: string): Promise<Action | undefined> {
    return this.ctx.store.getAction(id);
  }

  request(req: ActionRequest): Promise<Action> {
    return this.requesting.request(req);
  }

  /** A rollback approved in advance by the service's settings (the deploy guard in auto mode): it runs at once. */
  requestPreApproved(req: RollbackRequest): Promise<Action> {
    return this.requesting.requestPreApproved(req);
  }

  dryRun(req: FleetActionRequest): Promise<{ plan: ExecutionPlan; rehearsal: Rehearsal | undefined }> {
    return this.requesting.dryRun(req);
  }

  continueRollout(id: string, userId: string): Promise<Action> {
    return this.requesting.continueRollout(id, userId);
  }

  /** A new request over the hosts a rollout that succeeded with failures tolerated as failed. */
  retryFailed(id: string, userId: string): Promise<Action> {
    return this.requesting.retryFailed(id, userId);
  }

  /**
   * The action as the approval left it: `held` when automation is paused and it may not run.
   * A request whose dry run failed is refused unless approved `anyway`.
   */
  approve(id: string, userId: string, anyway = false): Promise<Action> {
    return this.deciding.approve(id, userId, anyway);
  }

  deny(id: string, userId: string): Promise<Action> {
    return this.deciding.deny(id, userId);
  }

  cancel(id: string, userId: string): Promise<Action> {
    return this.deciding.cancel(id, userId);
  }

  abort(id: string, userId: string): Promise<Action> {
    return this.deciding.abort(id, userId);
  }

  expireDue(): Promise<number> {
    return expireDue(this.ctx);
  }

  /** One round of each rollback verification that is due (the scheduler's job, one replica per tick). */
  async verifyDue(): Promise<void> {
    await this.verifying?.evaluateDue();
  }

  /** After a restart: pick up every action that was running. */
  resume(): Promise<void> {
    return this.running.resume();
  }

  /** Stops polling loops; running actions stay marked running and resume at next start. */
  stop(): Promise<void> {
    return this.running.stop();
  }

  killSwitch(): Promise<KillSwitch | undefined> {
    return this.killSwitchControl.state();
  }

  pause(userId: string, reason: string): Promise<KillSwitch> {
    return this.killSwitchControl.pause(userId, reason);
  }

  resumeAutomation(userId: string): Promise<void> {
    return this.killSwitchControl.resume(userId);
  }

  /** Whether this person may pause and resume automation (the App Home offers the buttons only then). */
  mayPause(userId: string): Promise<boolean> {
    return this.killSwitchControl.isAdmin(userId);
  }

  /** Whether an approval by this person would count: an approver of the service who did not request it and has not approved yet. */
  async awaitsApprovalOf(action: Action, userId: string): Promise<boolean> {
    if (action.state !== 'requested' || action.requestedBy === userId || action.approvedBy.includes(userId)) return false;
    return this.ctx.isApprover(userId, this.ctx.policyOf(action.service)?.approvers ?? []);
  }
}
