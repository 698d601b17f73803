/**
 * The health checks between two batches of a rollout, the way Flagger or Argo Rollouts
 * analyse a canary: `samples` rounds `interval` apart, the first one `interval` after the
 * batch (its effect needs a scrape or two to show). More failing rounds than
 * `failureLimit` halt; a round with no data for a check that says `no_data: pause` halts
 * at once, since waiting longer would not tell a person more than they can see now.
 * The kill switch is read before every round, so a pause never waits out the sampling.
 */
import { setTimeout as delay } from 'node:timers/promises';
import type { SampledRound, SamplingFacts } from '../timeline/fleet-facts.js';
import type { Round } from '../verify/checks.js';

/** Who paused automation, and why. */
export interface Pause {
  by: string;
  reason: string;
}

/** One round of the checks the rollout verifies against, evaluated now. */
export type SampleRound = () => Promise<Round>;

export type Verification =
  | { outcome: 'passed'; rounds: SampledRound[] }
  /** `rounds` are those that failed (or had no data): the evidence for the halt. */
  | { outcome: 'halted'; verdict: 'fail' | 'no-data'; failedSamples: number; rounds: SampledRound[] }
  | { outcome: 'paused'; pause: Pause }
  /** The bot is shutting down: the batch is verified again by whoever resumes the rollout. */
  | { outcome: 'stopped' };

export interface VerificationDeps {
  round: SampleRound;
  pausedBy: () => Promise<Pause | undefined>;
  signal?: AbortSignal;
}

export async function verifyBatch(spec: SamplingFacts, deps: VerificationDeps): Promise<Verification> {
  const rounds: SampledRound[] = [];
  const counted: SampledRound[] = [];
  for (let sample = 1; sample <= spec.samples; sample += 1) {
    await delay(spec.intervalMs, undefined, deps.signal ? { signal: deps.signal } : {}).catch(() => undefined);
    if (deps.signal?.aborted) return { outcome: 'stopped' };
    const pause = await deps.pausedBy();
    if (pause) return { outcome: 'paused', pause };
    const round: SampledRound = { ...(await deps.round()), sample };
    rounds.push(round);
    if (round.verdict === 'no-data') return { outcome: 'halted', verdict: 'no-data', failedSamples: counted.length, rounds: [...counted, round] };
    if (round.verdict === 'fail') counted.push(round);
    if (counted.length > spec.failureLimit) return { outcome: 'halted', verdict: 'fail', failedSamples: counted.length, rounds: counted };
  }
  return { outcome: 'passed', rounds };
}
