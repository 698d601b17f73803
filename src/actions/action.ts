/**
 * The action domain: an operation that changes production (a rollback, a fleet
 * remediation), asked for by one person, approved by others, run exactly once. Plain
 * types and pure functions.
 *
 * requested -> approved -> running -> succeeded | failed
 * requested -> denied | expired | cancelled;  approved -> cancelled (before it runs)
 * A fleet action that failed part-way stays `resumable` until someone continues it (a new
 * action, approved again) or aborts it.
 */
import { BotError, type ErrorCode } from '../errors.js';
import type { ExecutionPlan, FleetRequest, RunHandle } from './executor.js';

export type ActionKind = 'rollback' | 'fleet';

export type ActionState = 'requested' | 'approved' | 'running' | 'succeeded' | 'failed' | 'denied' | 'expired' | 'cancelled';

export const FINAL_STATES: ReadonlySet<ActionState> = new Set(['succeeded', 'failed', 'denied', 'expired', 'cancelled']);

export interface Action {
  id: string;
  version: number;
  kind: ActionKind;
  service: string;
  plan: ExecutionPlan;
  state: ActionState;
  requestedBy: string;
  reason: string;
  requestedAt: string;
  expiresAt: string;
  approvalsRequired: number;
  approvedBy: string[];
  /** Requested inside the service's cooldown with --force. */
  forced: boolean;
  /** Why the approval message carries a warning (a recent rollback of the same service). */
  warning?: string;
  /** What the requester named (a sha or deployment id), re-planned just before running. */
  target?: string;
  /** fleet: what was asked for, re-planned just before running. */
  fleet?: FleetRequest;
  /** fleet: what the dry run found, shown to approvers. */
  rehearsal?: { ok: boolean; summary: string };
  /** A failed fleet rollout that a new, approved action may continue. */
  resumable?: boolean;
  incidentId?: string;
  channel: string;
  /** The thread the request lives in (the incident's message), if any. */
  threadTs?: string;
  decidedBy?: string;
  run?: RunHandle;
  startedAt?: string;
  finishedAt?: string;
  result?: string;
}

export interface ActionEntry {
  at: string;
  actor: string;
  text: string;
}

export interface ActionOutcome {
  action: Action;
  entry: ActionEntry;
}

/** A refusal to tell the person who clicked or typed; nothing changed. */
export class ActionRefused extends BotError {
  static override readonly code: ErrorCode = 'ACTION_REFUSED';
}

export function displayActionId(id: string): string {
  return `ACT-${id}`;
}

/** What the action does, for messages: "roll back payment-service". */
export function describeAction(action: Pick<Action, 'plan'>): string {
  return action.plan.title;
}

/** What a request is made of; the rest of an action follows from it. */
export type NewAction = Pick<
  Action,
  'id' | 'kind' | 'service' | 'plan' | 'requestedBy' | 'reason' | 'forced' | 'warning' | 'target' | 'fleet' | 'rehearsal' | 'incidentId' | 'channel' | 'threadTs'
> & {
  requesterIsApprover: boolean;
  approvals: number;
  expiresInMs: number;
  now: Date;
};

/**
 * A new request; with `approvals: 0` an approver's own request is approved at once, and a
 * plan that needs no approval (a read-only fleet action) is approved for anyone.
 */
export function requestAction(input: NewAction): ActionOutcome {
  const { requesterIsApprover, approvals, expiresInMs, now, ...fields } = input;
  const at = now.toISOString();
  const readOnly = input.plan.needsApproval === false;
  const selfApproved = readOnly || (approvals === 0 && requesterIsApprover);
  // Optional fields that were not given stay absent rather than undefined in the stored JSON.
  const given = Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined)) as typeof fields;
  const action: Action = {
    ...given,
    version: 0,
    state: selfApproved ? 'approved' : 'requested',
    requestedAt: at,
    expiresAt: new Date(now.getTime() + expiresInMs).toISOString(),
    // Someone other than the requester must approve, even when the service asks for none.
    approvalsRequired: readOnly ? 0 : Math.max(approvals, 1),
    approvedBy: selfApproved && !readOnly ? [input.requestedBy] : [],
  };
  const what = `${displayActionId(input.id)}: ${describeAction(input)}`;
  const text = readOnly
    ? `<@${input.requestedBy}> ran ${what} (read-only, no approval needed)`
    : selfApproved
      ? `<@${input.requestedBy}> ran ${what} (${input.service} needs no second approval)`
      : `<@${input.requestedBy}> requested ${what}${input.reason ? ` (${input.reason})` : ''}`;
  return { action, entry: { at, actor: input.requestedBy, text } };
}

export function isExpired(action: Action, now: Date): boolean {
  return now.getTime() >= Date.parse(action.expiresAt);
}

function requireState(action: Action, allowed: readonly ActionState[], verb: string): void {
  if (!allowed.includes(action.state)) {
    throw new ActionRefused(`${displayActionId(action.id)} is ${action.state}; it cannot be ${verb}.`);
  }
}

