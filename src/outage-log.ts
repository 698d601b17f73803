import type { Logger } from 'pino';
import { StoreUnavailableError } from './errors.js';

/** Whether `error`, or what it wraps, is Redis not answering. */
function isStoreOutage(error: unknown): error is Error {
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth += 1) {
    if (e instanceof StoreUnavailableError) return true;
  }
  return false;
}

/**
 * For work that runs again and again (a scheduled job, the reconciler): one warning when
 * it starts failing because Redis does not answer, and one line when it works again, not
 * a stack trace at every tick of an outage. The connection itself logs the outage too.
 */
export class OutageLog {
  private since: number | undefined;

  constructor(
    private readonly log: Logger,
    /** What stops, as the log says it: "scheduled job", "reconciliation". */
    private readonly what: string,
  ) {}

  /** True when `error` is a Redis outage, logged here once per outage; false for any other error, which the caller logs. */
  failed(error: unknown): boolean {
    if (!isStoreOutage(error)) return false;
    if (this.since === undefined) {
      this.since = Date.now();
      this.log.warn({ reason: error.message }, `${this.what} paused: Redis does not answer; tried again each time, and logged again once it works`);
    }
    return true;
  }

  succeeded(): void {
    if (this.since === undefined) return;
    this.log.info({ pausedMs: Date.now() - this.since }, `${this.what} working again: Redis answers`);
    this.since = undefined;
  }
}
