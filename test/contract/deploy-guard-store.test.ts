/**
 * The deploy guard's store, against Redis (shared by replicas, kept over a restart) and its
 * memory twin: arming that only moves forward, failures in a row per slot, one evaluation
 * per slot, one rollback per deploy, and disarming that spares a newer deploy.
 */
import { describe, expect, it } from 'vitest';
import { MemoryDeployGuardStore, MemoryKeyspace } from '../../src/store/memory/index.js';
import { RedisDeployGuardStore } from '../../src/store/redis-deploy-guard-store.js';
import type { ArmedDeploy, DeployGuardStore } from '../../src/verify/deploy-guard-store.js';
import { manualClock } from '../support/clock.js';
import { prefixedRedis } from '../support/redis.js';

const RETENTION_MS = 24 * 3_600_000;
const T0 = Date.parse('2026-11-22T10:00:00.000Z');
const { redis, newPrefix } = prefixedRedis('deploy-guard');

function deploy(deploymentId: number, overrides: Partial<ArmedDeploy> = {}): ArmedDeploy {
  return { service: 'payments', deploymentId, sha: 'c0ffee00', ref: 'main', armedAt: T0, until: T0 + 30 * 60_000, ...overrides };
}

describe.each([
  ['redis', (): DeployGuardStore => new RedisDeployGuardStore(redis, newPrefix(), RETENTION_MS)],
  ['memory', (): DeployGuardStore => new MemoryDeployGuardStore(new MemoryKeyspace(manualClock().now), RETENTION_MS)],
])('deploy guard store (%s)', (_name, open) => {
  it('arms a newer deploy, and neither the same one again nor an older one', async () => {
    const store = open();
    expect(await store.arm(deploy(10))).toBe('armed');
    expect(await store.arm(deploy(10))).toBe('same');
    expect(await store.arm(deploy(9))).toBe('newer');
    expect(await store.arm(deploy(11, { sha: 'beef0000' }))).toBe('armed');
    expect(await store.armed()).toEqual([{ ...deploy(11, { sha: 'beef0000' }), failures: 0, lastSlot: -1 }]);
  });

  it('counts failures in a row per slot: a pass starts again, no data changes nothing, an old slot is not counted', async () => {
    const store = open();
    await store.arm(deploy(10));
    expect(await store.record('payments', 10, 1, 'fail')).toBe(1);
    expect(await store.record('payments', 10, 2, 'no-data')).toBe(1);
    expect(await store.record('payments', 10, 3, 'fail')).toBe(2);
    expect(await store.record('payments', 10, 3, 'fail')).toBeUndefined();
    expect(await store.record('payments', 10, 2, 'fail')).toBeUndefined();
    expect(await store.record('payments', 10, 4, 'pass')).toBe(0);
    expect(await store.record('payments', 9, 5, 'fail')).toBeUndefined();
    expect((await store.armed())[0]).toMatchObject({ failures: 0, lastSlot: 4 });
  });

  it('lets one caller claim each evaluation slot, and one ever roll a deploy back', async () => {
    const store = open();
    expect(await store.claimEvaluation('payments', 10, 7, 60_000)).toBe(true);
    expect(await store.claimEvaluation('payments', 10, 7, 60_000)).toBe(false);
    expect(await store.claimEvaluation('payments', 10, 8, 60_000)).toBe(true);
    expect(await store.claimRollback('payments', 10)).toBe(true);
    expect(await store.claimRollback('payments', 10)).toBe(false);
    expect(await store.claimRollback('payments', 11)).toBe(true);
  });

  it('disarms the deploy it names, spares a newer one, and never arms a disarmed deploy again', async () => {
    const store = open();
    await store.arm(deploy(10));
    await store.disarm('payments', 10);
    expect(await store.armed()).toEqual([]);
    expect(await store.record('payments', 10, 1, 'fail')).toBeUndefined();
    expect(await store.arm(deploy(10))).toBe('same');
    expect(await store.arm(deploy(11))).toBe('armed');
    await store.disarm('payments', 10);
    expect((await store.armed()).map((g) => g.deploymentId)).toEqual([11]);
  });

  it('keeps each service apart', async () => {
    const store = open();
    await store.arm(deploy(10));
    await store.arm(deploy(3, { service: 'checkout' }));
    expect((await store.armed()).map((g) => `${g.service}:${g.deploymentId}`).sort()).toEqual(['checkout:3', 'payments:10']);
  });
});
