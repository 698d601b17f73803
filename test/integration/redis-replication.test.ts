/**
 * Writes confirmed by replicas (REDIS_WAIT_REPLICAS), against the test Redis, which has no
 * replica: a confirmation asked for never comes. The Sentinel test shows the other side,
 * writes confirmed by a real replica surviving a failover.
 */
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { StoreUnavailableError } from '../../src/errors.js';
import type { TimelineEntry } from '../../src/incidents/incident.js';
import { confirmWritesOn } from '../../src/store/redis-replication.js';
import { RedisStore } from '../../src/store/redis-store.js';
import { testRedisUrl } from '../support/redis.js';

const prefix = `test:${randomUUID()}:`;
const clients: Redis[] = [];

function storeOn(policy: { replicas: number; timeoutMs: number }) {
  const redis = new Redis(testRedisUrl());
  clients.push(redis);
  confirmWritesOn(redis, policy);
  return { redis, store: new RedisStore(redis, { keyPrefix: prefix, reopenWindowMs: 60_000, retentionMs: 60_000 }) };
}

const entry = (n: number): TimelineEntry => ({ at: new Date(n).toISOString(), kind: 'acknowledged', actor: 'U1' });

afterEach(() => {
  vi.restoreAllMocks();
});

afterAll(async () => {
  const keys = await clients[0]!.keys(`${prefix}*`);
  if (keys.length > 0) await clients[0]!.del(...keys);
  for (const client of clients) client.disconnect();
});

describe('writes confirmed by replicas', () => {
  it('fails a write no replica confirmed, as Redis unavailable, though the write was made', async () => {
    const { redis, store } = storeOn({ replicas: 1, timeoutMs: 50 });
    const error = await store.appendTimeline('1', [entry(1)]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StoreUnavailableError);
    expect(String((error as StoreUnavailableError).cause)).toContain('the write reached 0 of 1 replica(s) within 50 ms');
    // Not confirmed is not undone: a caller retrying must expect to find it (and Alertmanager's
    // retry of such a notification is answered `changed: false`).
    expect(await redis.llen(`${prefix}incident:1:timeline`)).toBe(1);
  });

  it('shares one WAIT among writes that complete together', async () => {
    const { redis, store } = storeOn({ replicas: 1, timeoutMs: 50 });
    const wait = vi.spyOn(redis, 'wait');
    const writes = Array.from({ length: 20 }, (_, i) => store.appendTimeline('2', [entry(i)]).catch((e: unknown) => e));
    const results = await Promise.all(writes);
    expect(results.every((r) => r instanceof StoreUnavailableError)).toBe(true);
    expect(wait.mock.calls.length).toBeGreaterThan(0);
    expect(wait.mock.calls.length).toBeLessThan(writes.length);
  });

  it('asks no replica when none is required, and never for leases', async () => {
    const none = storeOn({ replicas: 0, timeoutMs: 50 });
    const noWait = vi.spyOn(none.redis, 'wait');
    await none.store.appendTimeline('3', [entry(1)]);
    expect(noWait).not.toHaveBeenCalled();

    const one = storeOn({ replicas: 1, timeoutMs: 50 });
    const wait = vi.spyOn(one.redis, 'wait');
    const release = await one.store.lease(`lease-${randomUUID()}`, 10_000);
    expect(release).toBeDefined();
    await release?.();
    expect(wait).not.toHaveBeenCalled();
  });
});
