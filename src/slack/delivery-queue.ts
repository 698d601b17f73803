import type { Logger } from 'pino';

/**
 * Thrown by a task that should run again later (429, a transient failure, a missing
 * prerequisite). A signal between a task and the queue, never shown to a person, so it
 * is no BotError and has no code.
 */
export class RetryLater extends Error {
  /** Waiting for a rate limit, not a failure: it does not use up an attempt. */
  readonly throttled: boolean;
  /** Waiting on another delivery or replica: tried again after the queue's interval per key. */
  readonly waiting: boolean;

  constructor(
    message: string,
    readonly afterMs?: number,
    options?: { cause?: unknown; throttled?: boolean; waiting?: boolean },
  ) {
    super(message, options);
    this.name = 'RetryLater';
    this.throttled = options?.throttled ?? false;
    this.waiting = options?.waiting ?? false;
  }

  /** A task that waits on another (the incident's message not posted yet, a lease another replica holds). */
  static waitingOn(what: string): RetryLater {
    return new RetryLater(what, undefined, { waiting: true });
  }
}

export interface DeliveryQueueOptions {
  log: Logger;
  /** Tasks in flight at once; most of them wait on rate limits, not on the CPU. */
  concurrency?: number;
  /**
   * At most one run per key in this interval: Slack wants about one update per second per
   * message. A task waiting on another is tried again after it too.
   */
  minIntervalPerKeyMs?: number;
  /** Attempts before a retryable task is dropped; unbounded by default, because Redis holds what Slack should show and the reconciler brings it there. */
  maxAttempts?: number;
  /** The longest wait between retries of a failing task. */
  maxBackoffMs?: number;
  onDrop?: (key: string, error: unknown) => void;
}

interface Entry {
  key: string;
  run: () => Promise<void>;
  notBefore: number;
  attempts: number;
  /** Its wait is a rate limit's answer to what it last tried to send, not a backoff. */
  throttled: boolean;
}

const BACKOFF_BASE_MS = 500;
const BACKOFF_MAX_MS = 30_000;

/**
 * The queue in front of Slack. A task brings one Slack object (a message, a thread) to
 * the state stored at the moment it runs, so a later task for the same key supersedes an
 * earlier one that has not started: updates coalesce and the latest state wins. Tasks of
 * one key never overlap, retries back off, and the last task of a key is never dropped
 * for being superseded; only a permanent error (or, where set, its last attempt) ends it.
 */
export class DeliveryQueue {
  private readonly pending = new Map<string, Entry>();
  private readonly running = new Set<string>();
  private readonly lastStart = new Map<string, number>();
  private readonly idleWaiters: Array<() => void> = [];
  private timer: NodeJS.Timeout | undefined;
  private pumpScheduled = false;
  private readonly concurrency: number;
  private readonly minIntervalMs: number;
  private readonly maxAttempts: number;
  private readonly maxBackoffMs: number;

  constructor(private readonly options: DeliveryQueueOptions) {
    this.concurrency = options.concurrency ?? 32;
    this.minIntervalMs = options.minIntervalPerKeyMs ?? 1_000;
    this.maxAttempts = options.maxAttempts ?? Number.POSITIVE_INFINITY;
    this.maxBackoffMs = options.maxBackoffMs ?? BACKOFF_MAX_MS;
  }

  get size(): number {
    return this.pending.size + this.running.size;
  }

  enqueue(key: string, run: () => Promise<void>): void {
    const existing = this.pending.get(key);
    const earliest = Math.max(Date.now(), (this.lastStart.get(key) ?? 0) + this.minIntervalMs);
    if (existing) {
      existing.run = run;
      existing.attempts = 0;
      // The budget's wait was for the change it saw; this one may change the state, which the budget lets go first.
      if (existing.throttled) existing.notBefore = earliest;
      existing.throttled = false;
    } else {
      this.pending.set(key, { key, run, notBefore: earliest, attempts: 0, throttled: false });
    }
    this.schedulePump();
  }

  /** Resolves true once nothing is pending or running, false when the deadline passes first. */
  drain(timeoutMs: number): Promise<boolean> {
    if (this.size === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const deadline = setTimeout(() => resolve(false), timeoutMs);
      this.idleWaiters.push(() => {
        clearTimeout(deadline);
        resolve(true);
      });
    });
  }

  private schedulePump(): void {
    if (this.pumpScheduled) return;
    this.pumpScheduled = true;
    setImmediate(() => {
      this.pumpScheduled = false;
      this.pump();
    });
  }

  private pump(): void {
    const now = Date.now();
    let nextWake = Number.POSITIVE_INFINITY;
    for (const entry of this.pending.values()) {
      if (this.running.size >= this.concurrency) break;
      if (this.running.has(entry.key)) continue;
      if (entry.notBefore > now) {
        nextWake = Math.min(nextWake, entry.notBefore);
        continue;
      }
      this.start(entry);
    }
    for (const [key, at] of this.lastStart) {
      if (now - at > this.minIntervalMs && !this.running.has(key)) this.lastStart.delete(key);
    }
    if (this.timer) clearTimeout(this.timer);
    this.timer = Number.isFinite(nextWake) ? setTimeout(() => this.pump(), nextWake - now) : undefined;
    if (this.size === 0) for (const wake of this.idleWaiters.splice(0)) wake();
  }

  private start(entry: Entry): void {
    this.pending.delete(entry.key);
    this.running.add(entry.key);
    this.lastStart.set(entry.key, Date.now());
    entry
      .run()
      .catch((error: unknown) => this.retryOrDrop(entry, error))
      .finally(() => {
        this.running.delete(entry.key);
        this.schedulePump();
      });
  }

  private retryOrDrop(entry: Entry, error: unknown): void {
    const newer = this.pending.get(entry.key);
    const retryable = error instanceof RetryLater;
    const attempts = retryable && error.throttled ? entry.attempts : entry.attempts + 1;
    if (!retryable || attempts >= this.maxAttempts) {
      if (newer) return;
      this.options.log.error({ err: error, key: entry.key, attempts }, 'Slack delivery dropped');
      this.options.onDrop?.(entry.key, error);
      return;
    }
    const delay = error.afterMs ?? (error.waiting ? this.minIntervalMs : Math.min(this.maxBackoffMs, BACKOFF_BASE_MS * 2 ** Math.min(attempts - 1, 16)));
    const notBefore = Date.now() + delay;
    if (!error.throttled) this.options.log.debug({ key: entry.key, attempts, delayMs: delay, reason: error.message }, 'Slack delivery retry scheduled');
    if (newer) {
      // A newer change asks the budget for itself; only a failure's backoff holds it back too.
      if (!error.throttled) newer.notBefore = Math.max(newer.notBefore, notBefore);
      return;
    }
    this.pending.set(entry.key, { ...entry, attempts, notBefore, throttled: error.throttled });
  }
}
