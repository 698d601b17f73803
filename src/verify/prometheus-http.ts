/**
 * What the Prometheus clients share: one form POST to an API path with a bearer token and a
 * timeout, and the retry loop around it. Both send reads only, so a timeout, a dropped
 * connection, a 429 or a 5xx is worth trying again with backoff.
 */
import type { Logger } from 'pino';

export interface PrometheusClientOptions {
  /** Base URL without a trailing slash, e.g. http://prometheus:9090. */
  url: string;
  /** Sent as `Authorization: Bearer <token>`. */
  token?: string | undefined;
  /** Bound on one try. */
  timeoutMs: number;
  /** Tries after the first (default 2). */
  retries?: number;
  /** Wait before the first retry, doubled before each next one (default 250 ms). */
  backoffMs?: number;
  log?: Logger;
}

/** An HTTP answer, or why there was none. */
export type Exchange = { answered: true; status: number; text: string } | { answered: false; reason: string };

/** POST takes queries longer than a URL may be; Prometheus reads the same form either way. */
export async function postForm(options: PrometheusClientOptions, path: string, form: URLSearchParams): Promise<Exchange> {
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' };
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  try {
    const response = await fetch(`${options.url}${path}`, { method: 'POST', headers, body: form, signal: AbortSignal.timeout(options.timeoutMs) });
    return { answered: true, status: response.status, text: await response.text() };
  } catch (error) {
    const timedOut = error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError');
    return { answered: false, reason: timedOut ? `no answer within ${options.timeoutMs} ms` : describe(error) };
  }
}

/** One try's outcome: a result, or a failure worth trying again. */
export type Attempt<T> = { done: true; result: T } | { done: false; reason: string };

/**
 * Tries `once` up to `retries` more times with doubling backoff; `failed` hears of each
 * failed try. The last failure's reason, when no try succeeded.
 */
export async function withRetries<T>(
  options: PrometheusClientOptions,
  once: () => Promise<Attempt<T>>,
  failed: (reason: string, attempt: number) => void,
): Promise<{ done: true; result: T } | { done: false; reason: string }> {
  const retries = options.retries ?? 2;
  const backoffMs = options.backoffMs ?? 250;
  let reason = '';
  for (let attempt = 0; attempt <= retries; attempt++) {
    if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, backoffMs * 2 ** (attempt - 1)));
    const outcome = await once();
    if (outcome.done) return outcome;
    reason = outcome.reason;
    failed(reason, attempt + 1);
  }
  return { done: false, reason: `Prometheus did not answer after ${retries + 1} tries: ${reason}` };
}

/** Prometheus's own error, as ": errorType: error", when its body says one. */
export function said(parsed: { status: string; errorType?: string | undefined; error?: string | undefined } | undefined): string {
  return parsed?.status === 'error' && parsed.error ? `: ${parsed.errorType ? `${parsed.errorType}: ` : ''}${parsed.error}` : '';
}

function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause instanceof Error ? ` (${error.cause.message})` : '';
  return `${error.message}${cause}`;
}
