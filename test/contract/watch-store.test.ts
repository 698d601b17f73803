/**
 * The watches of rollbacks under verification, against Redis (shared by replicas) and its
 * memory twin: one watch per action, due in order, replaced only by the writer that read the
 * round it records, and gone once removed.
 */
import { describe, expect, it } from 'vitest';
import type { WatchStore } from '../../src/actions/watch-store.js';
import { MemoryKeyspace, MemoryWatchStore } from '../../src/store/memory/index.js';
import { RedisWatchStore } from '../../src/store/redis-watch-store.js';
import type { Round } from '../../src/verify/checks.js';
import type { Watch } from '../../src/verify/rollback-verification.js';
import { manualClock } from '../support/clock.js';
import { prefixedRedis } from '../support/redis.js';

const RETENTION_MS = 24 * 3_600_000;
const T0 = Date.parse('2026-11-22T10:00:00.000Z');
const { redis, newPrefix } = prefixedRedis('watch');

const round: Round = {
  verdict: 'fail',
  at: '2026-11-22T10:00:01.000Z',
  results: [
    { check: 'error-rate', value: 0.12, threshold: { max: 0.05 }, verdict: 'fail', query: 'q', graphUrl: 'http://prometheus.test/graph', noData: 'pause' },
  ],
};

const watch = (actionId: string, dueAt: number, rounds = 0): Watch => ({ actionId, dueAt, rounds });

describe.each([
  ['redis', (): WatchStore => new RedisWatchStore(redis, newPrefix(), RETENTION_MS)],
  ['memory', (): WatchStore => new MemoryWatchStore(new MemoryKeyspace(manualClock().now), RETENTION_MS)],
])('watch store (%s)', (_name, open) => {
  it('gives the due watches, the most overdue first, up to the limit', async () => {
    const store = open();
    await store.addWatch(watch('2', T0 + 2_000));
    await store.addWatch(watch('1', T0 + 1_000));
    await store.addWatch(watch('3', T0 + 5_000));
    expect(await store.dueWatches(T0, 10)).toEqual([]);
    expect((await store.dueWatches(T0 + 2_000, 10)).map((w) => w.actionId)).toEqual(['1', '2']);
    expect((await store.dueWatches(T0 + 9_000, 2)).map((w) => w.actionId)).toEqual(['1', '2']);
  });

  it('keeps the first watch of an action when it is added again', async () => {
    const store = open();
    await store.addWatch(watch('1', T0 + 1_000));
    await store.addWatch(watch('1', T0 + 9_000));
    expect(await store.getWatch('1')).toEqual(watch('1', T0 + 1_000));
  });

  it('records a round only over the round it read: a second writer of the same round is refused', async () => {
    const store = open();
    await store.addWatch(watch('1', T0 + 1_000));
    const next: Watch = { actionId: '1', dueAt: T0 + 2_000, rounds: 1, recovered: true, relapsed: round, last: round };
    expect(await store.saveWatch(next, 0)).toBe(true);
    expect(await store.saveWatch({ ...next, dueAt: T0 + 3_000 }, 0)).toBe(false);
    expect(await store.getWatch('1')).toEqual(next);
    expect(await store.dueWatches(T0 + 1_500, 10)).toEqual([]);
    expect(await store.dueWatches(T0 + 2_000, 10)).toEqual([next]);
    expect(await store.saveWatch(watch('9', T0), 0)).toBe(false);
    expect(await store.getWatch('9')).toBeUndefined();
  });

  it('forgets a removed watch', async () => {
    const store = open();
    await store.addWatch(watch('1', T0));
    await store.removeWatch('1');
    expect(await store.getWatch('1')).toBeUndefined();
    expect(await store.dueWatches(T0 + 60_000, 10)).toEqual([]);
    expect(await store.saveWatch(watch('1', T0, 1), 0)).toBe(false);
  });
});
