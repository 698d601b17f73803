/**
 * The action domain: an operation that changes production (a rollback today), asked for
 * by one person, approved by others, run exactly once. Plain types and pure functions.
 *
 * requested -> approved -> running -> succeeded | failed
 * requested -> denied | expired | cancelled;  approved -> cancelled (before it runs)
 */
import { BotError } from '../errors.js';
import type { ExecutionPlan, RunHandle } from './executor.js';

export type ActionState = 'requested' | 'approved' | 'running' | 'succeeded' | 'failed' | 'denied' | 'expired' | 'cancelled';

export const FINAL_STATES: ReadonlySet<ActionState> = new Set(['succeeded', 'failed', 'denied', 'expired', 'cancelled']);

export interface Action {
  id: string;
  version: number;
  kind: 'rollback';
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
  constructor(message: string) {
    super('ACTION_REFUSED', message);
  }
}

export function displayActionId(id: string): string {
  return `ACT-${id}`;
}

/** What a request is made of; the rest of an action follows from it. */
export type NewAction = Pick<
  Action,
  'id' | 'service' | 'plan' | 'requestedBy' | 'reason' | 'forced' | 'warning' | 'target' | 'incidentId' | 'channel' | 'threadTs'
> & {
  requesterIsApprover: boolean;
  approvals: number;
  expiresInMs: number;
  now: Date;
};

/** A new request; with `approvals: 0` an approver's own request is approved at once. */
export function requestAction(input: NewAction): ActionOutcome {
  const { requesterIsApprover, approvals, expiresInMs, now, ...fields } = input;
  const at = now.toISOString();
  const selfApproved = approvals === 0 && requesterIsApprover;
  // Optional fields that were not given stay absent rather than undefined in the stored JSON.
  const given = Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined)) as typeof fields;
  const action: Action = {
    ...given,
    version: 0,
    kind: 'rollback',
    state: selfApproved ? 'approved' : 'requested',
    requestedAt: at,
    expiresAt: new Date(now.getTime() + expiresInMs).toISOString(),
    // Someone other than the requester must approve, even when the service asks for none.
    approvalsRequired: Math.max(approvals, 1),
    approvedBy: selfApproved ? [input.requestedBy] : [],
  };
  const text = selfApproved
    ? `<@${input.requestedBy}> ran ${displayActionId(input.id)} (${input.service} needs no second approval)`
    : `<@${input.requestedBy}> requested ${displayActionId(input.id)}: roll back ${input.service}${input.reason ? ` (${input.reason})` : ''}`;
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

export function finish(action: Action, outcome: { succeeded: boolean; detail: string }, now: Date): ActionOutcome {
  requireState(action, ['running', 'approved'], 'finished');
  const seconds = action.startedAt ? Math.round((now.getTime() - Date.parse(action.startedAt)) / 1000) : 0;
  return step(
    action,
    { state: outcome.succeeded ? 'succeeded' : 'failed', result: outcome.detail, finishedAt: now.toISOString() },
    'bot',
    `${displayActionId(action.id)} ${outcome.succeeded ? 'succeeded' : 'failed'} after ${seconds}s: ${outcome.detail}`,
    now,
  );
}
