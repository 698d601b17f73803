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
import type { ActionStep, RunDetail } from '../timeline/action-step.js';
import type { RehearsalBrief } from '../timeline/fleet-facts.js';
import type { Verification } from '../verify/rollback-verification.js';
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
  /** fleet: what the dry run found, shown to approvers; earlier releases stored it in words (`summary`). */
  rehearsal?: RehearsalBrief | { ok: boolean; summary: string };
  /** A failed fleet rollout that a new, approved action may continue. */
  resumable?: boolean;
  /** A rollout that succeeded with failures whose failed hosts were asked for again, as this action. */
  retriedAs?: string;
  /** Approved while automation was paused: it waits, approved, until approved again after a resume. */
  held?: Hold;
  incidentId?: string;
  channel: string;
  /** The thread the request lives in (the incident's message), if any. */
  threadTs?: string;
  decidedBy?: string;
  run?: RunHandle;
  startedAt?: string;
  finishedAt?: string;
  result?: RunDetail;
  /** A succeeded rollback watched against its service's health checks (see verification.ts). */
  verification?: Verification;
}

/** The kill switch that held an approved action: who paused automation, why, and since when. */
export interface Hold {
  by: string;
  reason: string;
  at: string;
}

/** One step of an action's timeline: who (`bot` or a Slack user id) did what. */
export interface ActionStepEntry {
  at: string;
  actor: string;
  step: ActionStep;
}

/** An entry stored by a release before entries were facts: its words, as they were shown. */
export interface LegacyActionEntry {
  at: string;
  actor: string;
  text: string;
}

export type ActionEntry = ActionStepEntry | LegacyActionEntry;

export interface ActionOutcome {
  action: Action;
  entry: ActionStepEntry;
}

/** A refusal to tell the person who clicked or typed; nothing changed. */
export class ActionRefused extends BotError {
  static override readonly code: ErrorCode = 'ACTION_REFUSED';
}

/** Refused because automation is paused; carries who paused it and why, for the message. */
export class AutomationPaused extends ActionRefused {
  static override readonly code: ErrorCode = 'AUTOMATION_PAUSED';

