import type { Redis } from 'ioredis';
import type { SeenSignatures } from '../slack/request-signature.js';
import { RedisBase } from './redis-base.js';

/** Accepted Slack signatures, one key each (SET NX PX): every replica on the key prefix sees each one. */
export class RedisSeenSignatures extends RedisBase implements SeenSignatures {
  constructor(redis: Redis, keyPrefix: string) {
    super(redis, keyPrefix);
  }

  async firstSeen(signature: string, ttlMs: number): Promise<boolean> {
    // Confirmed by the replicas like any claim: a record lost in a failover would let a replay through.
    const set = await this.write(() => this.redis.set(this.key('slack', 'signature', signature), '1', 'PX', ttlMs, 'NX'));
    return set === 'OK';
  }
}
