/**
 * The action domain (src/actions/action.ts): pure state transitions of a rollback request.
 */
import { describe, expect, it } from 'vitest';
import {
  abort,
  ActionRefused,
  continued,
  FINAL_STATES,
  approve,
  attachRun,
  cancel,
  deny,
  displayActionId,
  expire,
  finish,
  isExpired,
  requestAction,
  start,
  type Action,
  type ActionState,
  type NewAction,
} from '../../src/actions/action.js';
import type { ExecutionPlan } from '../../src/actions/executor.js';
import { renderActionEntry } from '../../src/slack/render/timeline.js';

const T0 = new Date('2026-11-22T10:00:00.000Z');
const at = (ms: number) => new Date(T0.getTime() + ms);

const plan: ExecutionPlan = {
  executor: 'gitlab',
  service: 'payment-service',
  title: 'roll back payment-service',
  summary: ['service: payment-service', 'environment: production'],
  params: { project: 'shop/payment-service', targetJobId: '502' },
};

function newAction(overrides: Partial<NewAction> = {}): NewAction {
  return {
    id: '7',
    kind: 'rollback',
    service: 'payment-service',
    plan,
    requestedBy: 'U0ALICE',
    requesterIsApprover: true,
    reason: 'error rate doubled',
    approvals: 1,
    expiresInMs: 15 * 60_000,
    forced: false,
    channel: 'C0PAYMENTS',
    now: T0,
    ...overrides,
  };
}

function requested(overrides: Partial<NewAction> = {}): Action {
  return { ...requestAction(newAction(overrides)).action, version: 1 };
}

const by = (userId: string, now = at(1_000), isApprover = true) => ({ userId, isApprover, now });

function refusal(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ActionRefused);
    return (error as Error).message;
  }
  throw new Error('expected an ActionRefused');
}

describe('requestAction', () => {
  it('makes a request waiting for approval, with its expiry and a timeline entry', () => {
    const { action, entry } = requestAction(newAction());
    expect(action).toMatchObject({
      id: '7',
      version: 0,
      kind: 'rollback',
      state: 'requested',
      requestedBy: 'U0ALICE',
      approvalsRequired: 1,
      approvedBy: [],
      forced: false,
      requestedAt: T0.toISOString(),
      expiresAt: at(15 * 60_000).toISOString(),
      channel: 'C0PAYMENTS',
    });
    expect(action).not.toHaveProperty('incidentId');
    expect(action).not.toHaveProperty('threadTs');
    expect(action).not.toHaveProperty('warning');
    expect(entry).toEqual({
      at: T0.toISOString(),
      actor: 'U0ALICE',
      step: {
        kind: 'requested',
        actionId: '7',
        title: 'roll back payment-service',
        service: 'payment-service',
        reason: 'error rate doubled',
        approval: 'needed',
      },
    });
    expect(renderActionEntry(entry)).toBe('<@U0ALICE> requested ACT-7: roll back payment-service (error rate doubled)');
  });

  it('keeps the optional links only when given', () => {
    const { action } = requestAction(newAction({ incidentId: '3', threadTs: '1.2', target: 'a1b2c3d', warning: 'inside the cooldown', forced: true }));
    expect(action).toMatchObject({ incidentId: '3', threadTs: '1.2', target: 'a1b2c3d', warning: 'inside the cooldown', forced: true });
  });

  it('with approvals: 0, an approver’s own request is approved at once; a non-approver’s still waits for one approval', () => {
    const own = requestAction(newAction({ approvals: 0 }));
    expect(own.action).toMatchObject({ state: 'approved', approvedBy: ['U0ALICE'], approvalsRequired: 1 });
    expect(own.entry.step).toMatchObject({ kind: 'requested', approval: 'self_approved' });
    expect(renderActionEntry(own.entry)).toBe('<@U0ALICE> ran ACT-7: roll back payment-service (payment-service needs no second approval)');

    const other = requestAction(newAction({ approvals: 0, requesterIsApprover: false }));
    expect(other.action).toMatchObject({ state: 'requested', approvedBy: [], approvalsRequired: 1 });
  });

  it('omits an empty reason from the entry', () => {
    expect(renderActionEntry(requestAction(newAction({ reason: '' })).entry)).toBe('<@U0ALICE> requested ACT-7: roll back payment-service');
  });
});

