/**
 * A change to GitLab (retry a job, create a pipeline) is sent at most once. Only a request that
 * never left (the connection was refused, the name did not resolve) is sent again. Any other
 * failure after sending is ambiguous, and the caller looks for what the request may have made
 * instead of sending it again:
 * - a 5xx: GitLab (or a proxy in front of it) may have failed after the change was committed;
 * - a 429 after sending: a proxy's limit may have hit the answer rather than the request;
 * - no answer in time, or a connection reset: GitLab may have acted, or still be acting.
 * A 4xx other than 429 is GitLab refusing, with a reason a person can act on.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import { ExecutorRefusal } from '../actions/executor.js';
import {
  classifyGitlabError,
  failureReason,
  GitlabUnavailableError,
  isRefusal,
  refusalMessage,
  retryDelayMs,
  type GitlabOperation,
  type RetryPolicy,
} from './client.js';

export type GitlabChange = GitlabOperation & { method: 'POST' };

export type SendResult<T> =
  | { answered: T }
  /** Sent, and GitLab's answer does not say whether it acted. */
  | { ambiguous: Ambiguity };

export interface Ambiguity {
  /** What GitLab did, for messages: "answered 500", "did not answer (timeout)". */
  what: string;
  /** When the request that may have acted left, by this process's clock (ms since the epoch). */
  sentAt: number;
  cause: unknown;
}

/**
 * Sends `call` once; sends it again only while it cannot have reached GitLab (up to the policy's
 * attempts, then GitlabUnavailableError saying nothing was sent). Throws an ExecutorRefusal for
 * a 4xx, and rethrows what is not a GitLab failure (a bug).
 */
export async function sendOnce<T>(op: GitlabChange, policy: RetryPolicy, log: Logger, call: () => Promise<T>): Promise<SendResult<T>> {
  for (let attempt = 1; ; attempt += 1) {
    const sentAt = Date.now();
    try {
      return { answered: await call() };
    } catch (error) {
      const failure = classifyGitlabError(error);
      if (failure.kind === 'other') throw error;
      if (failure.kind === 'answered' && isRefusal(failure.status))
        throw new ExecutorRefusal(refusalMessage(op, failure.status, failure.description), { cause: error });
      if (failure.kind !== 'not-sent') {
        const what = failure.kind === 'answered' ? `answered ${failure.status}` : `did not answer (${failure.reason})`;
        log.warn(
          { method: op.method, project: op.project, action: op.action, what },
          'GitLab may have acted on a request it did not confirm; not sending it again',
        );
        return { ambiguous: { what, sentAt, cause: error } };
      }
      const reason = failureReason(failure);
      if (attempt >= policy.attempts) {
        throw new GitlabUnavailableError(
          `GitLab could not be reached ${attempt} times (last: ${reason}) when asked to ${op.action} in ${op.project}; the request was never sent, so nothing started`,
          { cause: error },
        );
      }
      const delayMs = retryDelayMs(policy, attempt, failure);
      log.warn({ method: op.method, project: op.project, action: op.action, reason, attempt, delayMs }, 'GitLab could not be reached; sending again');
      await sleep(delayMs);
    }
  }
}
