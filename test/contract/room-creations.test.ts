/**
 * The channel a war room's create answered, kept per incident for the attempt after a crash,
 * against Redis and its memory twin.
 */
import { describe, expect, it } from 'vitest';
import type { RoomCreations } from '../../src/incidents/war-room.js';
import { MemoryRoomCreations, memoryStores } from '../../src/store/memory/index.js';
import { RedisRoomCreations } from '../../src/store/redis-room-creations.js';
import { manualClock } from '../support/clock.js';
import { prefixedRedis } from '../support/redis.js';

const TTL_MS = 60_000;
const { redis, newPrefix } = prefixedRedis('room-creations');

describe.each([
  ['redis', (): RoomCreations => new RedisRoomCreations(redis, newPrefix(), TTL_MS)],
  ['memory', (): RoomCreations => new MemoryRoomCreations(memoryStores({ clock: manualClock().now }).keyspace, TTL_MS)],
])('room creations (%s)', (_name, open) => {
  it('recalls the last channel remembered for an incident, and none for another', async () => {
    const creations = open();
    expect(await creations.recall('7')).toBeUndefined();
    await creations.remember('7', { channel: 'C0ROOM1', name: 'inc-7-billing' });
    await creations.remember('7', { channel: 'C0ROOM2', name: 'inc-7-billing-2' });
    expect(await creations.recall('7')).toEqual({ channel: 'C0ROOM2', name: 'inc-7-billing-2' });
    expect(await creations.recall('8')).toBeUndefined();
  });
});
