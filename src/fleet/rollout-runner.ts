/**
 * Carries a fleet command out over its planned batches, the way a careful operator would:
 * canary first, then the batches, stopping at the first sign of trouble. Every host's
 * result is recorded as soon as it is known, so a resumed or retried rollout skips the
 * hosts that already succeeded and never runs a host twice for one action.
 */
import { setTimeout as delay } from 'node:timers/promises';
import { haltAfterBatch, remainingAfter, type Batch } from './rollout.js';

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

/** Where per-host results live (Redis in production), keyed by rollout. */
export interface HostResultStore {
  results(rolloutId: string): Promise<HostOutcome[]>;
  record(rolloutId: string, outcome: HostOutcome): Promise<void>;
}

export interface RolloutSpec {
  /** The action's id: results are kept per action, so a retry knows what already succeeded. */
  id: string;
  plan: Batch[];
  command: string;
  timeoutMs: number;
  pauseMs: number;
  maxFailures: number;
}

export type RolloutEnd =
  | { state: 'succeeded'; outcomes: HostOutcome[] }
  | { state: 'halted'; reason: string; failed: HostOutcome[]; outcomes: HostOutcome[] }
  | { state: 'paused'; reason: string; outcomes: HostOutcome[] };

export interface RolloutDeps {
  run: HostRun;
  store: HostResultStore;
  /** The kill switch, checked before every batch: the reason when paused. */
  pausedBecause: () => Promise<string | undefined>;
  /** Told after each batch, e.g. to summarise it in the Slack thread. */
  onBatch?: (batch: Batch, outcomes: HostOutcome[]) => Promise<void> | void;
  signal?: AbortSignal;
}

/** Hosts of one batch run in parallel: a batch is the unit of risk the runbook chose. */
async function runBatch(spec: RolloutSpec, batch: Batch, deps: RolloutDeps): Promise<HostOutcome[]> {
  return Promise.all(
    batch.hosts.map(async (host) => {
      const outcome = await deps.run(host, spec.command, spec.timeoutMs);
      await deps.store.record(spec.id, outcome);
      return outcome;
    }),
  );
}

export async function runRollout(spec: RolloutSpec, deps: RolloutDeps): Promise<RolloutEnd> {
  const previous = await deps.store.results(spec.id);
  const succeeded = previous.filter((o) => o.ok).map((o) => o.host);
  const outcomes = [...previous.filter((o) => o.ok)];
  let failures = 0;
  const batches = remainingAfter(spec.plan, succeeded);
  for (const [position, batch] of batches.entries()) {
    const paused = await deps.pausedBecause();
    if (paused) return { state: 'paused', reason: `automation paused: ${paused}`, outcomes };
    if (position > 0 && spec.pauseMs > 0) {
      await delay(spec.pauseMs, undefined, deps.signal ? { signal: deps.signal } : {}).catch(() => undefined);
      if (deps.signal?.aborted) return { state: 'paused', reason: 'the bot is shutting down', outcomes };
    }
    const results = await runBatch(spec, batch, deps);
    outcomes.push(...results);
    const failed = results.filter((o) => !o.ok);
    failures += failed.length;
    await deps.onBatch?.(batch, results);
    const decision = haltAfterBatch(batch, failed.length, failures, { max_failures: spec.maxFailures });
    if (decision.halt) return { state: 'halted', reason: decision.message, failed: outcomes.filter((o) => !o.ok), outcomes };
  }
  return { state: 'succeeded', outcomes };
}

/** The dry run: every target at once, read-only, nothing recorded against the rollout. */
export async function runDryRun(hosts: readonly string[], command: string, timeoutMs: number, run: HostRun): Promise<HostOutcome[]> {
  return Promise.all(hosts.map((host) => run(host, command, timeoutMs)));
}
