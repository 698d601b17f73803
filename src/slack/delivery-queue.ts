import type { Logger } from 'pino';
import { StoreUnavailableError } from '../errors.js';
import { DueHeap } from './due-heap.js';
import { RetryLater } from './retry-later.js';
import { ThrottleGates } from './throttle-gates.js';

export interface DeliveryQueueOptions {
  log: Logger;
  /** Tasks in flight at once; most of them wait on rate limits, not on the CPU. */
  concurrency?: number;
  /**
   * At most one run per key in this interval: Slack wants about one update per second per
   * message. A task waiting on another is tried again after it too, then less often.
   */
  minIntervalPerKeyMs?: number;
  /** Attempts before a retryable task is dropped; unbounded by default, because Redis holds what Slack should show and the reconciler brings it there. */
  maxAttempts?: number;
  /** The longest wait between retries of a failing or waiting task. */
  maxBackoffMs?: number;
  onDrop?: (key: string, error: unknown) => void;
}

interface Entry {
  key: string;
  run: () => Promise<void>;
  notBefore: number;
  attempts: number;
  /** Runs in a row that found it waiting on another task: the wait grows with them. */
  waits: number;
  /** Its wait is a rate limit's or another task's, not a failure's backoff: a newer change ends it. */
  yielding: boolean;
  /** Its current scheduling in the due heap. */
  seq: number;
}

const BACKOFF_BASE_MS = 500;
const BACKOFF_MAX_MS = 30_000;
/** Failures with no success between them for this long are an outage (not one message Slack dislikes): its end lets what backed off go at once. */
const OUTAGE_MS = 2_000;

/**
 * The queue in front of Slack. A task brings one Slack object (a message, a thread) to
 * the state stored at the moment it runs, so a later task for the same key supersedes an
 * earlier one that has not started: updates coalesce and the latest state wins. Tasks of
 * one key never overlap, retries back off, and the last task of a key is never dropped
 * for being superseded; only a permanent error (or, where set, its last attempt) ends it.
 * Tasks that met a shared rate limit wait at its gate and are let through one at a time.
 * Finding what is due costs what is due, not what is queued: a backlog of ten thousand
 * is cheap to hold.
 */
