/**
 * Rate limits that never make a caller sleep: each answers "go now" (0) or how long to
 * wait. A delivery task that must wait gives its place back and runs again later, when
 * it renders the state of that moment rather than sending one rendered a minute ago.
 */

/**
 * Messages a FairShare keeps track of: far more than a window's budget, so the share each
 * gets is right whenever it matters; beyond it the oldest are forgotten, and a forgotten
 * message simply counts as not updated lately.
 */
const FAIR_SHARE_TRACKED = 2_000;

/** Sets `key` as the newest entry: Map order is then oldest first, so expiry and eviction take from the front. */
function touch(map: Map<string, number>, key: string, at: number, cap: number): void {
  map.delete(key);
  map.set(key, at);
  if (map.size > cap) map.delete(map.keys().next().value as string);
}

/** Drops entries from the front while they are at or before `until`. */
function expire(map: Map<string, number>, until: number): void {
  for (const [key, at] of map) {
    if (at > until) return;
    map.delete(key);
  }
}

/** At most one call per key (a channel) per interval, measured from the actual calls. */
export class IntervalLimiter {
  /** Oldest call first; a key whose interval has passed is forgotten. */
  private readonly last = new Map<string, number>();
  private readonly pausedUntil = new Map<string, number>();

  constructor(private readonly intervalMs: number) {}

  /** Keys remembered: those called within the interval, and those paused. */
  get size(): number {
    return this.last.size + this.pausedUntil.size;
  }

  /** 0 and the call is counted, or the milliseconds to wait. */
  tryAcquire(key: string, now = Date.now()): number {
    expire(this.last, now - this.intervalMs);
    const earliest = Math.max((this.last.get(key) ?? -Infinity) + this.intervalMs, this.pausedUntil.get(key) ?? 0);
    if (now < earliest) return earliest - now;
    touch(this.last, key, now, Number.POSITIVE_INFINITY);
    return 0;
  }

  /** After a 429: nothing for this key before `until`. */
  pauseUntil(key: string, until: number, now = Date.now()): void {
    for (const [k, at] of this.pausedUntil) if (at <= now) this.pausedUntil.delete(k);
    this.pausedUntil.set(key, Math.max(this.pausedUntil.get(key) ?? 0, until));
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
    private readonly tracked = FAIR_SHARE_TRACKED,
  ) {}

  /** Messages remembered, for the bound's sake: at most `tracked` of each kind. */
  get size(): { wanted: number; sent: number } {
    return { wanted: this.wanted.size, sent: this.lastSent.size };
  }

  /** 0 when `key` may be updated now, else the milliseconds to wait. Records the wish either way. */
  wait(key: string, now = Date.now()): number {
    touch(this.wanted, key, now, this.tracked);
    expire(this.wanted, now - this.windowMs);
    const interval = Math.max(this.minIntervalMs, (this.wanted.size * this.windowMs) / this.limit);
    const earliest = (this.lastSent.get(key) ?? -Infinity) + interval;
    return now < earliest ? earliest - now : 0;
  }

  sent(key: string, now = Date.now()): void {
    touch(this.lastSent, key, now, this.tracked);
    expire(this.lastSent, now - 2 * this.windowMs);
  }
}