describe('approve', () => {
  it('with one approval needed, another approver approves it', () => {
    const { action, entry } = approve(requested(), by('U0BOB'));
    expect(action).toMatchObject({ state: 'approved', approvedBy: ['U0BOB'] });
    expect(entry).toEqual({ at: at(1_000).toISOString(), actor: 'U0BOB', step: { kind: 'approved', actionId: '7', count: 1, required: 1 } });
    expect(renderActionEntry(entry)).toBe('<@U0BOB> approved ACT-7 (1 of 1)');
  });

  it('with two needed, stays requested after the first and is approved by a second, distinct approver', () => {
    const first = approve(requested({ approvals: 2 }), by('U0BOB'));
    expect(first.action).toMatchObject({ state: 'requested', approvedBy: ['U0BOB'] });
    expect(first.entry.step).toEqual({ kind: 'approved', actionId: '7', count: 1, required: 2 });
    expect(renderActionEntry(first.entry)).toBe('<@U0BOB> approved ACT-7 (1 of 2)');
    expect(refusal(() => approve(first.action, by('U0BOB')))).toBe('You already approved ACT-7.');
    const second = approve(first.action, by('U0CAROL'));
    expect(second.action).toMatchObject({ state: 'approved', approvedBy: ['U0BOB', 'U0CAROL'] });
  });

  it('refuses the requester, even an approver, whatever the number of approvals', () => {
    for (const approvals of [0, 1, 2]) {
      expect(refusal(() => approve(requested({ approvals, requesterIsApprover: false }), by('U0ALICE')))).toBe(
        'You requested this action; another approver has to approve it.',
      );
    }
  });

  it('refuses a non-approver', () => {
    expect(refusal(() => approve(requested(), by('U0EVE', at(1_000), false)))).toBe('You are not an approver for payment-service; ask one of its approvers.');
  });

  it('refuses once expired (at the expiry instant included)', () => {
    const action = requested({ expiresInMs: 300 });
    expect(approve(action, by('U0BOB', at(299))).action.state).toBe('approved');
    expect(refusal(() => approve(action, by('U0BOB', at(300))))).toBe(`ACT-7 expired at ${at(300).toISOString()}; request it again.`);
  });

  it.each<ActionState>(['approved', 'running', 'succeeded', 'failed', 'denied', 'expired', 'cancelled'])('refuses an action that is %s', (state) => {
    expect(refusal(() => approve({ ...requested(), state }, by('U0BOB')))).toBe(`ACT-7 is ${state}; it cannot be approved.`);
  });

  it('does not change the action it was given', () => {
    const action = requested();
    const copy = structuredClone(action);
    approve(action, by('U0BOB'));
    expect(action).toEqual(copy);
  });
});

describe('deny and cancel', () => {
  it('an approver denies a request', () => {
    const { action, entry } = deny(requested(), by('U0BOB'));
    expect(action).toMatchObject({ state: 'denied', decidedBy: 'U0BOB', finishedAt: at(1_000).toISOString() });
    expect(entry).toMatchObject({ actor: 'U0BOB', step: { kind: 'denied', actionId: '7' } });
    expect(renderActionEntry(entry)).toBe('<@U0BOB> denied ACT-7');
  });

  it('a non-approver cannot deny; an approved action cannot be denied', () => {
    expect(refusal(() => deny(requested(), by('U0EVE', at(1_000), false)))).toBe('You are not an approver for payment-service.');
    expect(refusal(() => deny({ ...requested(), state: 'approved' }, by('U0BOB')))).toBe('ACT-7 is approved; it cannot be denied.');
  });

  it('the requester (approver or not) or an approver cancels a requested or approved action', () => {
    expect(cancel(requested({ requesterIsApprover: false }), by('U0ALICE', at(1_000), false)).action).toMatchObject({
      state: 'cancelled',
      decidedBy: 'U0ALICE',
    });
    expect(cancel({ ...requested(), state: 'approved' }, by('U0BOB')).action.state).toBe('cancelled');
    expect(refusal(() => cancel(requested(), by('U0EVE', at(1_000), false)))).toBe('Only the requester or an approver can cancel this action.');
  });

  it.each<ActionState>(['running', 'succeeded', 'failed', 'denied', 'expired', 'cancelled'])('a %s action cannot be cancelled', (state) => {
    expect(refusal(() => cancel({ ...requested(), state }, by('U0ALICE')))).toBe(`ACT-7 is ${state}; it cannot be cancelled.`);
  });
});

