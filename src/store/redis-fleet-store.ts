import type { Redis } from 'ioredis';
import type { HostOutcome, HostResultStore } from '../fleet/rollout-runner.js';
import { RedisBase } from './redis-base.js';

/** Per-host results of a rollout: a hash keyed by host, so a retry reads what succeeded. */
export class RedisHostResultStore extends RedisBase implements HostResultStore {
  constructor(
    redis: Redis,
    keyPrefix: string,
    private readonly retentionMs: number,
  ) {
    super(redis, keyPrefix);
  }

  async results(rolloutId: string): Promise<HostOutcome[]> {
    const raw = await this.guard(() => this.redis.hvals(this.key('rollout', rolloutId, 'hosts')));
    return raw.map((line) => JSON.parse(line) as HostOutcome);
  }

  async record(rolloutId: string, outcome: HostOutcome): Promise<void> {
    const key = this.key('rollout', rolloutId, 'hosts');
    await this.guard(() => this.redis.multi().hset(key, outcome.host, JSON.stringify(outcome)).pexpire(key, this.retentionMs).exec());
  }
}
