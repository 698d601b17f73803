const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Spaces calls per key (a channel) by a fixed interval, by reservation: each caller
 * takes the next free slot, so concurrent callers queue up instead of racing.
 */
export class IntervalLimiter {
  private readonly nextFree = new Map<string, number>();

  constructor(private readonly intervalMs: number) {}

  async acquire(key: string): Promise<void> {
    const now = Date.now();
    const slot = Math.max(now, this.nextFree.get(key) ?? 0);
    this.nextFree.set(key, slot + this.intervalMs);
    if (slot > now) await sleep(slot - now);
    this.prune(now);
  }

  /** After a 429: nothing for this key before `until`. */
  pauseUntil(key: string, until: number): void {
    this.nextFree.set(key, Math.max(this.nextFree.get(key) ?? 0, until));
  }

  private prune(now: number): void {
    if (this.nextFree.size < 1_000) return;
    for (const [key, at] of this.nextFree) if (at < now) this.nextFree.delete(key);
  }
}

/** At most `limit` calls in any sliding window of `windowMs`, by reservation. */
export class WindowLimiter {
  private readonly slots: number[] = [];
  private pausedUntil = 0;

  constructor(
    private readonly limit: number,
    private readonly windowMs: number,
  ) {}

  async acquire(): Promise<void> {
    const now = Date.now();
    while (this.slots.length > 0 && (this.slots[0] ?? 0) <= now - this.windowMs) this.slots.shift();
    const windowFull = this.slots.length >= this.limit ? (this.slots[this.slots.length - this.limit] ?? 0) + this.windowMs : 0;
    const slot = Math.max(now, this.pausedUntil, windowFull);
    this.slots.push(slot);
    if (slot > now) await sleep(slot - now);
  }

  pauseUntil(until: number): void {
    this.pausedUntil = Math.max(this.pausedUntil, until);
  }
}
