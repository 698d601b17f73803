/**
 * The GitLab edge: a gitbeaker client that makes exactly one HTTP request per call, and the
 * one retry policy that wraps those calls.
 *
 * Why not gitbeaker's own requester: @gitbeaker/rest 43 retries 429 and 502 by itself, for
 * every method (POST included), up to 10 times with delays of 0.25 ms·2^i (about a quarter of
 * a second in all), ignoring Retry-After, and then throws a GitbeakerRetryError that carries
 * neither the status nor the response. Its default query timeout is five minutes. Stacking our
 * retries on top of that would multiply attempts and still not honour Retry-After, so the
 * client below is built with gitbeaker's own `createRequesterFn` (same URL, query and body
 * encoding) over a request handler that tries once; `withRetry` decides when a read is tried
 * again, and `sendOnce` (send-once.ts) sends a change at most once.
 */
import { BotError, type ErrorCode } from '../errors.js';
import { setTimeout as sleep } from 'node:timers/promises';
import { createRequesterFn, type FormattedResponse, type RequestOptions } from '@gitbeaker/requester-utils';
import { Gitlab, GitbeakerRequestError, GitbeakerRetryError, GitbeakerTimeoutError } from '@gitbeaker/rest';
import type { Logger } from 'pino';
import { ExecutorRefusal } from '../actions/executor.js';

export type GitlabApi = Gitlab<false>;

export interface RetryPolicy {
  /** Attempts in all, the first included. */
  attempts: number;
  /** First retry delay; each further retry doubles it. */
  baseDelayMs: number;
  /** Upper bound of one delay, Retry-After included. */
  maxDelayMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 4, baseDelayMs: 500, maxDelayMs: 30_000 };
export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;

/** A gitbeaker client whose every call is one HTTP request, failing with gitbeaker's own error classes. */
export function createGitlabApi(options: { url: string; token: string; requestTimeoutMs?: number }): GitlabApi {
  return new Gitlab({
    host: options.url.replace(/\/+$/, ''),
    token: options.token,
    queryTimeout: options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
    requesterFn: createRequesterFn((_, requestOptions) => Promise.resolve(requestOptions), requestOnce),
  });
}

/** Where a person sees a project: GitLab serves it by path, and redirects /projects/:id to it. */
export function projectWebUrl(api: GitlabApi, project: string): string {
  const base = api.url.replace(/\/api\/v4\/?$/, '');
  return /^\d+$/.test(project) ? `${base}/projects/${project}` : `${base}/${project}`;
}

/** gitbeaker's default request handler, minus its retry loop and client-side rate limiter. */
async function requestOnce(endpoint: string, rawOptions: Record<string, unknown> = {}): Promise<FormattedResponse> {
  const { prefixUrl = '', searchParams, method, headers, body, signal, asStream } = rawOptions as RequestOptions;
  const url = new URL(endpoint, prefixUrl.endsWith('/') ? prefixUrl : `${prefixUrl}/`);
  url.search = searchParams ?? '';
  const request = new Request(url, { method: method ?? 'GET', headers: headers ?? {}, body: body ?? null, signal: signal ?? null });
  try {
    const response = await fetch(request);
    if (!response.ok) {
      const text = await response.text();
      const description = describeFailure(text, response.headers.get('content-type'));
      throw new GitbeakerRequestError(description, { cause: { description, request, response } });
    }
    const responseHeaders = Object.fromEntries(response.headers.entries());
    if (asStream) return { body: response.body ?? null, headers: responseHeaders, status: response.status };
    return { body: await readBody(response), headers: responseHeaders, status: response.status };
  } catch (error) {
    if (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError')) {
      throw new GitbeakerTimeoutError('Query timeout was reached', { cause: error });
    }
    throw error;
  }
}

function describeFailure(text: string, contentType: string | null): string {
  if (!contentType?.includes('application/json')) return text;
  try {
    const json = JSON.parse(text) as { error?: unknown; message?: unknown } | null;
    const detail = json?.error ?? json?.message ?? '';
    return typeof detail === 'string' ? detail : JSON.stringify(detail);
  } catch {
    return text;
  }
}

