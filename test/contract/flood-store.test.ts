/**
 * Each channel's flood, against Redis (shared by replicas) and its memory twin: the window
 * of new incidents, one flood per channel that counts each incident once, its summary, the
 * critical incidents it still owes a message, and its roll-up's reference.
 */
import { describe, expect, it } from 'vitest';
import { MOST_SEVERE_KEPT, type FloodEntry, type FloodStore } from '../../src/slack/flood/flood-store.js';
import { MemoryFloodStore, MemoryKeyspace } from '../../src/store/memory/index.js';
import { RedisFloodStore } from '../../src/store/redis-flood-store.js';
import { manualClock } from '../support/clock.js';
import { prefixedRedis } from '../support/redis.js';

const RETENTION_MS = 24 * 3_600_000;
const WINDOW_MS = 60_000;
const T0 = Date.parse('2026-11-22T10:00:00.000Z');
const { redis, newPrefix } = prefixedRedis('flood');

function entry(id: string, overrides: Partial<FloodEntry> = {}): FloodEntry {
  return { incidentId: id, alertname: 'NodeDown', severity: 'warning', rank: 2, critical: false, service: 'payments', ...overrides };
}

describe.each([
  ['redis', (): FloodStore => new RedisFloodStore(redis, { keyPrefix: newPrefix(), retentionMs: RETENTION_MS })],
  ['memory', (): FloodStore => new MemoryFloodStore(new MemoryKeyspace(manualClock().now), RETENTION_MS)],
])('flood store (%s)', (_name, open) => {
  it('counts the incidents first seen in a channel within the window, each once', async () => {
    const store = open();
    expect(await store.note('C1', entry('1'), T0, WINDOW_MS)).toEqual({ newInWindow: 1 });
    expect(await store.note('C1', entry('2'), T0 + 1_000, WINDOW_MS)).toEqual({ newInWindow: 2 });
    expect(await store.note('C1', entry('2'), T0 + 2_000, WINDOW_MS)).toEqual({ newInWindow: 2 });
    expect(await store.note('C2', entry('3'), T0 + 2_000, WINDOW_MS)).toEqual({ newInWindow: 1 });
    // Incident 1 was first seen a whole window ago: it has left the window.
    expect(await store.note('C1', entry('4'), T0 + WINDOW_MS, WINDOW_MS)).toEqual({ newInWindow: 2 });
  });

  it('starts one flood per channel with the window’s incidents, and counts each incident once', async () => {
    const store = open();
    await store.note('C1', entry('1'), T0, WINDOW_MS);
    await store.note('C1', entry('2'), T0 + 1, WINDOW_MS);
    expect(await store.join('C1', entry('2'), T0 + 1, false)).toBeUndefined();
    const flood = await store.join('C1', entry('2'), T0 + 2, true);
    expect(flood).toBeDefined();
    expect(await store.join('C1', entry('2'), T0 + 3, true)).toBe(flood);
    expect(await store.join('C1', entry('3'), T0 + 4, false)).toBe(flood);
    expect((await store.summary(flood ?? '', 10))?.total).toBe(3);
    expect(await store.membership('1')).toBe(flood);
    expect(await store.membership('9')).toBeUndefined();
    expect(await store.note('C1', entry('3'), T0 + 5, WINDOW_MS)).toEqual({ memberOf: flood, newInWindow: 0, current: flood });
    expect(await store.note('C1', entry('4'), T0 + 5, WINDOW_MS)).toEqual({ newInWindow: 3, current: flood });
  });

  it('sums a flood up: counts by alertname and severity, the most severe incidents first, then the earliest', async () => {
    const store = open();
    const odd = 'Disk "full" / <!channel> & more';
    const flood = (await store.join('C1', entry('1'), T0, true)) ?? '';
    await store.join('C1', entry('2', { alertname: odd, severity: 'critical', rank: 4, critical: true }), T0 + 1, false);
    await store.join('C1', entry('3', { severity: 'info', rank: 1, service: undefined }), T0 + 2, false);
    await store.join('C1', entry('4', { alertname: odd, severity: 'critical', rank: 4, critical: true }), T0 + 3, false);
    await store.join('C1', entry('5'), T0 + 4, false);
    const summary = await store.summary(flood, 3);
    expect(summary).toMatchObject({ id: flood, channel: 'C1', startedAt: T0, total: 5, version: 5 });
    expect(summary?.counts.sort((a, b) => b.count - a.count || a.severity.localeCompare(b.severity))).toEqual([
      { alertname: odd, severity: 'critical', count: 2 },
      { alertname: 'NodeDown', severity: 'warning', count: 2 },
      { alertname: 'NodeDown', severity: 'info', count: 1 },
    ]);
    expect(summary?.worst).toEqual([
      entry('2', { alertname: odd, severity: 'critical', rank: 4, critical: true }),
      entry('4', { alertname: odd, severity: 'critical', rank: 4, critical: true }),
      entry('1'),
    ]);
    expect((await store.summary(flood, 0))?.worst).toEqual([]);
    expect(await store.summary('404', 3)).toBeUndefined();
  });

  it('lists the most counted kinds and the most severe incidents of a large flood, counting the rest without keeping them', async () => {
    const store = open();
    const many = MOST_SEVERE_KEPT * 3;
    const flood = (await store.join('C1', entry('0', { alertname: 'Kind0' }), T0, true)) ?? '';
    for (let i = 1; i < many; i += 1) await store.join('C1', entry(String(i), { alertname: `Kind${i % 40}` }), T0 + i, false);
    // The most severe joins last: it still heads the list, though the flood keeps only a few entries.
    await store.join('C1', entry('late', { severity: 'critical', rank: 4, critical: true }), T0 + many, false);
    const summary = await store.summary(flood, 3, 2);
    expect(summary).toMatchObject({ total: many + 1, version: many + 1, kinds: 41 });
    expect(await store.version(flood)).toBe(many + 1);
    expect(summary?.counts).toEqual([
      { alertname: 'Kind0', severity: 'warning', count: 2 },
      { alertname: 'Kind1', severity: 'warning', count: 2 },
    ]);
    expect(summary?.worst.map((e) => e.incidentId)).toEqual(['late', '0', '1']);
    expect((await store.summary(flood, many))?.worst).toHaveLength(MOST_SEVERE_KEPT);
    expect((await store.summary(flood, 3))?.counts).toHaveLength(41);
    expect(await store.version('404')).toBeUndefined();
  });

  it('keeps the critical incidents still owed a message, and the roll-up’s reference', async () => {
    const store = open();
    const flood = (await store.join('C1', entry('1', { critical: true, rank: 4, severity: 'critical' }), T0, true)) ?? '';
    await store.join('C1', entry('2', { critical: true, rank: 4, severity: 'critical' }), T0 + 1, false);
    await store.join('C1', entry('3'), T0 + 2, false);
    expect(await store.standing(flood)).toEqual({ startedAt: T0, criticalsWaiting: 2 });
    await store.posted(flood, '1');
    await store.posted(flood, '1');
    await store.setRollupRef(flood, { channel: 'C1', ts: '1700000000.000100', version: 3 });
    expect(await store.standing(flood)).toEqual({ startedAt: T0, criticalsWaiting: 1, rollup: { channel: 'C1', ts: '1700000000.000100', version: 3 } });
    expect(await store.getRollupRef(flood)).toEqual({ channel: 'C1', ts: '1700000000.000100', version: 3 });
    expect(await store.standing('404')).toBeUndefined();
  });

  it('ends only the flood it is told of; the next one is new and leaves the old one’s incidents where they were', async () => {
    const store = open();
    const first = (await store.join('C1', entry('1'), T0, true)) ?? '';
    await store.end('C1', 'another');
    expect((await store.note('C1', entry('2'), T0 + 1, WINDOW_MS)).current).toBe(first);
    await store.end('C1', first);
    expect((await store.note('C1', entry('3'), T0 + 2, WINDOW_MS)).current).toBeUndefined();
    expect(await store.join('C1', entry('3'), T0 + 2, false)).toBeUndefined();
    const second = (await store.join('C1', entry('3'), T0 + 3, true)) ?? '';
    expect(second).not.toBe(first);
    expect((await store.summary(second, 10))?.worst.map((e) => e.incidentId).sort()).toEqual(['2', '3']);
    expect((await store.summary(first, 10))?.total).toBe(1);
  });

  it('names the floods that counted an incident since a time, for the sweep', async () => {
    const store = open();
    const a = (await store.join('C1', entry('1'), T0, true)) ?? '';
    const b = (await store.join('C2', entry('2'), T0 + 10_000, true)) ?? '';
    expect((await store.changedSince(T0)).sort()).toEqual([a, b].sort());
    expect(await store.changedSince(T0 + 5_000)).toEqual([b]);
  });

  it('leases a roll-up message to one holder at a time', async () => {
    const store = open();
    const release = await store.lease('message:flood:1', 10_000);
    expect(release).toBeDefined();
    expect(await store.lease('message:flood:1', 10_000)).toBeUndefined();
    await release?.();
    expect(await store.lease('message:flood:1', 10_000)).toBeDefined();
  });
});
