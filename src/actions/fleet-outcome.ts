/**
 * What a fleet action's dry run and end say about what a person must decide: whether the
 * dry run failed (then only "approve anyway" approves it), and which hosts a rollout that
 * succeeded tolerated as failed (they may be retried). Pure; older stored shapes read as
 * "nothing to say" where they lack the facts.
 */
import { toleratedFailures, type FailedHost } from '../timeline/fleet-facts.js';
import { ActionRefused, approve, displayActionId, type Action, type ActionOutcome, type Approver } from './action.js';

/** True when the dry run failed on some host (a brief stored in words by an earlier release included). */
export function dryRunFailed(action: Pick<Action, 'rehearsal'>): boolean {
  return action.rehearsal?.ok === false;
}

/** The hosts the dry run failed on; empty when it did not fail, or when an earlier release stored it in words. */
export function dryRunFailedHosts(action: Pick<Action, 'rehearsal'>): string[] {
  const { rehearsal } = action;
  return rehearsal && !rehearsal.ok && 'failed' in rehearsal ? rehearsal.failed : [];
}

/** The hosts a rollout that succeeded tolerated as failed (within `max_failures`), with their exits. */
export function toleratedFailuresOf(action: Pick<Action, 'state' | 'result'>): FailedHost[] {
  if (action.state !== 'succeeded' || action.result === undefined || typeof action.result === 'string') return [];
  return toleratedFailures(action.result);
}

/**
 * `approve`, but a request whose dry run failed is approved only on purpose (`anyway`, the
 * "Approve anyway" button), and its timeline step says so with the hosts it failed on.
 * Every other refusal (not an approver, the requester, expired) comes first.
 */
export function approveChecked(action: Action, approver: Approver, anyway: boolean): ActionOutcome {
  const outcome = approve(action, approver);
  if (!dryRunFailed(action) || outcome.entry.step.kind !== 'approved') return outcome;
  const failed = dryRunFailedHosts(action);
  if (!anyway) {
    throw new ActionRefused(
      `The dry run of ${displayActionId(action.id)} failed${failed.length > 0 ? ` on ${failed.join(', ')}` : ''}, so Approve is refused. Read each host's output in the thread; then click Approve anyway to approve it as planned, on every host (recorded as approved anyway), or Deny it.`,
    );
  }
  return { ...outcome, entry: { ...outcome.entry, step: { ...outcome.entry.step, anyway: { failed } } } };
}

/** Hands the failed hosts of a rollout that succeeded with failures over to a new action (approved again), once. */
export function retried(action: Action, { userId, now }: Pick<Approver, 'userId' | 'now'>, successorId: string): ActionOutcome {
  const hosts = toleratedFailuresOf(action).map((f) => f.host);
  if (hosts.length === 0) {
    throw new ActionRefused(
      action.state === 'succeeded'
        ? `${displayActionId(action.id)} succeeded on every host; there is nothing to retry.`
        : `${displayActionId(action.id)} is ${action.state}; only a rollout that succeeded with failures retries its failed hosts (a halted one is continued with Continue).`,
    );
  }
  if (action.retriedAs) {
    throw new ActionRefused(`The failed hosts of ${displayActionId(action.id)} were already asked for again as ${displayActionId(action.retriedAs)}.`);
  }
  return {
    action: { ...action, retriedAs: successorId },
    entry: { at: now.toISOString(), actor: userId, step: { kind: 'retried', actionId: action.id, successorId, hosts } },
  };
}
