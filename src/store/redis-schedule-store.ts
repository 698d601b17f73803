import type { Redis } from 'ioredis';
import type { ScheduleMemory } from '../scheduler/scheduled-runbooks.js';
import { RedisBase } from './redis-base.js';

/**
 * What scheduled runs last found: one digest per runbook action, swapped with SET … GET so
 * that two replicas never both read the same previous digest. It lapses after the
 * retention period, after which the next run counts as changed and is posted.
 */
export class RedisScheduleStore extends RedisBase implements ScheduleMemory {
  constructor(
    redis: Redis,
    keyPrefix: string,
    private readonly retentionMs: number,
  ) {
    super(redis, keyPrefix);
  }

  async swapDigest(runbookId: string, actionId: string, digest: string): Promise<string | undefined> {
    const key = this.key('schedule', runbookId, actionId, 'digest');
    return (await this.write(() => this.redis.set(key, digest, 'PX', this.retentionMs, 'GET'))) ?? undefined;
  }
}
