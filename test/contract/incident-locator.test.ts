/**
 * Which incident a thread or a war room belongs to, and the once-per-incident claim of a
 * captured message, against Redis and its memory twin: a thread is bound by storing the
 * incident message's reference, a room by bindRoom, and a message is claimed once.
 */
import { describe, expect, it } from 'vitest';
import type { CaptureClaims, IncidentLocator } from '../../src/incidents/locator.js';
import type { MessageRefStore } from '../../src/incidents/store.js';
import { MemoryIncidentLocator, memoryStores } from '../../src/store/memory/index.js';
import { RedisIncidentLocator } from '../../src/store/redis-locator.js';
import { RedisStore } from '../../src/store/redis-store.js';
import { manualClock } from '../support/clock.js';
import { prefixedRedis } from '../support/redis.js';
import { elapseRedis } from './stores.js';

const RETENTION_MS = 24 * 3_600_000;
const { redis, newPrefix } = prefixedRedis('locator');

interface Subject {
  refs: MessageRefStore;
  locator: IncidentLocator & CaptureClaims;
  /** Time passes: expiries are `ms` nearer, and the keys whose expiry passed are gone. */
  elapse: (ms: number) => Promise<void>;
}

/** How long an unconfirmed claim holds in these tests. */
const HOLD_MS = 60_000;

describe.each([
  [
    'redis',
    (): Subject => {
      const keyPrefix = newPrefix();
      return {
        refs: new RedisStore(redis, { keyPrefix, reopenWindowMs: 60_000, retentionMs: RETENTION_MS }),
        locator: new RedisIncidentLocator(redis, keyPrefix, RETENTION_MS),
        elapse: elapseRedis(redis, keyPrefix),
      };
    },
  ],
  [
    'memory',
    (): Subject => {
      const clock = manualClock();
      const stores = memoryStores({ clock: clock.now, retentionMs: RETENTION_MS });
      return { refs: stores.incidents, locator: new MemoryIncidentLocator(stores.keyspace, RETENTION_MS), elapse: async (ms) => clock.advance(ms) };
    },
  ],
])('incident locator (%s)', (_name, open) => {
  it("finds an incident by its message's thread once the message's reference is stored, and only that thread", async () => {
    const { refs, locator } = open();
    expect(await locator.incidentForThread('C1', '1700000000.000100')).toBeUndefined();
    await refs.setMessageRef('7', { channel: 'C1', ts: '1700000000.000100', version: 1 });
    await refs.setMessageRef('7', { channel: 'C1', ts: '1700000000.000100', version: 2 });
    expect(await locator.incidentForThread('C1', '1700000000.000100')).toBe('7');
    expect(await locator.incidentForThread('C2', '1700000000.000100')).toBeUndefined();
    expect(await locator.incidentForThread('C1', '1700000000.000200')).toBeUndefined();
    expect(await locator.incidentForRoom('C1')).toBeUndefined();
  });

  it('finds an incident by its war room once the room is bound', async () => {
    const { locator } = open();
    expect(await locator.incidentForRoom('C0ROOM')).toBeUndefined();
    await locator.bindRoom('C0ROOM', '12');
    expect(await locator.incidentForRoom('C0ROOM')).toBe('12');
    expect(await locator.incidentForThread('C0ROOM', '1700000000.000100')).toBeUndefined();
  });

  it('claims a message once per incident, and again after the claim is given back', async () => {
    const { locator } = open();
    expect(await locator.claimCapture('3', 'C1', '1700000000.000100', HOLD_MS)).toBe(true);
    expect(await locator.claimCapture('3', 'C1', '1700000000.000100', HOLD_MS)).toBe(false);
    expect(await locator.claimCapture('3', 'C1', '1700000000.000200', HOLD_MS)).toBe(true);
    expect(await locator.claimCapture('4', 'C1', '1700000000.000100', HOLD_MS)).toBe(true);
    await locator.releaseCapture('3', 'C1', '1700000000.000100');
    expect(await locator.claimCapture('3', 'C1', '1700000000.000100', HOLD_MS)).toBe(true);
  });

  it('lets an unconfirmed claim lapse after its hold, so a message whose entry was never written can be added; a confirmed one stays', async () => {
    const { locator, elapse } = open();
    expect(await locator.claimCapture('6', 'C1', '1.1', HOLD_MS)).toBe(true);
    expect(await locator.claimCapture('6', 'C1', '1.2', HOLD_MS)).toBe(true);
    await locator.confirmCapture('6', 'C1', '1.2');
    await elapse(HOLD_MS - 1_000);
    expect(await locator.claimCapture('6', 'C1', '1.1', HOLD_MS)).toBe(false);
    await elapse(1_000);
    expect(await locator.claimCapture('6', 'C1', '1.1', HOLD_MS)).toBe(true);
    expect(await locator.claimCapture('6', 'C1', '1.2', HOLD_MS)).toBe(false);
    await elapse(RETENTION_MS - HOLD_MS - 1_000);
    expect(await locator.claimCapture('6', 'C1', '1.2', HOLD_MS)).toBe(false);
  });

  it('gives one of two concurrent claims of a message', async () => {
    const { locator } = open();
    const claims = await Promise.all([locator.claimCapture('5', 'C1', '1.2', HOLD_MS), locator.claimCapture('5', 'C1', '1.2', HOLD_MS)]);
    expect(claims.filter(Boolean)).toHaveLength(1);
  });
});