export class DeliveryQueue {
  /** Tasks not running and not held at a gate, by key. */
  private readonly pending = new Map<string, Entry>();
  /** Pending keys due now, in the order they became due. */
  private readonly ready = new Set<string>();
  /** Pending keys due later. */
  private readonly due = new DueHeap();
  /** Tasks waiting at a gate, let into `pending` by it. */
  private readonly held = new Map<string, Entry>();
  private readonly gates = new ThrottleGates();
  private readonly running = new Set<string>();
  private readonly lastStart = new Map<string, number>();
  private readonly idleWaiters: Array<() => void> = [];
  private readonly inFlight = new Set<Promise<void>>();
  private closed = false;
  private timer: NodeJS.Timeout | undefined;
  private pumpScheduled = false;
  private seq = 0;
  /** When tasks began failing with no success since. */
  private failingSince: number | undefined;
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
    return this.pending.size + this.held.size + this.running.size;
  }

  /** What the queue keeps beside its tasks, for the bounds' sake: start times of the last interval, and due times (stale ones included). */
  get bookkeeping(): { starts: number; dueTimes: number } {
    return { starts: this.lastStart.size, dueTimes: this.due.size };
  }

  /** A change to deliver: it supersedes a queued task of the key and ends its wait for a limit or another task. */
  enqueue(key: string, run: () => Promise<void>): void {
    const now = Date.now();
    const earliest = this.earliest(key, now);
    const held = this.held.get(key);
    if (held) this.held.delete(key);
    this.gates.leave(key, now);
    const existing = held ?? this.pending.get(key);
    if (existing) {
      // The wait was for what the task saw; this change may be one a limit lets go sooner.
      const notBefore = held || existing.yielding ? earliest : existing.notBefore;
      // Its failures are kept: a new change is no sign Slack is back, and a reset backoff would call a failing Slack many times a second.
      this.schedule(Object.assign(existing, { run, waits: 0, yielding: false, notBefore }), now);
    } else {
      this.schedule({ key, run, notBefore: earliest, attempts: 0, waits: 0, yielding: false, seq: 0 }, now);
    }
    this.schedulePump();
  }

  /** Whether a task of the key is queued or running. */
  has(key: string): boolean {
    return this.pending.has(key) || this.held.has(key) || this.running.has(key);
  }

  /** Something found behind (by a sweep, not a change): queued unless a task of the key is queued already. */
  ensure(key: string, run: () => Promise<void>): void {
    if (this.pending.has(key) || this.held.has(key)) return;
    this.enqueue(key, run);
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

  /**
   * Starts nothing more and resolves true once the tasks running now have ended, false when
   * the deadline passes first. For shutdown after drain(): a task cut off after Slack acted
   * but before it was recorded in Redis would be sent a second time by whoever tries next.
   */
  async close(timeoutMs: number): Promise<boolean> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    let deadline: NodeJS.Timeout | undefined;
    const timedOut = new Promise<false>((resolve) => {
      deadline = setTimeout(() => resolve(false), timeoutMs);
    });
    const ended = await Promise.race([Promise.allSettled(this.inFlight).then(() => true), timedOut]);
    clearTimeout(deadline);
    return ended;
  }

  private earliest(key: string, now: number): number {
    return Math.max(now, (this.lastStart.get(key) ?? 0) + this.minIntervalMs);
  }

  /** (Re)places a pending entry: ready now, or in the due heap; a previous place goes stale. */
  private schedule(entry: Entry, now: number): void {
    this.seq += 1;
    entry.seq = this.seq;
    this.pending.set(entry.key, entry);
    if (entry.notBefore <= now) {
      this.ready.add(entry.key);
      return;
    }
    this.ready.delete(entry.key);
    this.due.push(entry.notBefore, entry.key, entry.seq);
    const current = (key: string, seq: number) => this.pending.get(key)?.seq === seq;
    if (this.due.size > 2 * this.pending.size + 1_000) this.due.compact(current);
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
    if (this.closed) return;
    const now = Date.now();
    for (const key of this.gates.release(now)) {
      const entry = this.held.get(key);
      this.held.delete(key);
      if (entry) this.schedule({ ...entry, notBefore: this.earliest(key, now) }, now);
      else this.gates.leave(key, now);
    }
    for (const key of this.due.popDue(now, (k, seq) => this.pending.get(k)?.seq === seq)) this.ready.add(key);
    for (const key of this.ready) {
      if (this.running.size >= this.concurrency) break;
      const entry = this.pending.get(key);
      if (!entry) this.ready.delete(key);
      // A key's task that runs is followed by its newer one once it ends (start() pumps then).
      else if (!this.running.has(key)) this.start(entry);
    }
    for (const [key, at] of this.lastStart) {
      if (now - at <= this.minIntervalMs) break;
      if (!this.running.has(key)) this.lastStart.delete(key);
    }
    if (this.timer) clearTimeout(this.timer);
    const nextWake = Math.min(this.due.peekAt(), this.gates.nextOpening());
    this.timer = Number.isFinite(nextWake) ? setTimeout(() => this.pump(), Math.max(0, nextWake - now)) : undefined;
    if (this.size === 0) for (const wake of this.idleWaiters.splice(0)) wake();
  }

  private start(entry: Entry): void {
    this.pending.delete(entry.key);
    this.ready.delete(entry.key);
    this.running.add(entry.key);
    this.lastStart.delete(entry.key);
    this.lastStart.set(entry.key, Date.now());
    const done = entry
      .run()
      .then(
        () => {
          const now = Date.now();
          this.gates.leave(entry.key, now);
          this.recovered(now);
        },
        (error: unknown) => this.retryOrDrop(entry, error),
      )
      .finally(() => {
        this.running.delete(entry.key);
        this.inFlight.delete(done);
        this.schedulePump();
      });
    this.inFlight.add(done);
  }

  private retryOrDrop(entry: Entry, failure: unknown): void {
    const now = Date.now();
    const newer = this.pending.get(entry.key);
    // Redis away is a wait like Slack away: what Slack should show is still stored, and the task brings it there once Redis answers.
    const error = failure instanceof StoreUnavailableError ? new RetryLater('Redis did not answer', undefined, { cause: failure }) : failure;
    const retryable = error instanceof RetryLater;
    const attempts = retryable && (error.throttled || error.waiting) ? entry.attempts : entry.attempts + 1;
    if (!retryable || attempts >= this.maxAttempts) {
      this.gates.leave(entry.key, now);
      if (newer) return;
      this.options.log.error({ err: error, key: entry.key, attempts }, 'Slack delivery dropped');
      this.options.onDrop?.(entry.key, error);
      return;
    }
    const delay =
      error.afterMs ?? (error.waiting ? this.waitingDelay(entry.waits) : Math.min(this.maxBackoffMs, BACKOFF_BASE_MS * 2 ** Math.min(attempts - 1, 16)));
    if (!error.throttled) this.options.log.debug({ key: entry.key, attempts, delayMs: delay, reason: error.message }, 'Slack delivery retry scheduled');
    const yielding = error.throttled || error.waiting;
    if (!yielding) this.failingSince ??= now;
    if (error.gate !== undefined && error.throttled) {
      // Held at the gate even with a newer change queued: the gate must hear when it opens again.
      this.gates.hold(entry.key, error.gate, now, now + delay);
      if (newer) this.gates.leave(entry.key, now);
      else this.held.set(entry.key, { ...entry, attempts, yielding: true });
      return;
    }
    this.gates.leave(entry.key, now);
    if (newer) {
      // A newer change asks the limits for itself; only a failure's backoff holds it back too.
      if (!yielding && newer.notBefore < now + delay) this.schedule(Object.assign(newer, { notBefore: now + delay }), now);
      return;
    }
    this.schedule({ ...entry, attempts, notBefore: now + delay, yielding, waits: error.waiting ? entry.waits + 1 : 0 }, now);
  }

  /** A success after an outage: what backed off through it goes now, not at the end of its longest backoff. */
  private recovered(now: number): void {
    const since = this.failingSince;
    this.failingSince = undefined;
    if (since === undefined || now - since < OUTAGE_MS) return;
    for (const entry of this.pending.values()) {
      if (!entry.yielding && entry.attempts > 0 && entry.notBefore > now)
        this.schedule(Object.assign(entry, { notBefore: this.earliest(entry.key, now) }), now);
    }
  }

  /** Another task is likely done within the interval; if not, asking less often spares Redis. */
  private waitingDelay(waits: number): number {
    return Math.min(Math.max(this.maxBackoffMs, this.minIntervalMs), this.minIntervalMs * 2 ** Math.min(waits, 16));
  }
}
