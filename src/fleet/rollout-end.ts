/**
 * How a rollout that ran to its last batch ended, from the per-host results as stored (not
 * only this run's): a restart or a continuation ran some hosts in an earlier process, and a
 * host that failed there and was not run again still failed.
 */
import type { FleetEnd } from '../timeline/fleet-facts.js';
import type { HostOutcome } from './rollout-runner.js';

/** `skipped`: how many hosts had succeeded before this rollout ran (in the one it continues). */
export function succeededEnd(results: readonly HostOutcome[], planned: readonly string[], skipped: number): Extract<FleetEnd, { kind: 'fleet_succeeded' }> {
  const inPlan = new Set(planned);
  const mine = results.filter((o) => inPlan.has(o.host));
  const failed = mine.filter((o) => !o.ok).map(({ host, exitCode }) => ({ host, exitCode }));
  return { kind: 'fleet_succeeded', hosts: mine.length, skipped, ...(failed.length > 0 ? { failed } : {}) };
}

/** The hosts of a continued rollout's plan that succeeded in the rollout it continues: they will not run, so they are not dry-run. */
export function alreadySucceeded(results: readonly HostOutcome[], planned: readonly string[]): Set<string> {
  const inPlan = new Set(planned);
  return new Set(results.filter((o) => o.ok && inPlan.has(o.host)).map((o) => o.host));
}
