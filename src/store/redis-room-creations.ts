import type { Redis } from 'ioredis';
import { z } from 'zod';
import type { IncidentRoom } from '../incidents/incident.js';
import type { RoomCreations } from '../incidents/war-room.js';
import { RedisBase } from './redis-base.js';

const Created = z.object({ channel: z.string().min(1), name: z.string().min(1) });

/** The channel a war room's create answered, per incident, until long after any claim on the opening lapsed. */
export class RedisRoomCreations extends RedisBase implements RoomCreations {
  constructor(
    redis: Redis,
    keyPrefix: string,
    private readonly ttlMs: number,
  ) {
    super(redis, keyPrefix);
  }

  async remember(incidentId: string, room: IncidentRoom): Promise<void> {
    await this.write(() => this.redis.set(this.key('room-created', incidentId), JSON.stringify(room), 'PX', this.ttlMs));
  }

  async recall(incidentId: string): Promise<IncidentRoom | undefined> {
    const raw = await this.guard(() => this.redis.get(this.key('room-created', incidentId)));
    if (!raw) return undefined;
    // Anything else under the key (an older shape, a hand edit) is no channel to adopt: the opening lists instead.
    const parsed = Created.safeParse(JSON.parse(raw));
    return parsed.success ? parsed.data : undefined;
  }
}
