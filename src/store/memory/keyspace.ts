/** Milliseconds since the epoch; tests pass a clock they move by hand. */
export type Clock = () => number;

interface Slot {
  value: unknown;
  /** Epoch ms at which the key is gone; undefined for a key that never expires. */
  expiresAt: number | undefined;
}

/**
 * What the memory stores share, as the Redis adapters share one Redis: values by key, each
 * with the expiry Redis would give it (SET … PX, PEXPIRE, PERSIST), read against an
 * injectable clock. Stores that write each other's keys in Redis (a lease taken by one is
 * held for all) share one keyspace the same way.
 */
export class MemoryKeyspace {
  private readonly slots = new Map<string, Slot>();

  constructor(readonly now: Clock = Date.now) {}

  read<T>(key: string): T | undefined {
    return this.live(key)?.value as T | undefined;
  }

  /** SET: the value replaces what was there, with its own expiry (none unless given). */
  write(key: string, value: unknown, ttlMs?: number): void {
    this.slots.set(key, { value, expiresAt: this.expiryAfter(ttlMs) });
  }

  /** SET NX PX: false when the key is held. */
  writeIfAbsent(key: string, value: unknown, ttlMs?: number): boolean {
    if (this.live(key)) return false;
    this.write(key, value, ttlMs);
    return true;
  }

  /**
   * HSET, RPUSH, SADD, ZADD: changes the value in place and keeps its expiry; a missing key
   * is created by `create`, without expiry.
   */
  update<T>(key: string, create: () => T, change: (value: T) => void): void {
    let slot = this.live(key);
    if (!slot) {
      slot = { value: create(), expiresAt: undefined };
      this.slots.set(key, slot);
    }
    change(slot.value as T);
  }

  /** PEXPIRE: only a key that exists gets the expiry. */
  /** ZRANGEBYSCORE key since +inf LIMIT 0 limit, over a sorted set kept as member -> score: lowest score first, equal scores in member order. */
  rangeByScore(key: string, since: number, limit: number): string[] {
    const scores = this.read<Map<string, number>>(key) ?? new Map<string, number>();
    return [...scores.entries()]
      .filter(([, score]) => score >= since)
      .sort(([a, x], [b, y]) => x - y || (a < b ? -1 : a > b ? 1 : 0))
      .slice(0, limit)
      .map(([member]) => member);
  }

  expire(key: string, ttlMs: number): boolean {
    const slot = this.live(key);
    if (!slot) return false;
    slot.expiresAt = this.expiryAfter(ttlMs);
    return true;
  }

  /** PERSIST. */
  persist(key: string): void {
    const slot = this.live(key);
    if (slot) slot.expiresAt = undefined;
  }

  delete(key: string): void {
    this.slots.delete(key);
  }

  private expiryAfter(ttlMs: number | undefined): number | undefined {
    return ttlMs === undefined ? undefined : this.now() + ttlMs;
  }

  /** The key's slot unless it has expired; an expired key is dropped on the way, as Redis does lazily. */
  private live(key: string): Slot | undefined {
    const slot = this.slots.get(key);
    if (slot?.expiresAt !== undefined && slot.expiresAt <= this.now()) {
      this.slots.delete(key);
      return undefined;
    }
    return slot;
  }
}
