/**
 * What the bot makes of a GitLab job's or pipeline's status (jobs and pipelines share the
 * list). One table, so that the rollback executor and the fleet pipelines agree on when a
 * run is over and how it ended.
 */
export type StatusOutcome = 'running' | 'succeeded' | 'failed';

const OUTCOMES: ReadonlyMap<string, StatusOutcome> = new Map([
  ['created', 'running'],
  ['pending', 'running'],
  ['running', 'running'],
  ['waiting_for_resource', 'running'],
  ['waiting_for_callback', 'running'],
  ['preparing', 'running'],
  ['scheduled', 'running'],
  // Waits for a person to start it: not over.
  ['manual', 'running'],
  ['canceling', 'running'],
  ['success', 'succeeded'],
  ['failed', 'failed'],
  ['canceled', 'failed'],
  ['skipped', 'failed'],
]);

/** How a status counts; undefined for one this table does not know (GitLab adds some now and then). */
export function statusOutcome(status: string): StatusOutcome | undefined {
  return OUTCOMES.get(status);
}

/** Whether the job or pipeline changes no more after this status. */
export function isFinal(status: string): boolean {
  const outcome = statusOutcome(status);
  return outcome === 'succeeded' || outcome === 'failed';
}
