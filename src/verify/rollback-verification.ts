/**
 * Verifying a rollback: once its GitLab run succeeded, the service's health checks are
 * evaluated every interval until `verify_after` has passed, and the window decides. Pure:
 * the watch (what the rounds so far showed) and a new round in, the next watch or the
 * verdict out.
 *
 * Verified: no round of the window failed and the last one passed ("every check passes for
 * the whole window"). A round with no data that its checks say to pause on (`no_data:
 * pause`, the default) proves nothing either way, so within the window it is skipped; the
 * last round has to pass, though: a window that ends without data cannot vouch for the
 * rollback, and it ends not verified, saying so. `no_data: fail` and `pass` count as their
 * policy says, as everywhere (roundVerdict).
 */
import type { Round } from './checks.js';

export type VerificationState = 'monitoring' | 'verified' | 'not_verified';

/**
 * Why a rollback is not verified: the last round failed (`failing`) or had no data
 * (`no_data`), a round within the window failed (`failed_in_window`), or the service lists
 * none of the watched checks any more (`no_checks`).
 */
export type NotVerifiedReason = 'failing' | 'no_data' | 'failed_in_window' | 'no_checks';

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
  /** Once ended: the round the verdict rests on (the last one, or the one that failed within the window). */
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
  /** The first round of the window that failed, if one did. */
  failed?: Round;
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
  const failed = watch.failed ?? (round.verdict === 'fail' ? round : undefined);
  const until = Date.parse(verification.until);
  if (now.getTime() < until) {
    const next: Watch = { actionId: watch.actionId, rounds, last: round, dueAt: Math.min(now.getTime() + verification.intervalMs, until) };
    return { kind: 'watching', watch: failed ? { ...next, failed } : next };
  }
  return { kind: 'ended', verification: judge(verification, rounds, round, failed) };
}

function judge(verification: Verification, rounds: number, last: Round, failed: Round | undefined): Verification {
  const ended = { ...verification, rounds };
  if (last.verdict === 'fail') return { ...ended, state: 'not_verified', reason: 'failing', round: last };
  if (last.verdict === 'no-data') return { ...ended, state: 'not_verified', reason: 'no_data', round: last };
  if (failed) return { ...ended, state: 'not_verified', reason: 'failed_in_window', round: failed };
  return { ...ended, state: 'verified', round: last };
}

/** The service no longer lists any of the watched checks (services.yaml changed mid-window). */
export function uncheckable(verification: Verification, watch: Watch): Verification {
  return { ...verification, state: 'not_verified', reason: 'no_checks', rounds: watch.rounds };
}
