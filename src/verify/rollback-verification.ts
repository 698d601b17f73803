/**
 * Verifying a rollback: once its GitLab run succeeded, the service's health checks are
 * evaluated every interval until `verify_after` has passed, and the window decides. Pure:
 * the watch (what the rounds so far showed) and a new round in, the next watch or the
 * verdict out.
 *
 * Verified: the last round passed, and no round failed after the first one that passed. A
 * rollback takes a while to show (a rate over the last minute still counts the bad deploy's
 * errors), so failing rounds before the first passing one are the service recovering; a
 * check that fails again after it passed is flapping, and the rollback is not verified. A
 * round with no data that its checks say to pause on (`no_data: pause`, the default) proves
 * nothing either way, so within the window it is skipped; the last round has to pass,
 * though: a window that ends without data cannot vouch for the rollback, and it ends not
 * verified, saying so. `no_data: fail` and `pass` count as their policy says, as everywhere
 * (roundVerdict).
 */
import type { Round } from './checks.js';

export type VerificationState = 'monitoring' | 'verified' | 'not_verified';

/**
 * Why a rollback is not verified: the last round failed (`failing`) or had no data
 * (`no_data`), a check failed again after it had passed (`relapsed`), or the service lists
 * none of the watched checks any more (`no_checks`).
 */
export type NotVerifiedReason = 'failing' | 'no_data' | 'relapsed' | 'no_checks';

/** The verification of one rollback, as its action (and its incident) records it. */
export interface Verification {
  state: VerificationState;
  /** The service's checks that are watched: all of its `health`. */
  checks: string[];
  intervalMs: number;
  /** When the window started (the run succeeded) and when it ends. */
  since: string;
  until: string;
  /** Once ended: how many rounds ran. */
  rounds?: number;
  /** Once ended: the round the verdict rests on (the last one, or the one that failed after a pass). */
  round?: Round;
  reason?: NotVerifiedReason;
}

/**
 * What the rounds so far showed, kept between rounds beside the action (not on it, so that a
 * round writes no timeline entry): one evaluation is due at `dueAt`.
 */
export interface Watch {
  actionId: string;
  /** Epoch ms. */
  dueAt: number;
  rounds: number;
  /** A round has passed: the service recovered. */
  recovered?: boolean;
  /** The first round that failed after one had passed, if one did. */
  relapsed?: Round;
  last?: Round;
}

export function monitoring(input: { checks: string[]; intervalMs: number; verifyAfterMs: number; now: Date }): Verification {
  const since = input.now.getTime();
  return {
    state: 'monitoring',
    checks: input.checks,
    intervalMs: input.intervalMs,
    since: input.now.toISOString(),
    until: new Date(since + input.verifyAfterMs).toISOString(),
  };
}

/** The first round falls one interval into the window, or at its end when the window is shorter. */
export function firstWatch(actionId: string, verification: Verification): Watch {
  return { actionId, rounds: 0, dueAt: Math.min(Date.parse(verification.since) + verification.intervalMs, Date.parse(verification.until)) };
}

export type AfterRound = { kind: 'watching'; watch: Watch } | { kind: 'ended'; verification: Verification };

/**
 * A round evaluated at `now`: the window goes on until `until`, the round at or past it is
 * the last. The next one is due an interval after this one (never past `until`), so a bot
 * that was down does not make up the rounds it missed in a burst.
 */
export function afterRound(watch: Watch, verification: Verification, round: Round, now: Date): AfterRound {
  const rounds = watch.rounds + 1;
  const recovered = watch.recovered === true || round.verdict === 'pass';
  const relapsed = watch.relapsed ?? (watch.recovered && round.verdict === 'fail' ? round : undefined);
  const until = Date.parse(verification.until);
  if (now.getTime() < until) {
    const next: Watch = { actionId: watch.actionId, rounds, last: round, dueAt: Math.min(now.getTime() + verification.intervalMs, until) };
    return { kind: 'watching', watch: { ...next, ...(recovered ? { recovered } : {}), ...(relapsed ? { relapsed } : {}) } };
  }
  return { kind: 'ended', verification: judge(verification, rounds, round, relapsed) };
}

function judge(verification: Verification, rounds: number, last: Round, relapsed: Round | undefined): Verification {
  const ended = { ...verification, rounds };
  if (last.verdict === 'fail') return { ...ended, state: 'not_verified', reason: 'failing', round: last };
  if (last.verdict === 'no-data') return { ...ended, state: 'not_verified', reason: 'no_data', round: last };
  if (relapsed) return { ...ended, state: 'not_verified', reason: 'relapsed', round: relapsed };
  return { ...ended, state: 'verified', round: last };
}

/** The service no longer lists any of the watched checks (services.yaml changed mid-window). */
export function uncheckable(verification: Verification, watch: Watch): Verification {
  return { ...verification, state: 'not_verified', reason: 'no_checks', rounds: watch.rounds };
}