async function readBody(response: Response): Promise<FormattedResponse['body']> {
  if (response.status === 204) return null;
  const type = (response.headers.get('content-type') ?? '').split(';')[0]?.trim() ?? '';
  if (type === 'application/json') return ((await response.json()) as FormattedResponse['body']) ?? {};
  if (type.startsWith('text/')) return response.text();
  return response.blob();
}

/** What a failed gitbeaker call tells us, independent of what we were doing. */
export type GitlabFailure =
  /** GitLab (or a proxy in front of it) answered with an error status. */
  | { kind: 'answered'; status: number; description: string; retryAfterMs: number | undefined }
  /** No connection was made: the request never left, so any method may be sent again. */
  | { kind: 'not-sent'; reason: string }
  /** The request may have reached GitLab, but no answer came (timeout, connection lost). */
  | { kind: 'no-answer'; reason: string }
  /** Not a transport failure (a bug, a test's unmatched request): never retried. */
  | { kind: 'other' };

/** Errors of the connect phase: the request body cannot have been sent. */
const NOT_SENT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'UND_ERR_CONNECT_TIMEOUT']);

/** The one place that knows gitbeaker's error shapes (and undici's, underneath fetch). */
export function classifyGitlabError(error: unknown, now = Date.now()): GitlabFailure {
  if (error instanceof GitbeakerRequestError && error.cause?.response) {
    const { response, description } = error.cause;
    const retryAfterMs = parseRetryAfter(response.headers.get('retry-after'), now);
    return { kind: 'answered', status: response.status, description, retryAfterMs };
  }
  if (error instanceof GitbeakerTimeoutError) return { kind: 'no-answer', reason: 'timeout' };
  if (error instanceof GitbeakerRetryError) {
    // Only gitbeaker's stock requester throws this, after its own 429/502 retries: GitLab did not act.
    const status = Number(/last status code: (\d{3})/.exec(error.message)?.[1] ?? 503);
    return { kind: 'answered', status, description: error.message, retryAfterMs: undefined };
  }
  if (error instanceof Error) {
    // Node's fetch (undici) rejects with TypeError('fetch failed') and the socket error as cause.
    const fetchFailed = error instanceof TypeError && error.message === 'fetch failed';
    const code = (fetchFailed ? (error.cause as { code?: unknown } | undefined) : (error as { code?: unknown }))?.code;
    const networkCode = typeof code === 'string' && /^(E[A-Z]+|UND_ERR_[A-Z_]+)$/.test(code) ? code : undefined;
    if (networkCode) return NOT_SENT_CODES.has(networkCode) ? { kind: 'not-sent', reason: networkCode } : { kind: 'no-answer', reason: networkCode };
    if (fetchFailed) return { kind: 'no-answer', reason: 'network error' };
  }
  return { kind: 'other' };
}

/** Retry-After is either delta-seconds or an HTTP date. */
export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  if (!value) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** What we were doing, to word messages and to choose what may be retried. */
export interface GitlabOperation {
  method: 'GET' | 'POST' | 'PUT';
  /** An infinitive for messages: "list the successful deployments to production". */
  action: string;
  /** As configured: a path (group/name) or a numeric id. */
  project: string;
  /** The object inside the project that a 404 may be about, e.g. "job #1001". */
  object?: string;
  /** A hint for a rejected request (400, 409, 422), e.g. which setting to check. */
  hint?: string;
  /** Where a person can check what happened (used when a POST's outcome is unknown). */
  checkUrl?: string;
}

/** A request that changes nothing, or sets what it sets whatever came before (a PUT), and so may be sent as often as it takes. */
export type GitlabRead = GitlabOperation & { method: 'GET' | 'PUT' };

/**
 * A POST was sent, GitLab's answer did not say whether it acted, and what it would have made
 * did not appear while the bot looked. Not retried (it is an ExecutorRefusal): a person checks
 * GitLab before asking again, so nothing runs twice.
 */
export class GitlabOutcomeUnknown extends ExecutorRefusal {
  static override readonly code: ErrorCode = 'GITLAB_OUTCOME_UNKNOWN';
}

