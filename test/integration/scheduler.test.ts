import { Redis } from 'ioredis';
import { randomUUID } from 'node:crypto';
import cron from 'node-cron';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { everySeconds, Scheduler } from '../../src/scheduler/scheduler.js';
import { RedisStore } from '../../src/store/redis-store.js';
import { testRedisUrl } from '../support/redis.js';
import { waitFor } from '../support/wait.js';

const redis = new Redis(testRedisUrl());
afterAll(() => redis.disconnect());

/** A replica's scheduler, claiming ticks through the same Redis as the bot does. */
function replica(prefix: string): Scheduler {
  const store = new RedisStore(redis, { keyPrefix: prefix, reopenWindowMs: 60_000, retentionMs: 60_000 });
  return new Scheduler(async (key, ttlMs) => (await store.lease(`tick:${key}`, ttlMs)) !== undefined, pino({ level: 'silent' }));
}

describe('Scheduler', () => {
  it('runs each tick on exactly one of two replicas', async () => {
    const prefix = `test:${randomUUID()}:`;
    const runs: Array<{ replica: string; firedAt: string }> = [];
    const replicas = ['a', 'b'].map((name) => {
      const scheduler = replica(prefix);
      scheduler.add({ name: 'every-second', cron: '* * * * * *', run: async (firedAt) => void runs.push({ replica: name, firedAt: firedAt.toISOString() }) });
      return scheduler;
    });
    try {
      await waitFor(() => new Set(runs.map((r) => r.firedAt)).size >= 4, { timeoutMs: 8_000, message: 'four ticks' });
    } finally {
      await Promise.all(replicas.map((s) => s.stop()));
    }
    const ticks = runs.map((r) => r.firedAt);
    expect(ticks.length).toBe(new Set(ticks).size);
    const keys = await redis.keys(`${prefix}lease:tick:every-second:*`);
    expect(keys.length).toBeGreaterThanOrEqual(4);
    await redis.del(...keys);
  });

  it('writes an interval of whole seconds as a cron expression node-cron accepts', () => {
    expect(everySeconds(5_000)).toBe('*/5 * * * * *');
    expect(everySeconds(60_000)).toBe('*/60 * * * * *');
    expect([1_000, 7_000, 60_000].map((ms) => cron.validate(everySeconds(ms)))).toEqual([true, true, true]);
  });

  it('refuses an invalid cron expression by name', () => {
    expect(() => replica('test:x:').add({ name: 'broken', cron: 'every tuesday', run: async () => undefined })).toThrow(/Schedule "every tuesday" of broken/);
  });
});
