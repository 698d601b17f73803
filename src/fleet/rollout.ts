/**
 * Fleet rollout plans: which hosts run in which batch, and when to stop. Pure: no I/O,
 * no clock (the executor waits `rollout.pause` between batches, see `durationMs`).
 *
 * A plan is the canary batch (when `canary` > 0), then one batch per entry of `batches`.
 * The executor runs a batch, then asks `haltAfterBatch` whether to go on.
 */
import type { BatchSize, Rollout } from '../runbooks/schema.js';
import type { HaltReason } from '../timeline/fleet-facts.js';

export interface Batch {
  /** Position in the plan, from 0. */
  index: number;
  /** The canary batch: the first, alone; any failure in it halts the rollout. */
  canary: boolean;
  /** Never empty. */
  hosts: string[];
}

export type HaltDecision = { halt: false } | { halt: true; reason: Extract<HaltReason, { kind: 'canary_failed' | 'too_many_failures' }> };

/**
 * Host order: natural (`web-2` before `web-10`), the same on every machine whatever its
 * locale; digit runs compare by value, everything else by code unit.
 */
export function compareHosts(a: string, b: string): number {
  const as = a.split(/(\d+)/);
  const bs = b.split(/(\d+)/);
  for (let i = 0; i < Math.min(as.length, bs.length); i += 1) {
    const x = as[i] ?? '';
    const y = bs[i] ?? '';
    if (x === y) continue;
    // Odd positions are digit runs: the longer run without leading zeros is the larger number.
    if (i % 2 === 1) {
      const xs = x.replace(/^0+/, '');
      const ys = y.replace(/^0+/, '');
      if (xs.length !== ys.length) return xs.length - ys.length;
      if (xs !== ys) return xs < ys ? -1 : 1;
      continue;
    }
    return x < y ? -1 : 1;
  }
  if (as.length !== bs.length) return as.length - bs.length;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The hosts trimmed, without empty names and duplicates, in `compareHosts` order. */
export function normalizeHosts(hosts: Iterable<string>): string[] {
  const unique = new Set<string>();
  for (const host of hosts) {
    const name = host.trim();
    if (name !== '') unique.add(name);
  }
  return [...unique].sort(compareHosts);
}

/** Hosts in a batch of this size, out of `base` (the hosts after the canary); at least 1. */
function batchHosts(size: BatchSize, base: number): number {
  if (typeof size === 'number') return Math.max(1, Math.floor(size));
  const percent = Number.parseFloat(size);
  return Math.max(1, Math.ceil((percent * base) / 100));
}

/**
 * Splits the hosts into batches:
 *
 * 1. the hosts are trimmed, deduplicated and sorted (`normalizeHosts`), so the same hosts
 *    always give the same plan;
 * 2. the first batch is the canary: the first `min(canary, hosts)` hosts (none when
 *    `canary` is 0);
 * 3. then one batch per entry of `batches`: a count is that many hosts, a percentage is
 *    that share of the hosts left after the canary (all of them, not of those still
 *    unplanned), rounded up, at least 1;
 * 4. the last entry takes every host still left, however small it is, so ending the
 *    list with "100%" reads as it runs; hosts running out first end the plan early.
 *
 * Every host is in exactly one batch and no batch is empty; no hosts give no batches.
 */
export function planRollout(hosts: Iterable<string>, rollout: Pick<Rollout, 'canary' | 'batches'>): Batch[] {
  const ordered = normalizeHosts(hosts);
  const plan: Batch[] = [];
  const push = (canary: boolean, batch: string[]) => plan.push({ index: plan.length, canary, hosts: batch });

  let next = Math.min(Math.max(0, Math.floor(rollout.canary)), ordered.length);
  if (next > 0) push(true, ordered.slice(0, next));
  const base = ordered.length - next;
  rollout.batches.forEach((size, position) => {
    if (next >= ordered.length) return;
    const last = position === rollout.batches.length - 1;
    const end = last ? ordered.length : Math.min(ordered.length, next + batchHosts(size, base));
    push(false, ordered.slice(next, end));
    next = end;
  });
  // Only when `batches` is empty (the schema refuses that): the rest still runs, in one batch.
  if (next < ordered.length) push(false, ordered.slice(next));
  return plan;
}

/** True when the failures so far exceed what the rollout tolerates (`max_failures`). */
export function shouldHalt(failuresSoFar: number, maxFailures: number): boolean {
  return failuresSoFar > maxFailures;
}

/**
 * Whether to stop after a batch has run (the executor also stops when the last batch is
 * done). A failed canary always halts, whatever `max_failures` says; otherwise the rollout
 * halts once the failures of all batches so far, the canary's included, exceed
 * `max_failures` (`shouldHalt`).
 */
export function haltAfterBatch(
  batch: Pick<Batch, 'index' | 'canary'>,
  failuresInBatch: number,
  totalFailures: number,
  rollout: Pick<Rollout, 'max_failures'>,
): HaltDecision {
  if (batch.canary && failuresInBatch > 0) return { halt: true, reason: { kind: 'canary_failed', failures: failuresInBatch } };
  if (shouldHalt(totalFailures, rollout.max_failures)) {
    return { halt: true, reason: { kind: 'too_many_failures', batch: batch.index + 1, failures: totalFailures, maxFailures: rollout.max_failures } };
  }
  return { halt: false };
}

/**
 * The plan of a retried rollout: the same batches without the hosts that already
 * succeeded, empty batches dropped; each keeps its place in the plan (`index`), so the
 * thread still says "batch 3 of 3" after a restart. A canary batch keeps its role
 * while it has hosts left (a failed canary is retried as the canary); when every canary
 * host succeeded, the retry starts with the next batch.
 */
export function remainingAfter(plan: readonly Batch[], succeededHosts: Iterable<string>): Batch[] {
  const done = new Set(succeededHosts);
  const remaining: Batch[] = [];
  for (const batch of plan) {
    const hosts = batch.hosts.filter((host) => !done.has(host));
    if (hosts.length > 0) remaining.push({ index: batch.index, canary: batch.canary, hosts });
  }
  return remaining;
}