/**
 * GitLab kept failing in a way that may pass (5xx, 429, network) after every retry, or a POST
 * never reached it: worth telling a person, and worth retrying later.
 */
export class GitlabUnavailableError extends BotError {
  static override readonly code: ErrorCode = 'EXECUTOR_UNAVAILABLE';
}

/** A 4xx other than 429: GitLab refused, and says (mostly) what to fix. Not worth retrying. */
export function isRefusal(status: number): boolean {
  return status < 500 && status !== 429;
}

/**
 * Runs one read under our policy: retried on 429, 5xx, timeouts and network errors, with delays
 * doubling from baseDelayMs and a longer Retry-After honoured (up to maxDelayMs). A 4xx is an
 * ExecutorRefusal that says what to fix, wrapping gitbeaker's error as `cause`. A change (a
 * POST) is never sent through here: see sendOnce.
 */
export async function withRetry<T>(op: GitlabRead, policy: RetryPolicy, log: Logger, call: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await call();
    } catch (error) {
      const failure = classifyGitlabError(error);
      if (failure.kind === 'other') throw error;
      if (failure.kind === 'answered' && isRefusal(failure.status))
        throw new ExecutorRefusal(refusalMessage(op, failure.status, failure.description), { cause: error });
      const reason = failureReason(failure);
      if (attempt >= policy.attempts) {
        throw new GitlabUnavailableError(`GitLab failed ${attempt} times (last: ${reason}) when asked to ${op.action} in ${op.project}`, { cause: error });
      }
      const delayMs = retryDelayMs(policy, attempt, failure);
      log.warn({ method: op.method, project: op.project, action: op.action, reason, attempt, delayMs }, 'GitLab request failed; retrying');
      await sleep(delayMs);
    }
  }
}

/** For logs and messages: "status 503", "timeout", "ECONNREFUSED". */
export function failureReason(failure: Exclude<GitlabFailure, { kind: 'other' }>): string {
  return failure.kind === 'answered' ? `status ${failure.status}` : failure.reason;
}

/** Doubles from baseDelayMs; a longer Retry-After is honoured; never above maxDelayMs. */
export function retryDelayMs(policy: RetryPolicy, attempt: number, failure: GitlabFailure): number {
  const backoffMs = policy.baseDelayMs * 2 ** (attempt - 1);
  const retryAfterMs = failure.kind === 'answered' ? (failure.retryAfterMs ?? 0) : 0;
  return Math.min(policy.maxDelayMs, Math.max(backoffMs, retryAfterMs));
}

/** A sentence a person can act on, for a 4xx answer. */
export function refusalMessage(op: GitlabOperation, status: number, description: string): string {
  const detail = conciseDescription(description);
  const said = detail ? ` (${status} ${detail})` : ` (${status})`;
  switch (status) {
    case 401:
      return `GitLab rejected GITLAB_TOKEN${said} when asked to ${op.action}: the token is invalid, expired or revoked; set a valid token with the api scope`;
    case 403:
      return (
        `GitLab refused to ${op.action} in ${op.project}${said}: the user of GITLAB_TOKEN lacks the permission ` +
        '(it needs the api scope, at least the Developer role, and the right to deploy if the environment is protected)'
      );
    case 404:
      if (!op.object || /project/i.test(description)) {
        return `GitLab project ${op.project} not found${said}: check gitlab.project in services.yaml and that GITLAB_TOKEN can read it`;
      }
      return `GitLab has no ${op.object} in project ${op.project}${said}: it may have been deleted; check that GITLAB_TOKEN can read it`;
    default:
      return `GitLab rejected the request to ${op.action} in ${op.project}${said}${op.hint ? `: ${op.hint}` : ''}`;
  }
}

/** GitLab's own words without the repeated status, or nothing if a proxy sent a page of HTML. */
function conciseDescription(description: string): string {
  const text = description.replace(/^\d{3}\s*/, '').trim();
  if (!text || text.startsWith('<')) return '';
  const line = text.split('\n', 1)[0] ?? '';
  return line.length > 200 ? `${line.slice(0, 200)}…` : line;
}
