/**
 * Polling helper used by the tests instead of fixed sleeps.
 *
 * `waitFor(fn)` calls `fn` repeatedly until it returns (or resolves to) a
 * truthy value, and resolves with that value. A call that throws (or rejects)
 * counts as "not yet": the error is remembered and polling goes on. When the
 * deadline passes, it rejects with an Error carrying `message`, the last error
 * (also as `cause`) or the last value returned.
 *
 * Note: success means a *truthy* return value. An assertion-style callback
 * (`() => { expect(x).toBe(1) }`) returns undefined, so it must end with
 * `return true`.
 */

export interface WaitForOptions {
  /** Overall deadline in milliseconds (default 5000). */
  timeoutMs?: number;
  /** Delay between attempts in milliseconds (default 50). */
  intervalMs?: number;
  /** Prefix of the error thrown on timeout. */
  message?: string;
}

const TIMED_OUT = Symbol('waitFor attempt timed out');

export async function waitFor<T>(fn: () => T | Promise<T>, opts: WaitForOptions = {}): Promise<T> {
  const timeoutMs = opts.timeoutMs ?? 5000;
  const intervalMs = opts.intervalMs ?? 50;
  const started = Date.now();
  const deadline = started + timeoutMs;

  let attempts = 0;
  let lastError: unknown;
  let hasError = false;
  let lastValue: unknown;

  for (;;) {
    attempts += 1;
    try {
      const value = await withDeadline(fn, deadline);
      if (value === TIMED_OUT) {
        // A single attempt hung until the deadline; report it as such.
        hasError = true;
        lastError = new Error('the last attempt was still pending at the deadline');
      } else if (value) {
        return value;
      } else {
        hasError = false;
        lastError = undefined;
        lastValue = value;
      }
    } catch (err) {
      hasError = true;
      lastError = err;
    }

    const remaining = deadline - Date.now();
    if (remaining <= 0) break;
    await delay(Math.min(intervalMs, remaining));
  }

  const elapsed = Date.now() - started;
  const head = opts.message ?? 'waitFor: condition not met';
  const detail = hasError
    ? `last error: ${describeError(lastError)}`
    : `last value: ${describeValue(lastValue)}` +
      (lastValue === undefined ? ' (the callback must return a truthy value; assertion-style callbacks should end with `return true`)' : '');
  throw new Error(`${head} (timed out after ${elapsed} ms, ${attempts} attempt(s)); ${detail}`, {
    cause: hasError ? lastError : undefined,
  });
}

async function withDeadline<T>(fn: () => T | Promise<T>, deadline: number): Promise<T | typeof TIMED_OUT> {
  const result = fn();
  if (!isPromiseLike(result)) return result;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<typeof TIMED_OUT>((resolve) => {
    timer = setTimeout(() => resolve(TIMED_OUT), Math.max(0, deadline - Date.now()));
  });
  try {
    return await Promise.race([Promise.resolve(result), timeout]);
  } finally {
    if (timer) clearTimeout(timer);
  }
}

function isPromiseLike<T>(value: T | Promise<T>): value is Promise<T> {
  return typeof value === 'object' && value !== null && typeof (value as { then?: unknown }).then === 'function';
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function describeError(err: unknown): string {
  if (err instanceof Error) return err.message || err.name;
  return describeValue(err);
}

function describeValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  try {
    const json = JSON.stringify(value);
    if (json !== undefined) return json.length > 500 ? `${json.slice(0, 500)}…` : json;
  } catch {
    // fall through
  }
  return String(value);
}

/**
 * waitFor for a lookup that answers undefined until what it looks for exists (a `find` over
 * recorded calls): resolves with what was found. waitFor only resolves on a truthy value, so
 * the result is typed without the undefined.
 */
export async function found<T>(lookup: () => T | undefined | Promise<T | undefined>, opts: WaitForOptions): Promise<T> {
  return (await waitFor(lookup, opts)) as T;
}