  constructor(
    readonly pausedBy: string,
    readonly pauseReason: string,
  ) {
    super(`Automation is paused by ${pausedBy} (${pauseReason}); nothing was run. Resume it with /automation resume first.`);
  }
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
  | 'id'
  | 'kind'
  | 'service'
  | 'plan'
  | 'requestedBy'
  | 'reason'
  | 'forced'
  | 'warning'
  | 'target'
  | 'fleet'
  | 'rehearsal'
  | 'incidentId'
  | 'channel'
  | 'threadTs'
> & {
  requesterIsApprover: boolean;
  /** Approved in advance by the service's own settings (deploy_guard mode auto): no person approves it. */
  preApproved?: boolean;
  approvals: number;
  expiresInMs: number;
  now: Date;
};

/**
 * A new request; with `approvals: 0` an approver's own request is approved at once, and a
 * plan that needs no approval (a read-only fleet action) is approved for anyone.
 */
export function requestAction(input: NewAction): ActionOutcome {
  const { requesterIsApprover, preApproved, approvals, expiresInMs, now, ...fields } = input;
  const at = now.toISOString();
  const readOnly = input.plan.needsApproval === false;
  // A failed dry run is never approved by its own request: an approver approves it anyway, on purpose.
  const selfApproved = readOnly || preApproved === true || (approvals === 0 && requesterIsApprover && input.rehearsal?.ok !== false);
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
  const step: ActionStep = {
    kind: 'requested',
    actionId: input.id,
    title: describeAction(input),
    service: input.service,
    reason: input.reason,
    approval: readOnly ? 'read_only' : selfApproved ? 'self_approved' : 'needed',
  };
  return { action, entry: { at, actor: input.requestedBy, step } };
}

export function isExpired(action: Action, now: Date): boolean {
  return now.getTime() >= Date.parse(action.expiresAt);
}

function requireState(action: Action, allowed: readonly ActionState[], verb: string): void {
  if (!allowed.includes(action.state)) {
    throw new ActionRefused(`${displayActionId(action.id)} is ${action.state}; it cannot be ${verb}.`);
  }
}

function step(action: Action, patch: Partial<Action>, actor: string, fact: ActionStep, now: Date): ActionOutcome {
  return { action: { ...action, ...patch }, entry: { at: now.toISOString(), actor, step: fact } };
}

export function expire(action: Action, now: Date): ActionOutcome {
  requireState(action, ['requested', 'approved'], 'expired');
  return step(action, { state: 'expired', finishedAt: now.toISOString() }, 'bot', { kind: 'expired', actionId: action.id }, now);
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
  return step(
    action,
    { approvedBy, ...(done ? { state: 'approved' as const } : {}) },
    userId,
    { kind: 'approved', actionId: action.id, count: approvedBy.length, required: action.approvalsRequired },
    now,
  );
}

export function deny(action: Action, { userId, isApprover, now }: Approver): ActionOutcome {
  requireState(action, ['requested'], 'denied');
  if (!isApprover) throw new ActionRefused(`You are not an approver for ${action.service}.`);
  return step(action, { state: 'denied', decidedBy: userId, finishedAt: now.toISOString() }, userId, { kind: 'denied', actionId: action.id }, now);
}

export function cancel(action: Action, { userId, isApprover, now }: Approver): ActionOutcome {
  requireState(action, ['requested', 'approved'], 'cancelled');
  if (userId !== action.requestedBy && !isApprover) throw new ActionRefused('Only the requester or an approver can cancel this action.');
  return step(action, { state: 'cancelled', decidedBy: userId, finishedAt: now.toISOString() }, userId, { kind: 'cancelled', actionId: action.id }, now);
}

/** An approved action that may not run while automation is paused. */
export function hold(action: Action, pause: Hold): Action {
  requireState(action, ['approved'], 'held');
  return { ...action, held: { by: pause.by, reason: pause.reason, at: pause.at } };
}

/** Whether the action is held by this very pause (a later pause, even by the same person, is another). */
export function isHeldBy(action: Action, pause: Hold): boolean {
  return action.held?.by === pause.by && action.held.at === pause.at;
}

/** No longer held: it is about to run. */
export function release(action: Action): Action {
  const { held: _released, ...rest } = action;
  return rest;
}

/** The claim: exactly one caller moves an approved action to running. */
export function start(action: Action, now: Date): ActionOutcome {
  requireState(action, ['approved'], 'started');
  return step(release(action), { state: 'running', startedAt: now.toISOString() }, 'bot', { kind: 'started', actionId: action.id }, now);
}

export function attachRun(action: Action, run: Action['run'] & object, now: Date): ActionOutcome {
  requireState(action, ['running'], 'given a run');
  return step(action, { run }, 'bot', { kind: 'run_attached', actionId: action.id, url: run.url }, now);
}

export function finish(action: Action, outcome: { succeeded: boolean; detail: RunDetail; resumable?: boolean }, now: Date): ActionOutcome {
  requireState(action, ['running', 'approved'], 'finished');
  const seconds = action.startedAt ? Math.round((now.getTime() - Date.parse(action.startedAt)) / 1000) : 0;
  const resumable = !outcome.succeeded && outcome.resumable === true;
  return step(
    action,
    { state: outcome.succeeded ? 'succeeded' : 'failed', result: outcome.detail, finishedAt: now.toISOString(), ...(resumable ? { resumable } : {}) },
    'bot',
    { kind: 'finished', actionId: action.id, succeeded: outcome.succeeded, seconds, detail: outcome.detail },
    now,
  );
}

function requireResumable(action: Action, verb: string): void {
  if (action.state !== 'failed' || action.resumable !== true) {
    throw new ActionRefused(
      `${displayActionId(action.id)} is ${action.state}${action.state === 'failed' ? ' and was already continued or aborted' : ''}; it cannot be ${verb}.`,
    );
  }
}

/** Ends a halted rollout for good: nothing more runs under it. */
export function abort(action: Action, { userId, isApprover, now }: Approver): ActionOutcome {
  requireResumable(action, 'aborted');
  if (userId !== action.requestedBy && !isApprover) throw new ActionRefused('Only the requester or an approver can abort this rollout.');
  return step(action, { resumable: false, decidedBy: userId }, userId, { kind: 'aborted', actionId: action.id }, now);
}

/** Hands a halted rollout over to a new action (which needs approval again). */
export function continued(action: Action, { userId, now }: Pick<Approver, 'userId' | 'now'>, successorId: string): ActionOutcome {
  requireResumable(action, 'continued');
  return step(action, { resumable: false }, userId, { kind: 'continued', actionId: action.id, successorId }, now);
}
