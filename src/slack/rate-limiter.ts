/**
 * Rate limits that never make a caller sleep: each answers "go now" (0) or how long to
 * wait. A delivery task that must wait gives its place back and runs again later, when
 * it renders the state of that moment rather than sending one rendered a minute ago.
 */

/** At most one call per key (a channel) per interval, measured from the actual calls. */
export class IntervalLimiter {
  private readonly last = new Map<string, number>();
  private readonly pausedUntil = new Map<string, number>();

  constructor(private readonly intervalMs: number) {}

  /** 0 and the call is counted, or the milliseconds to wait. */
  tryAcquire(key: string, now = Date.now()): number {
    const earliest = Math.max((this.last.get(key) ?? -Infinity) + this.intervalMs, this.pausedUntil.get(key) ?? 0);
    if (now < earliest) return earliest - now;
    this.last.set(key, now);
    this.prune(now);
    return 0;
  }

  /** After a 429: nothing for this key before `until`. */
  pauseUntil(key: string, until: number): void {
    this.pausedUntil.set(key, Math.max(this.pausedUntil.get(key) ?? 0, until));
  }

  private prune(now: number): void {
    if (this.last.size < 1_000) return;
    for (const [key, at] of this.last) if (at + this.intervalMs < now) this.last.delete(key);
    for (const [key, at] of this.pausedUntil) if (at < now) this.pausedUntil.delete(key);
  }
}

/** At most `limit` calls in any sliding window of `windowMs`; a caller may hold itself to fewer. */
export class WindowLimiter {
  private readonly calls: number[] = [];
  private pausedUntil = 0;

  constructor(
    private readonly limit: number,
    private readonly windowMs: number,
  ) {}

  tryAcquire(now = Date.now(), limit = this.limit): number {
    while (this.calls.length > 0 && (this.calls[0] ?? 0) <= now - this.windowMs) this.calls.shift();
    if (now < this.pausedUntil) return this.pausedUntil - now;
    // Once the calls before this one have left the window, fewer than `limit` remain in it.
    const over = this.calls.length - Math.min(limit, this.limit);
    if (over >= 0) return Math.max(1, (this.calls[over] ?? now) + this.windowMs - now);
    this.calls.push(now);
    return 0;
  }

  pauseUntil(until: number): void {
    this.pausedUntil = Math.max(this.pausedUntil, until);
  }
}

/**
 * Shares an update budget fairly between messages: while N messages want updates, each
 * gets at most one per N × window / limit. In a storm this keeps the budget from being
 * spent on early states of a few messages, so every message still gets its final one.
 */
export class FairShare {
  private readonly wanted = new Map<string, number>();
  private readonly lastSent = new Map<string, number>();

  constructor(
    private readonly limit: number,
    private readonly windowMs: number,
    private readonly minIntervalMs: number,
  ) {}

  /** 0 when `key` may be updated now, else the milliseconds to wait. Records the wish either way. */
  wait(key: string, now = Date.now()): number {
    this.wanted.set(key, now);
    for (const [k, at] of this.wanted) if (at <= now - this.windowMs) this.wanted.delete(k);
    const interval = Math.max(this.minIntervalMs, (this.wanted.size * this.windowMs) / this.limit);
    const earliest = (this.lastSent.get(key) ?? -Infinity) + interval;
    return now < earliest ? earliest - now : 0;
  }

  sent(key: string, now = Date.now()): void {
    this.lastSent.set(key, now);
    for (const [k, at] of this.lastSent) if (at <= now - 2 * this.windowMs) this.lastSent.delete(k);
  }
}
