/**
 * Carries a fleet command out over its planned batches, the way a careful operator would:
 * canary first, then the batches, stopping at the first sign of trouble. Every host is
 * marked started before its command runs and its result recorded as soon as it is known,
 * so a resumed or continued rollout skips the hosts that already succeeded and never
 * silently runs a host twice: a host that was started but has no result (the bot died
 * while it ran) halts the rollout until a person looks at it.
 */
import { setTimeout as delay } from 'node:timers/promises';
import type { HaltReason, SampledRound, SamplingFacts } from '../timeline/fleet-facts.js';
import { haltAfterBatch, remainingAfter, type Batch } from './rollout.js';
import { verifyBatch, type Pause, type SampleRound } from './verification.js';

export type { Pause } from './verification.js';

export interface HostOutcome {
  host: string;
  ok: boolean;
  exitCode: number | null;
  /** stdout and stderr (or the connection error), already capped by the runner. */
  output: string;
  durationMs: number;
}

/** Runs one command on one host; never throws for a failure of the host itself. */
export type HostRun = (host: string, command: string, timeoutMs: number) => Promise<HostOutcome>;

/**
 * Runs one command on a batch of hosts and gives one outcome per host. Over SSH that is
 * every host in parallel (`perHost`); a pipeline runs the whole batch as one job.
 */
export type BatchRun = (hosts: readonly string[], command: string, timeoutMs: number) => Promise<HostOutcome[]>;

/** Hosts of one batch run in parallel: a batch is the unit of risk the runbook chose. */
export function perHost(run: HostRun): BatchRun {
  return (hosts, command, timeoutMs) => Promise.all(hosts.map((host) => run(host, command, timeoutMs)));
}

/** Where per-host results live (Redis in production), keyed by rollout. */
export interface HostResultStore {
  /** The hosts with a result, latest result each. */
  results(rolloutId: string): Promise<HostOutcome[]>;
  /** Hosts marked started whose result never came. */
  unfinished(rolloutId: string): Promise<string[]>;
  started(rolloutId: string, hosts: readonly string[]): Promise<void>;
  record(rolloutId: string, outcome: HostOutcome): Promise<void>;
}

export interface RolloutSpec {
  /** Results are kept per rollout, so a retry knows what already succeeded. */
  id: string;
  plan: Batch[];
  command: string;
  timeoutMs: number;
  pauseMs: number;
  maxFailures: number;
  /**
   * Resuming the same run after a restart: the failures it already had count toward
   * `maxFailures`. A continued rollout (a new approval after a halt) starts counting afresh.
   */
  resumed?: boolean;
  /** Health checks after each batch (the runbook's `verify`), evaluated with `RolloutDeps.round`. */
  verify?: SamplingFacts;
}

export type RolloutEnd =
  | { state: 'succeeded'; outcomes: HostOutcome[] }
  | { state: 'halted'; reason: HaltReason; failed: HostOutcome[]; outcomes: HostOutcome[] }
  | { state: 'paused'; pause: Pause; outcomes: HostOutcome[] }
  /** The bot is shutting down: the rollout stays running for another process to resume. */
  | { state: 'stopped'; outcomes: HostOutcome[] };

export interface RolloutDeps {
  run: BatchRun;
  store: HostResultStore;
  /** The kill switch, checked before every batch: who paused automation and why, when paused. */
  pausedBy: () => Promise<Pause | undefined>;
  /** Told after each batch, e.g. to summarise it in the Slack thread; `of` is the number of batches in the plan. */
  onBatch?: (batch: Batch, outcomes: HostOutcome[], of: number) => Promise<void> | void;
  /** One round of the action's health checks; required when the spec has `verify`. */
  round?: SampleRound;
  /** Told after a batch's checks held, with every round, e.g. to show the evidence in the thread. */
  onVerified?: (batch: Batch, rounds: SampledRound[], of: number, sampling: SamplingFacts) => Promise<void> | void;
  signal?: AbortSignal;
}

export const INTERRUPTED_OUTPUT =
  'interrupted: the bot stopped while this host ran, so its command may or may not have completed; check the host before continuing';

async function runBatch(spec: RolloutSpec, batch: Batch, deps: RolloutDeps): Promise<HostOutcome[]> {
  await deps.store.started(spec.id, batch.hosts);
  const outcomes = await deps.run(batch.hosts, spec.command, spec.timeoutMs);
  await Promise.all(outcomes.map((outcome) => deps.store.record(spec.id, outcome)));
  return outcomes;
}

