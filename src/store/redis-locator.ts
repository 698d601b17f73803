import type { Redis } from 'ioredis';
import type { CaptureClaims, IncidentLocator } from '../incidents/locator.js';
import { locatorKeys } from './locator-keys.js';
import { RedisBase } from './redis-base.js';

/** The incident of a thread or a war room, and the messages captured per incident, in Redis. */
export class RedisIncidentLocator extends RedisBase implements IncidentLocator, CaptureClaims {
  constructor(
    redis: Redis,
    keyPrefix: string,
    private readonly retentionMs: number,
  ) {
    super(redis, keyPrefix);
  }

  async incidentForThread(channel: string, threadTs: string): Promise<string | undefined> {
    return (await this.guard(() => this.redis.get(this.key(...locatorKeys.thread(channel, threadTs))))) ?? undefined;
  }

  async incidentForRoom(channel: string): Promise<string | undefined> {
    return (await this.guard(() => this.redis.get(this.key(...locatorKeys.room(channel))))) ?? undefined;
  }

  async bindRoom(channel: string, incidentId: string): Promise<void> {
    await this.write(() => this.redis.set(this.key(...locatorKeys.room(channel)), incidentId, 'PX', this.retentionMs));
  }

  async claimCapture(incidentId: string, channel: string, ts: string, holdMs: number): Promise<boolean> {
    const key = this.key(...locatorKeys.capture(incidentId, channel, ts));
    return (await this.write(() => this.redis.set(key, '1', 'PX', holdMs, 'NX'))) === 'OK';
  }

  async confirmCapture(incidentId: string, channel: string, ts: string): Promise<void> {
    await this.write(() => this.redis.pexpire(this.key(...locatorKeys.capture(incidentId, channel, ts)), this.retentionMs));
  }

  async releaseCapture(incidentId: string, channel: string, ts: string): Promise<void> {
    await this.write(() => this.redis.del(this.key(...locatorKeys.capture(incidentId, channel, ts))));
  }
}
