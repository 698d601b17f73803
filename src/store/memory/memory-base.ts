import { randomUUID } from 'node:crypto';
import type { RenewableLease } from '../../actions/store.js';
import type { SlackMessageRef } from '../../incidents/store.js';
import type { MemoryKeyspace } from './keyspace.js';

/** The fields a reference keeps, as Redis keeps them: nothing a caller holds is shared. */
function copyRef(ref: SlackMessageRef): SlackMessageRef {
  return {
    channel: ref.channel,
    ts: ref.ts,
    ...(ref.version === undefined ? {} : { version: ref.version }),
    ...(ref.state === undefined ? {} : { state: ref.state }),
  };
}

/** A sequence's next value, as INCR gives it: 1 for the first. */
export function increment(keyspace: MemoryKeyspace, key: string): string {
  let next = 0;
  keyspace.update<{ value: number }>(
    key,
    () => ({ value: 0 }),
    (counter) => {
      counter.value += 1;
      next = counter.value;
    },
  );
  return String(next);
}

/** What every memory store shares, as RedisBase does for the Redis adapters: leases, message references, cursors. */
export abstract class MemoryBase {
  constructor(protected readonly keyspace: MemoryKeyspace) {}

  /** A short exclusive lease (the twin of SET NX PX); the returned function releases it if still ours. */
  async lease(name: string, ttlMs: number): Promise<(() => Promise<void>) | undefined> {
    const key = `lease:${name}`;
    const token = randomUUID();
    if (!this.keyspace.writeIfAbsent(key, token, ttlMs)) return undefined;
    return async () => this.releaseIfHeld(key, token);
  }

  /** A lease its holder renews; the twin of RedisBase's (SET NX PX, then a compare-and-PEXPIRE). */
  renewableLease(name: string, ttlMs: number): Promise<RenewableLease | undefined> {
    return this.renewableKey(`lease:${name}`, ttlMs);
  }

  protected async renewableKey(key: string, ttlMs: number): Promise<RenewableLease | undefined> {
    const token = randomUUID();
    if (!this.keyspace.writeIfAbsent(key, token, ttlMs)) return undefined;
    return {
      renew: async (nextTtlMs) => this.keyspace.read<string>(key) === token && this.keyspace.expire(key, nextTtlMs),
      release: async () => this.releaseIfHeld(key, token),
    };
  }

  /** Deletes a lease key only while it still holds our token (it may have lapsed and been taken). */
  protected releaseIfHeld(key: string, token: string): void {
    if (this.keyspace.read<string>(key) === token) this.keyspace.delete(key);
  }

  protected readMessageRef(key: string): SlackMessageRef | undefined {
    const ref = this.keyspace.read<SlackMessageRef>(key);
    return ref && copyRef(ref);
  }

  protected writeMessageRef(key: string, ref: SlackMessageRef, ttlMs: number): void {
    this.keyspace.write(key, copyRef(ref), ttlMs);
  }

  /** The twin of a sorted set of ids by when they changed, kept for `keepMs`. */
  protected noteChange(key: string, id: string, at: number, keepMs: number): void {
    this.keyspace.update<Record<string, number>>(
      key,
      () => ({}),
      (changes) => {
        changes[id] = at;
        for (const [other, when] of Object.entries(changes)) if (when < at - keepMs) delete changes[other];
      },
    );
  }

  protected changesSince(key: string, since: number): string[] {
    return Object.entries(this.keyspace.read<Record<string, number>>(key) ?? {})
      .filter(([, when]) => when >= since)
      .sort(([, a], [, b]) => a - b)
      .map(([id]) => id);
  }

  protected readCursor(key: string): number {
    return this.keyspace.read<number>(key) ?? 0;
  }

  protected writeCursor(key: string, cursor: number, ttlMs: number): void {
    this.keyspace.write(key, cursor, ttlMs);
  }
}
