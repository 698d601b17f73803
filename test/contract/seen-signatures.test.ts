/**
 * The record of accepted Slack signatures, against Redis (shared by replicas) and its
 * memory twin: a signature is accepted once while remembered, and again once forgotten.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import type { SeenSignatures } from '../../src/slack/request-signature.js';
import { MemoryKeyspace, MemorySeenSignatures } from '../../src/store/memory/index.js';
import { RedisSeenSignatures } from '../../src/store/redis-seen-signatures.js';
import { manualClock } from '../support/clock.js';
import { testRedisUrl } from '../support/redis.js';

const TTL_MS = 60_000;
const clients: Redis[] = [];
afterAll(() => {
  for (const client of clients) client.disconnect();
});

interface Opened {
  seen: SeenSignatures;
  /** Lets `ms` pass for the record: what would have expired by then is gone. */
  elapse(ms: number): Promise<void>;
}

/** Two replicas' views of one record on a fresh key prefix; `elapse` shortens the prefix's expiries as time would. */
function redisReplicas(): [Opened, SeenSignatures] {
  const prefix = `test:${randomUUID()}:`;
  const [a, b] = [new Redis(testRedisUrl()), new Redis(testRedisUrl())];
  clients.push(a, b);
  const elapse = async (ms: number) => {
    for (const key of await a.keys(`${prefix}*`)) {
      const ttl = await a.pttl(key);
      if (ttl <= ms) await a.del(key);
      else await a.pexpire(key, ttl - ms);
    }
  };
  return [{ seen: new RedisSeenSignatures(a, prefix), elapse }, new RedisSeenSignatures(b, prefix)];
}

function memory(): Opened {
  const clock = manualClock();
  return { seen: new MemorySeenSignatures(new MemoryKeyspace(clock.now)), elapse: async (ms) => clock.advance(ms) };
}

const signature = () => randomBytes(32).toString('hex');

describe.each([
  ['redis', () => redisReplicas()[0]],
  ['memory', memory],
])('seen signatures (%s)', (_name, open: () => Opened) => {
  it('accepts a signature once while it is remembered', async () => {
    const { seen } = open();
    const sig = signature();
    expect(await seen.firstSeen(sig, TTL_MS)).toBe(true);
    expect(await seen.firstSeen(sig, TTL_MS)).toBe(false);
    expect(await seen.firstSeen(signature(), TTL_MS)).toBe(true);
  });

  it('forgets a signature after its time, and not before', async () => {
    const { seen, elapse } = open();
    const sig = signature();
    expect(await seen.firstSeen(sig, TTL_MS)).toBe(true);
    await elapse(TTL_MS - 1_000);
    expect(await seen.firstSeen(sig, TTL_MS)).toBe(false);
    await elapse(1_000);
    expect(await seen.firstSeen(sig, TTL_MS)).toBe(true);
  });

  it('lets exactly one of many concurrent first sightings through', async () => {
    const { seen } = open();
    const sig = signature();
    const results = await Promise.all(Array.from({ length: 20 }, () => seen.firstSeen(sig, TTL_MS)));
    expect(results.filter(Boolean)).toHaveLength(1);
  });
});

describe('seen signatures in Redis', () => {
  it('is one record for every replica on the key prefix', async () => {
    const [{ seen: a }, b] = redisReplicas();
    const sig = signature();
    expect(await a.firstSeen(sig, TTL_MS)).toBe(true);
    expect(await b.firstSeen(sig, TTL_MS)).toBe(false);
    const other = signature();
    expect(await b.firstSeen(other, TTL_MS)).toBe(true);
    expect(await a.firstSeen(other, TTL_MS)).toBe(false);
  });
});