function step(action: Action, patch: Partial<Action>, actor: string, text: string, now: Date): ActionOutcome {
  return { action: { ...action, ...patch }, entry: { at: now.toISOString(), actor, text } };
}

export function expire(action: Action, now: Date): ActionOutcome {
  requireState(action, ['requested', 'approved'], 'expired');
  return step(action, { state: 'expired', finishedAt: now.toISOString() }, 'bot', `${displayActionId(action.id)} expired unapproved`, now);
}

export interface Approver {
  userId: string;
  isApprover: boolean;
  now: Date;
}

export function approve(action: Action, { userId, isApprover, now }: Approver): ActionOutcome {
  requireState(action, ['requested'], 'approved');
  if (isExpired(action, now)) throw new ActionRefused(`${displayActionId(action.id)} expired at ${action.expiresAt}; request it again.`);
  if (!isApprover) throw new ActionRefused(`You are not an approver for ${action.service}; ask one of its approvers.`);
  if (userId === action.requestedBy) throw new ActionRefused('You requested this action; another approver has to approve it.');
  if (action.approvedBy.includes(userId)) throw new ActionRefused(`You already approved ${displayActionId(action.id)}.`);
  const approvedBy = [...action.approvedBy, userId];
  const done = approvedBy.length >= action.approvalsRequired;
  const count = `${approvedBy.length} of ${action.approvalsRequired}`;
  return step(
    action,
    { approvedBy, ...(done ? { state: 'approved' as const } : {}) },
    userId,
    `<@${userId}> approved ${displayActionId(action.id)} (${count})`,
    now,
  );
}

export function deny(action: Action, { userId, isApprover, now }: Approver): ActionOutcome {
  requireState(action, ['requested'], 'denied');
  if (!isApprover) throw new ActionRefused(`You are not an approver for ${action.service}.`);
  return step(action, { state: 'denied', decidedBy: userId, finishedAt: now.toISOString() }, userId, `<@${userId}> denied ${displayActionId(action.id)}`, now);
}

export function cancel(action: Action, { userId, isApprover, now }: Approver): ActionOutcome {
  requireState(action, ['requested', 'approved'], 'cancelled');
  if (userId !== action.requestedBy && !isApprover) throw new ActionRefused('Only the requester or an approver can cancel this action.');
  return step(action, { state: 'cancelled', decidedBy: userId, finishedAt: now.toISOString() }, userId, `<@${userId}> cancelled ${displayActionId(action.id)}`, now);
}

/** The claim: exactly one caller moves an approved action to running. */
export function start(action: Action, now: Date): ActionOutcome {
  requireState(action, ['approved'], 'started');
  return step(action, { state: 'running', startedAt: now.toISOString() }, 'bot', `${displayActionId(action.id)} started`, now);
}

export function attachRun(action: Action, run: Action['run'] & object, now: Date): ActionOutcome {
  requireState(action, ['running'], 'given a run');
  return step(action, { run }, 'bot', `${displayActionId(action.id)} running: ${run.url}`, now);
}

export function finish(action: Action, outcome: { succeeded: boolean; detail: string; resumable?: boolean }, now: Date): ActionOutcome {
  requireState(action, ['running', 'approved'], 'finished');
  const seconds = action.startedAt ? Math.round((now.getTime() - Date.parse(action.startedAt)) / 1000) : 0;
  const resumable = !outcome.succeeded && outcome.resumable === true;
  return step(
    action,
    { state: outcome.succeeded ? 'succeeded' : 'failed', result: outcome.detail, finishedAt: now.toISOString(), ...(resumable ? { resumable } : {}) },
    'bot',
    `${displayActionId(action.id)} ${outcome.succeeded ? 'succeeded' : 'failed'} after ${seconds}s: ${outcome.detail}`,
    now,
  );
}

function requireResumable(action: Action, verb: string): void {
  if (action.state !== 'failed' || action.resumable !== true) {
    throw new ActionRefused(`${displayActionId(action.id)} is ${action.state}${action.state === 'failed' ? ' and was already continued or aborted' : ''}; it cannot be ${verb}.`);
  }
}

/** Ends a halted rollout for good: nothing more runs under it. */
export function abort(action: Action, { userId, isApprover, now }: Approver): ActionOutcome {
  requireResumable(action, 'aborted');
  if (userId !== action.requestedBy && !isApprover) throw new ActionRefused('Only the requester or an approver can abort this rollout.');
  return step(action, { resumable: false, decidedBy: userId }, userId, `<@${userId}> aborted ${displayActionId(action.id)}; the hosts not yet run stay untouched`, now);
}

/** Hands a halted rollout over to a new action (which needs approval again). */
export function continued(action: Action, { userId, now }: Pick<Approver, 'userId' | 'now'>, successorId: string): ActionOutcome {
  requireResumable(action, 'continued');
  return step(action, { resumable: false }, userId, `<@${userId}> asked to continue ${displayActionId(action.id)} as ${displayActionId(successorId)}`, now);
}
