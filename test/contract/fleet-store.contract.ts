import { describe, expect, it } from 'vitest';
import type { HostOutcome } from '../../src/fleet/rollout-runner.js';
import { RETENTION_MS, type StoreFactory } from './stores.js';

const CLAIM_TTL_MS = 30_000;

const outcome = (host: string, ok: boolean, output = ok ? 'done' : 'read-only file system'): HostOutcome => ({
  host,
  ok,
  exitCode: ok ? 0 : 1,
  output,
  durationMs: 120,
});
const byHost = (outcomes: HostOutcome[]) => [...outcomes].sort((a, b) => a.host.localeCompare(b.host));

export function fleetStoreContract(factory: StoreFactory): void {
  describe('fleet store', () => {
    it('keeps a rollout’s state, replaced by each write, for the retention period after the last', async () => {
      const s = await factory.open();
      expect(await s.fleet.rolloutState('7')).toBeUndefined();
      await s.fleet.setRolloutState('7', { state: 'running', detail: 'started' });
      await s.elapse(RETENTION_MS - 1_000);
      await s.fleet.setRolloutState('7', { state: 'halted', detail: 'Halted after batch 2' });
      await s.elapse(RETENTION_MS - 1_000);
      expect(await s.fleet.rolloutState('7')).toEqual({ state: 'halted', detail: 'Halted after batch 2' });
      await s.elapse(2_000);
      expect(await s.fleet.rolloutState('7')).toBeUndefined();
    });

    it('keeps how a rollout ended as facts, as it keeps the words earlier releases stored', async () => {
      const s = await factory.open();
      const halted = {
        state: 'halted' as const,
        detail: {
          kind: 'fleet_halted' as const,
          reason: { kind: 'too_many_failures' as const, batch: 2, failures: 2, maxFailures: 1 },
          failed: ['web-2', 'web-3'],
        },
      };
      await s.fleet.setRolloutState('7', halted);
      expect(await s.fleet.rolloutState('7')).toEqual(halted);
      await s.fleet.setRolloutState('8', { state: 'paused', detail: 'stopped before the next batch: automation paused (maintenance)' });
      expect(await s.fleet.rolloutState('8')).toEqual({ state: 'paused', detail: 'stopped before the next batch: automation paused (maintenance)' });
    });

    it('gives a rollout’s claim to one process at a time; renewing keeps it, and it lapses when renewing stops', async () => {
      const s = await factory.open();
      const first = await s.fleet.claimRollout('7', CLAIM_TTL_MS);
      expect(first).toBeDefined();
      expect(await s.fleet.claimRollout('7', CLAIM_TTL_MS)).toBeUndefined();
      expect(await s.fleet.claimRollout('8', CLAIM_TTL_MS)).toBeDefined();

      // Renewed every two thirds of its time-to-live, it outlives that time-to-live.
      await s.elapse((CLAIM_TTL_MS * 2) / 3);
      expect(await first?.renew()).toBe(true);
      await s.elapse((CLAIM_TTL_MS * 2) / 3);
      expect(await s.fleet.claimRollout('7', CLAIM_TTL_MS)).toBeUndefined();

      await s.elapse(CLAIM_TTL_MS);
      const second = await s.fleet.claimRollout('7', CLAIM_TTL_MS);
      expect(second).toBeDefined();
      // The process that lost it learns so, and its release leaves the new holder's claim alone.
      expect(await first?.renew()).toBe(false);
      await first?.release();
      expect(await s.fleet.claimRollout('7', CLAIM_TTL_MS)).toBeUndefined();
      expect(await second?.renew()).toBe(true);
      await second?.release();
      expect(await s.fleet.claimRollout('7', CLAIM_TTL_MS)).toBeDefined();
    });

    it('marks hosts started, then keeps each one’s latest outcome; a host started without an outcome is unfinished', async () => {
      const s = await factory.open();
      expect(await s.fleet.results('7')).toEqual([]);
      expect(await s.fleet.unfinished('7')).toEqual([]);
      await s.fleet.started('7', []);
      await s.fleet.started('7', ['web-1', 'web-2', 'web-3']);
      expect((await s.fleet.unfinished('7')).sort()).toEqual(['web-1', 'web-2', 'web-3']);
      expect(await s.fleet.results('7')).toEqual([]);

      await s.fleet.record('7', outcome('web-1', true));
      await s.fleet.record('7', outcome('web-2', false));
      expect(byHost(await s.fleet.results('7'))).toEqual([outcome('web-1', true), outcome('web-2', false)]);
      expect(await s.fleet.unfinished('7')).toEqual(['web-3']);

      // A continued rollout starts web-2 again and records its new outcome in its place.
      await s.fleet.started('7', ['web-2']);
      expect((await s.fleet.unfinished('7')).sort()).toEqual(['web-2', 'web-3']);
      await s.fleet.record('7', outcome('web-2', true));
      expect(byHost(await s.fleet.results('7'))).toEqual([outcome('web-1', true), outcome('web-2', true)]);
      expect(await s.fleet.results('8')).toEqual([]);
    });

    it('keeps a rollout’s results for the retention period after the last write', async () => {
      const s = await factory.open();
      await s.fleet.started('7', ['web-1', 'web-2']);
      await s.elapse(RETENTION_MS - 1_000);
      await s.fleet.record('7', outcome('web-1', true));
      await s.elapse(RETENTION_MS - 1_000);
      expect(await s.fleet.results('7')).toEqual([outcome('web-1', true)]);
      expect(await s.fleet.unfinished('7')).toEqual(['web-2']);
      await s.elapse(2_000);
      expect(await s.fleet.results('7')).toEqual([]);
      expect(await s.fleet.unfinished('7')).toEqual([]);
    });
  });

  describe('schedule memory', () => {
    it('swaps a digest for the previous one, per runbook action', async () => {
      const s = await factory.open();
      expect(await s.schedule.swapDigest('nightly', 'check', 'a')).toBeUndefined();
      expect(await s.schedule.swapDigest('nightly', 'check', 'b')).toBe('a');
      expect(await s.schedule.swapDigest('nightly', 'check', 'b')).toBe('b');
      expect(await s.schedule.swapDigest('nightly', 'other', 'c')).toBeUndefined();
      expect(await s.schedule.swapDigest('weekly', 'check', 'd')).toBeUndefined();
    });

    it('gives overlapping swaps each a different previous digest', async () => {
      const s = await factory.open();
      await s.schedule.swapDigest('nightly', 'check', 'first');
      const previous = await Promise.all(['x', 'y', 'z'].map((digest) => s.schedule.swapDigest('nightly', 'check', digest)));
      expect(new Set(previous).size).toBe(3);
      expect(previous).toContain('first');
    });

    it('forgets a digest not swapped for the retention period, so the next run counts as changed', async () => {
      const s = await factory.open();
      await s.schedule.swapDigest('nightly', 'check', 'a');
      await s.elapse(RETENTION_MS - 1_000);
      expect(await s.schedule.swapDigest('nightly', 'check', 'b')).toBe('a');
      await s.elapse(RETENTION_MS + 1_000);
      expect(await s.schedule.swapDigest('nightly', 'check', 'c')).toBeUndefined();
    });
  });

  describe('leases', () => {
    it('lends a name to one holder until it is released', async () => {
      const s = await factory.open();
      const release = await s.incidents.lease('thread:1', 30_000);
      expect(release).toBeDefined();
      expect(await s.incidents.lease('thread:1', 30_000)).toBeUndefined();
      expect(await s.actions.lease('thread:1', 30_000)).toBeUndefined();
      expect(await s.incidents.lease('thread:2', 30_000)).toBeDefined();
      await release?.();
      expect(await s.actions.lease('thread:1', 30_000)).toBeDefined();
    });

    it('lapses after its time-to-live; the late holder’s release leaves the next holder’s lease alone', async () => {
      const s = await factory.open();
      const late = await s.incidents.lease('first-post:1', 60_000);
      await s.elapse(59_000);
      expect(await s.incidents.lease('first-post:1', 60_000)).toBeUndefined();
      await s.elapse(2_000);
      const next = await s.incidents.lease('first-post:1', 60_000);
      expect(next).toBeDefined();
      await late?.();
      expect(await s.incidents.lease('first-post:1', 60_000)).toBeUndefined();
      await next?.();
      expect(await s.incidents.lease('first-post:1', 60_000)).toBeDefined();
    });

    it('a renewable lease is held while renewed, for the time-to-live each renewal gives; it lapses when renewing stops', async () => {
      const s = await factory.open();
      const first = await s.actions.renewableLease('track:7', 15_000);
      expect(first).toBeDefined();
      expect(await s.actions.renewableLease('track:7', 15_000)).toBeUndefined();
      expect(await s.actions.lease('track:7', 15_000)).toBeUndefined();
      // The incident store's (the thread's lease over a retrospective draft) is the same lease.
      expect(await s.incidents.renewableLease('track:7', 15_000)).toBeUndefined();
      expect(await s.actions.renewableLease('track:8', 15_000)).toBeDefined();

      // Each renewal counts from now, with its own time-to-live (longer while backing off).
      await s.elapse(10_000);
      expect(await first?.renew(60_000)).toBe(true);
      await s.elapse(50_000);
      expect(await s.actions.renewableLease('track:7', 15_000)).toBeUndefined();
      expect(await first?.renew(15_000)).toBe(true);
      await s.elapse(16_000);
      const second = await s.actions.renewableLease('track:7', 15_000);
      expect(second).toBeDefined();

      // The holder that lost it learns so at its next renewal; its release leaves the new holder's lease alone.
      expect(await first?.renew(15_000)).toBe(false);
      await first?.release();
      expect(await s.actions.renewableLease('track:7', 15_000)).toBeUndefined();
      await second?.release();
      expect(await s.actions.renewableLease('track:7', 15_000)).toBeDefined();
    });
  });
}