describe('expiry', () => {
  it('isExpired from the expiry instant on', () => {
    const action = requested({ expiresInMs: 300 });
    expect(isExpired(action, at(299))).toBe(false);
    expect(isExpired(action, at(300))).toBe(true);
  });

  it('expires a requested or approved action, not one that runs', () => {
    expect(expire(requested(), at(5)).action).toMatchObject({ state: 'expired', finishedAt: at(5).toISOString() });
    const expired = expire({ ...requested(), state: 'approved' }, at(5)).entry;
    expect(expired).toEqual({ at: at(5).toISOString(), actor: 'bot', step: { kind: 'expired', actionId: '7' } });
    expect(renderActionEntry(expired)).toBe('ACT-7 expired unapproved');
    expect(refusal(() => expire({ ...requested(), state: 'running' }, at(5)))).toBe('ACT-7 is running; it cannot be expired.');
  });
});

describe('running', () => {
  const approved = () => approve(requested(), by('U0BOB')).action;
  const run = { id: '9002', url: 'https://gitlab.example.com/shop/payment-service/-/jobs/9002', params: { kind: 'job', project: 'shop/payment-service' } };

  it('starts only an approved action, once', () => {
    const started = start(approved(), at(2_000));
    expect(started.action).toMatchObject({ state: 'running', startedAt: at(2_000).toISOString() });
    expect(started.entry).toEqual({ at: at(2_000).toISOString(), actor: 'bot', step: { kind: 'started', actionId: '7' } });
    expect(renderActionEntry(started.entry)).toBe('ACT-7 started');
    expect(refusal(() => start(started.action, at(2_001)))).toBe('ACT-7 is running; it cannot be started.');
    expect(refusal(() => start(requested(), at(2_001)))).toBe('ACT-7 is requested; it cannot be started.');
  });

  it('attaches the run to a running action only', () => {
    const running = start(approved(), at(2_000)).action;
    const attached = attachRun(running, run, at(2_100));
    expect(attached.action.run).toEqual(run);
    expect(attached.entry.step).toEqual({ kind: 'run_attached', actionId: '7', url: run.url });
    expect(renderActionEntry(attached.entry)).toBe(`ACT-7 running: ${run.url}`);
    expect(refusal(() => attachRun(approved(), run, at(2_100)))).toBe('ACT-7 is approved; it cannot be given a run.');
  });

  it('finishes with the outcome and how long it ran', () => {
    const running = start(approved(), at(2_000)).action;
    const ok = finish(running, { succeeded: true, detail: 'job #9002 success after 43s' }, at(47_400));
    expect(ok.action).toMatchObject({ state: 'succeeded', result: 'job #9002 success after 43s', finishedAt: at(47_400).toISOString() });
    expect(ok.entry.step).toEqual({ kind: 'finished', actionId: '7', succeeded: true, seconds: 45, detail: 'job #9002 success after 43s' });
    expect(renderActionEntry(ok.entry)).toBe('ACT-7 succeeded after 45s: job #9002 success after 43s');
    const failed = finish(running, { succeeded: false, detail: 'job #9002 failed' }, at(3_000));
    expect(failed.action.state).toBe('failed');
    expect(failed.entry.step).toEqual({ kind: 'finished', actionId: '7', succeeded: false, seconds: 1, detail: 'job #9002 failed' });
    expect(renderActionEntry(failed.entry)).toBe('ACT-7 failed after 1s: job #9002 failed');
  });

  it('an approved action that was never started can be finished (not run), after 0s', () => {
    const notRun = finish(approved(), { succeeded: false, detail: 'not run: the plan changed' }, at(9_000)).entry;
    expect(notRun.step).toMatchObject({ kind: 'finished', succeeded: false, seconds: 0 });
    expect(renderActionEntry(notRun)).toBe('ACT-7 failed after 0s: not run: the plan changed');
    expect(refusal(() => finish({ ...approved(), state: 'succeeded' }, { succeeded: true, detail: 'x' }, at(9_000)))).toBe(
      'ACT-7 is succeeded; it cannot be finished.',
    );
  });
});

