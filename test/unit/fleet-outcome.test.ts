/**
 * Decisions on what a fleet action's dry run and end found (src/actions/fleet-outcome.ts):
 * a failed dry run is approved only "anyway", and the failed hosts of a rollout that
 * succeeded with failures are retried once, as a new action.
 */
import { describe, expect, it } from 'vitest';
import { ActionRefused, requestAction, type Action, type NewAction } from '../../src/actions/action.js';
import { approveChecked, dryRunFailedHosts, retried, toleratedFailuresOf } from '../../src/actions/fleet-outcome.js';
import { renderActionEntry } from '../../src/slack/render/timeline.js';

const T0 = new Date('2026-11-22T10:00:00.000Z');
const FAILED_DRY_RUN = { ok: false, check: 'dry_run_command' as const, hosts: 3, failed: ['web-3'] };

function fleetAction(overrides: Partial<NewAction> = {}): Action {
  const { action } = requestAction({
    id: '7',
    kind: 'fleet',
    service: 'storage',
    plan: { executor: 'fleet', service: 'storage', title: 'Free disk space on 3 hosts', summary: [], params: {} },
    requestedBy: 'U0ALICE',
    requesterIsApprover: false,
    reason: '',
    approvals: 1,
    expiresInMs: 60_000,
    forced: false,
    channel: 'C0STORAGE',
    now: T0,
    ...overrides,
  });
  return { ...action, version: 1 };
}

const bob = { userId: 'U0BOB', isApprover: true, now: new Date(T0.getTime() + 1000) };

function refusal(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ActionRefused);
    return (error as Error).message;
  }
  throw new Error('expected an ActionRefused');
}

describe('approving a request whose dry run failed', () => {
  it('refuses Approve, saying where the dry run failed and what to do instead', () => {
    expect(refusal(() => approveChecked(fleetAction({ rehearsal: FAILED_DRY_RUN }), bob, false))).toBe(
      "The dry run of ACT-7 failed on web-3, so Approve is refused. Read each host's output in the thread; then click Approve anyway to approve it as planned, on every host (recorded as approved anyway), or Deny it.",
    );
  });

  it('approves with Approve anyway, and the timeline step says so with the hosts', () => {
    const { action, entry } = approveChecked(fleetAction({ rehearsal: FAILED_DRY_RUN }), bob, true);
    expect(action.state).toBe('approved');
    expect(entry.step).toEqual({ kind: 'approved', actionId: '7', count: 1, required: 1, anyway: { failed: ['web-3'] } });
    expect(renderActionEntry(entry)).toBe('<@U0BOB> approved ACT-7 ANYWAY, although its dry run failed on web-3 (1 of 1)');
  });

  it('gives the other refusals first: a non-approver learns that, not how to approve anyway', () => {
    expect(refusal(() => approveChecked(fleetAction({ rehearsal: FAILED_DRY_RUN }), { ...bob, isApprover: false }, true))).toBe(
      'You are not an approver for storage; ask one of its approvers.',
    );
  });

  it('a dry run that passed (or none) approves as usual, with or without anyway', () => {
    const passed = fleetAction({ rehearsal: { ok: true, check: 'dry_run_command', hosts: 3, failed: [] } });
    expect(approveChecked(passed, bob, false).entry.step).toEqual({ kind: 'approved', actionId: '7', count: 1, required: 1 });
    expect(approveChecked(passed, bob, true).entry.step).toEqual({ kind: 'approved', actionId: '7', count: 1, required: 1 });
    expect(approveChecked(fleetAction(), bob, false).action.state).toBe('approved');
  });

  it('a failed dry run stored in words by an earlier release also needs Approve anyway', () => {
    const older = fleetAction({ rehearsal: { ok: false, summary: 'dry run FAILED on 1 of 3 host(s): web-3' } });
    expect(dryRunFailedHosts(older)).toEqual([]);
    expect(refusal(() => approveChecked(older, bob, false))).toMatch(/^The dry run of ACT-7 failed, so Approve is refused\./);
    expect(renderActionEntry(approveChecked(older, bob, true).entry)).toBe('<@U0BOB> approved ACT-7 ANYWAY, although its dry run failed (1 of 1)');
  });

  it('is never approved by its own request: with approvals: 0 an approver’s request waits for Approve anyway', () => {
    expect(fleetAction({ approvals: 0, requesterIsApprover: true }).state).toBe('approved');
    expect(fleetAction({ approvals: 0, requesterIsApprover: true, rehearsal: FAILED_DRY_RUN })).toMatchObject({ state: 'requested', approvedBy: [] });
  });
});

describe('retrying the failed hosts of a rollout that succeeded with failures', () => {
  const result = { kind: 'fleet_succeeded' as const, hosts: 4, skipped: 0, failed: [{ host: 'web-2', exitCode: 7 }] };
  const done: Action = { ...fleetAction(), state: 'succeeded', result };
  const asked = { userId: 'U0CAROL', now: new Date(T0.getTime() + 5000) };

  it('hands the failed hosts over to the new action, once', () => {
    expect(toleratedFailuresOf(done)).toEqual([{ host: 'web-2', exitCode: 7 }]);
    const { action, entry } = retried(done, asked, '9');
    expect(action.retriedAs).toBe('9');
    expect(entry).toEqual({ at: asked.now.toISOString(), actor: 'U0CAROL', step: { kind: 'retried', actionId: '7', successorId: '9', hosts: ['web-2'] } });
    expect(refusal(() => retried(action, asked, '10'))).toBe('The failed hosts of ACT-7 were already asked for again as ACT-9.');
  });

  it('refuses a rollout without tolerated failures: all succeeded, halted, or an end stored by an earlier release', () => {
    expect(refusal(() => retried({ ...done, result: { kind: 'fleet_succeeded', hosts: 4, skipped: 0 } }, asked, '9'))).toBe(
      'ACT-7 succeeded on every host; there is nothing to retry.',
    );
    const halted: Action = { ...done, state: 'failed', result: { kind: 'fleet_halted', reason: { kind: 'canary_failed', failures: 1 }, failed: ['web-1'] } };
    expect(toleratedFailuresOf(halted)).toEqual([]);
    expect(toleratedFailuresOf({ ...done, result: 'all good' })).toEqual([]);
    expect(refusal(() => retried(halted, asked, '9'))).toBe(
      'ACT-7 is failed; only a rollout that succeeded with failures retries its failed hosts (a halted one is continued with Continue).',
    );
  });
});
