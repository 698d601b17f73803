import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { z } from 'zod';
import { StoredDocumentError, StoreUnavailableError } from '../errors.js';
import type { RenewableLease } from '../actions/store.js';
import type { SlackMessageRef } from '../incidents/store.js';
import { writesReplicated } from './redis-replication.js';
import { StoredCursor } from './schema.js';

const RELEASE_SCRIPT = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`;

/** `value` checked against its schema; one that does not fit is named by its key rather than passed on. */
function checked<S extends z.ZodType>(schema: S, key: string, value: unknown): z.output<S> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  throw new StoredDocumentError(
    key,
    parsed.error.issues.map((issue) => `${issue.path.join('.') || '(value)'}: ${issue.message}`),
  );
}

const RENEW_SCRIPT = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0
`;

interface BaseScripts {
  chatopsReleaseLease(key: string, token: string): Promise<number>;
  chatopsRenewLease(key: string, token: string, ttlMs: number): Promise<number>;
}

/** What every Redis adapter shares: the key prefix, error wrapping and leases. */
export abstract class RedisBase {
  private readonly baseScripts: BaseScripts;

  constructor(
    protected readonly redis: Redis,
    protected readonly keyPrefix: string,
  ) {
    redis.defineCommand('chatopsReleaseLease', { numberOfKeys: 1, lua: RELEASE_SCRIPT });
    redis.defineCommand('chatopsRenewLease', { numberOfKeys: 1, lua: RENEW_SCRIPT });
    this.baseScripts = redis as unknown as BaseScripts;
  }

  protected key(...parts: string[]): string {
    return this.keyPrefix + parts.join(':');
  }

  protected async guard<T>(operation: () => Promise<T>): Promise<T> {
    try {
      return await operation();
    } catch (error) {
      throw new StoreUnavailableError(error);
    }
  }

  /**
   * A write, done once the replicas the connection asks for have it too (see replication.ts).
   * Leases are the exception: one lost in a failover lapses like any other, while one set
   * but not confirmed would stay held by nobody until it lapsed.
   */
  protected write<T>(operation: () => Promise<T>): Promise<T> {
    return this.guard(async () => {
      const result = await operation();
      await writesReplicated(this.redis);
      return result;
    });
  }

  /** A JSON document read from `key`, checked against its schema: a broken one is named, not passed on. */
  protected parse<S extends z.ZodType>(schema: S, key: string, raw: string): z.output<S> {
    let json: unknown;
    try {
      json = JSON.parse(raw);
    } catch (error) {
      throw new StoredDocumentError(key, ['not JSON'], { cause: error });
    }
    return checked(schema, key, json);
  }

  /** A short exclusive lease (SET NX PX); the returned function releases it if still ours. */
  async lease(name: string, ttlMs: number): Promise<(() => Promise<void>) | undefined> {
    const key = this.key('lease', name);
    const token = randomUUID();
    const ok = await this.guard(() => this.redis.set(key, token, 'PX', ttlMs, 'NX'));
    if (ok !== 'OK') return undefined;
    return () => this.releaseIfHeld(key, token);
  }

  /** A lease (SET NX PX) its holder renews with a compare-and-PEXPIRE; the twin of the memory one. */
  renewableLease(name: string, ttlMs: number): Promise<RenewableLease | undefined> {
    return this.renewableKey(this.key('lease', name), ttlMs);
  }

  protected async renewableKey(key: string, ttlMs: number): Promise<RenewableLease | undefined> {
    const token = randomUUID();
    const ok = await this.guard(() => this.redis.set(key, token, 'PX', ttlMs, 'NX'));
    if (ok !== 'OK') return undefined;
    return {
      renew: async (nextTtlMs) => (await this.guard(() => this.baseScripts.chatopsRenewLease(key, token, nextTtlMs))) === 1,
      release: () => this.releaseIfHeld(key, token),
    };
  }

  /** Deletes a lease key only while it still holds our token (it may have lapsed and been taken). */
  protected async releaseIfHeld(key: string, token: string): Promise<void> {
    await this.guard(() => this.baseScripts.chatopsReleaseLease(key, token));
  }

  /** Where something was posted in Slack (a hash of channel and ts). */
  protected async readMessageRef(key: string): Promise<SlackMessageRef | undefined> {
    const ref = await this.guard(() => this.redis.hgetall(key));
    if (!ref.channel || !ref.ts) return undefined;
    const version = Number(ref.version);
    return {
      channel: ref.channel,
      ts: ref.ts,
      ...(ref.version !== undefined && Number.isSafeInteger(version) ? { version } : {}),
      ...(ref.state ? { state: ref.state } : {}),
    };
  }

  protected async writeMessageRef(key: string, ref: SlackMessageRef, ttlMs: number): Promise<void> {
    const fields = [
      'channel',
      ref.channel,
      'ts',
      ref.ts,
      ...(ref.version === undefined ? [] : ['version', String(ref.version)]),
      ...(ref.state === undefined ? [] : ['state', ref.state]),
    ];
    // Replaced whole, as the memory twin does: a field the new reference lacks must not outlive it.
    await this.write(() =>
      this.redis
        .multi()
        .del(key)
        .hset(key, ...fields)
        .pexpire(key, ttlMs)
        .exec(),
    );
  }

  /** A sorted set of ids by when they changed, kept for `keepMs`: what a sweep looks at beside the open ones. */
  protected async noteChange(key: string, id: string, at: number, keepMs: number): Promise<void> {
    await this.write(() =>
      this.redis
        .multi()
        .zadd(key, at, id)
        .zremrangebyscore(key, '-inf', `(${at - keepMs}`)
        .exec(),
    );
  }

  protected async changesSince(key: string, since: number): Promise<string[]> {
    return this.guard(() => this.redis.zrangebyscore(key, since, '+inf'));
  }

  /** How far a thread has been replied (a count of timeline entries). */
  protected async readCursor(key: string): Promise<number> {
    const raw = await this.guard(() => this.redis.get(key));
    return raw === null ? 0 : checked(StoredCursor, key, raw);
  }

  protected async writeCursor(key: string, cursor: number, ttlMs: number): Promise<void> {
    await this.write(() => this.redis.set(key, String(cursor), 'PX', ttlMs));
  }
}