export async function runRollout(spec: RolloutSpec, deps: RolloutDeps): Promise<RolloutEnd> {
  const interrupted = await deps.store.unfinished(spec.id);
  if (interrupted.length > 0) {
    const failed = interrupted.map((host): HostOutcome => ({ host, ok: false, exitCode: null, output: INTERRUPTED_OUTPUT, durationMs: 0 }));
    await Promise.all(failed.map((outcome) => deps.store.record(spec.id, outcome)));
    return { state: 'halted', reason: { kind: 'interrupted', hosts: interrupted }, failed, outcomes: await deps.store.results(spec.id) };
  }
  const previous = await deps.store.results(spec.id);
  const outcomes = previous.filter((o) => o.ok);
  let failures = spec.resumed ? previous.filter((o) => !o.ok).length : 0;
  const batches = remainingAfter(
    spec.plan,
    outcomes.map((o) => o.host),
  );
  // A restart may have cut the last batch's verification short: it is done again before anything else runs.
  const lastDone = spec.resumed ? spec.plan.findLast((b) => b.hosts.some((host) => outcomes.some((o) => o.host === host))) : undefined;
  if (lastDone) {
    const verified = await verifyAfter(spec, lastDone, deps, outcomes);
    if (verified) return verified;
  }
  for (const [position, batch] of batches.entries()) {
    if (deps.signal?.aborted) return { state: 'stopped', outcomes };
    const paused = await deps.pausedBy();
    if (paused) return { state: 'paused', pause: paused, outcomes };
    if (position > 0 && spec.pauseMs > 0) {
      await delay(spec.pauseMs, undefined, deps.signal ? { signal: deps.signal } : {}).catch(() => undefined);
      if (deps.signal?.aborted) return { state: 'stopped', outcomes };
      const pausedMeanwhile = await deps.pausedBy();
      if (pausedMeanwhile) return { state: 'paused', pause: pausedMeanwhile, outcomes };
    }
    const results = await runBatch(spec, batch, deps);
    outcomes.push(...results);
    const failed = results.filter((o) => !o.ok);
    failures += failed.length;
    await deps.onBatch?.(batch, results, spec.plan.length);
    const decision = haltAfterBatch(batch, failed.length, failures, { max_failures: spec.maxFailures });
    if (decision.halt) return { state: 'halted', reason: decision.reason, failed: outcomes.filter((o) => !o.ok), outcomes };
    const verified = await verifyAfter(spec, batch, deps, outcomes);
    if (verified) return verified;
  }
  return { state: 'succeeded', outcomes };
}

/**
 * The batch's health checks; undefined when they held (or the action has none), else how
 * the rollout ends. A halt on checks is a halt like any other: Continue or Abort.
 */
async function verifyAfter(spec: RolloutSpec, batch: Batch, deps: RolloutDeps, outcomes: HostOutcome[]): Promise<RolloutEnd | undefined> {
  if (!spec.verify) return undefined;
  if (!deps.round) throw new Error(`rollout ${spec.id} verifies its batches but was given no way to evaluate its checks`);
  const of = spec.plan.length;
  const verification = await verifyBatch(spec.verify, { round: deps.round, pausedBy: deps.pausedBy, signal: deps.signal });
  switch (verification.outcome) {
    case 'passed':
      await deps.onVerified?.(batch, verification.rounds, of, spec.verify);
      return undefined;
    case 'stopped':
      return { state: 'stopped', outcomes };
    case 'paused':
      return { state: 'paused', pause: verification.pause, outcomes };
    case 'halted': {
      const { verdict, failedSamples, rounds } = verification;
      const reason: HaltReason = { kind: 'checks_failed', verdict, failedSamples, rounds, batch: batch.index + 1, of, canary: batch.canary, ...spec.verify };
      return { state: 'halted', reason, failed: outcomes.filter((o) => !o.ok), outcomes };
    }
  }
}

/** The dry run: every target at once, read-only, nothing recorded against the rollout. */
export function runDryRun(hosts: readonly string[], command: string, timeoutMs: number, run: BatchRun): Promise<HostOutcome[]> {
  return run(hosts, command, timeoutMs);
}