describe('states', () => {
  it('final states are exactly the ends of the lifecycle', () => {
    expect([...FINAL_STATES].sort()).toEqual(['cancelled', 'denied', 'expired', 'failed', 'succeeded']);
    expect(displayActionId('12')).toBe('ACT-12');
  });
});

describe('fleet actions', () => {
  const readOnlyPlan: ExecutionPlan = { ...plan, executor: 'fleet', title: 'Collect diagnostics on 2 hosts', needsApproval: false };

  it('a plan that needs no approval is approved at once, for anyone, with no approvals counted', () => {
    const { action, entry } = requestAction(newAction({ kind: 'fleet', plan: readOnlyPlan, requesterIsApprover: false }));
    expect(action).toMatchObject({ state: 'approved', approvalsRequired: 0, approvedBy: [] });
    expect(entry.step).toMatchObject({ kind: 'requested', title: 'Collect diagnostics on 2 hosts', approval: 'read_only' });
    expect(renderActionEntry(entry)).toBe('<@U0ALICE> ran ACT-7: Collect diagnostics on 2 hosts (read-only, no approval needed)');
  });

  it('a rollout that failed part-way is resumable until it is continued or aborted, once', () => {
    const running = { ...requested({ kind: 'fleet' }), state: 'running' as const, startedAt: at(0).toISOString() };
    const halted = finish(running, { succeeded: false, detail: 'Halted after batch 2', resumable: true }, at(5_000)).action;
    expect(halted).toMatchObject({ state: 'failed', resumable: true });
    expect(finish(running, { succeeded: true, detail: 'ok', resumable: true }, at(5_000)).action.resumable).toBeUndefined();

    const handedOver = continued(halted, { userId: 'U0CAROL', now: at(6_000) }, '8');
    expect(handedOver.action).toMatchObject({ state: 'failed', resumable: false });
    expect(handedOver.entry).toMatchObject({ actor: 'U0CAROL', step: { kind: 'continued', actionId: '7', successorId: '8' } });
    expect(renderActionEntry(handedOver.entry)).toBe('<@U0CAROL> asked to continue ACT-7 as ACT-8');
    expect(refusal(() => abort(handedOver.action, by('U0BOB')))).toBe('ACT-7 is failed and was already continued or aborted; it cannot be aborted.');

    expect(refusal(() => abort(halted, by('U0MALLORY', at(6_000), false)))).toBe('Only the requester or an approver can abort this rollout.');
    const aborted = abort(halted, by('U0BOB', at(6_000)));
    expect(aborted.action).toMatchObject({ resumable: false, decidedBy: 'U0BOB' });
    expect(refusal(() => continued(aborted.action, { userId: 'U0BOB', now: at(7_000) }, '9'))).toMatch(/already continued or aborted/);
  });

  it('a rollout that succeeded cannot be continued', () => {
    const done = { ...requested({ kind: 'fleet' }), state: 'succeeded' as const };
    expect(refusal(() => continued(done, { userId: 'U0BOB', now: at(1) }, '9'))).toBe('ACT-7 is succeeded; it cannot be continued.');
  });
});
