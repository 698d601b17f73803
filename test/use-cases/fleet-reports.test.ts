/**
 * What FleetExecutor reports, over the memory stores and a recording runner: a rollout
 * whose failures max_failures tolerated names them and tells the metrics so; a continued
 * plan dry-runs only the hosts it will run.
 * End to end over real sshd hosts: test/integration/fleet-reports.test.ts.
 */
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { ExecutionPlan, RunContext, RunStatus } from '../../src/actions/executor.js';
import { FleetExecutor, type FleetObserver } from '../../src/fleet/executor.js';
import type { BatchRun, HostOutcome } from '../../src/fleet/rollout-runner.js';
import { parseRunbook } from '../../src/runbooks/loader.js';
import { createCatalog, parseServicesFile } from '../../src/services/catalog.js';
import { memoryStores, type MemoryStores } from '../../src/store/memory/index.js';
import { found } from '../support/wait.js';

const RUNBOOK = parseRunbook(
  `id: restart
title: Leaking workers
match:
  - label: alertname
    equals: MemoryLeak
actions:
  - id: restart
    title: Restart workers
    kind: fleet
    command: systemctl restart worker
    targets:
      from: service-hosts
      service: web
    rollout:
      canary: 1
      batches: [2, "100%"]
      max_failures: 1
      pause: 0s
    timeout: 30s
`,
  'restart.yaml',
);

const INVENTORY = createCatalog(
  parseServicesFile(
    `services:
  web:
    channel: C0WEB
    approvers: [U0BOB]
    hosts: [web-1, web-2, web-3, web-4, web-5]
`,
    'services.yaml',
  ),
  'C0INCIDENTS',
);

const ACTION_ID = '7';
const context: RunContext = { actionId: ACTION_ID, report: async () => undefined, stoppedByPause: async () => undefined };

function setUp(failing: string[] = []) {
  const stores: MemoryStores = memoryStores();
  const ran: Array<{ hosts: readonly string[]; command: string }> = [];
  const run: BatchRun = async (hosts, command) => {
    ran.push({ hosts, command });
    return hosts.map((host): HostOutcome => {
      const ok = !failing.includes(host);
      return { host, ok, exitCode: ok ? 0 : 5, output: ok ? 'done' : 'unit worker.service not found', durationMs: 1 };
    });
  };
  const ends: string[] = [];
  const observer: FleetObserver = { hostsRan: () => undefined, rolloutEnded: (end) => void ends.push(end) };
  const executor = new FleetExecutor({
    runbooks: [RUNBOOK],
    inventory: INVENTORY,
    runnerFor: () => run,
    results: stores.fleet,
    rollouts: stores.fleet,
    pausedBy: () => stores.actions.killSwitch(),
    log: pino({ level: 'silent' }),
    observer,
  });
  const plan = (continues?: string) =>
    executor.plan({
      kind: 'fleet',
      fleet: { runbookId: 'restart', actionId: 'restart', labels: {}, args: {}, instances: [], hosts: [], ...(continues ? { continues } : {}) },
    });
  const ended = (p: ExecutionPlan) =>
    found(
      async () => {
        const status: RunStatus = await executor.status(p, { id: ACTION_ID, url: '', params: {} }, context);
        return status.state === 'running' ? undefined : status;
      },
      { timeoutMs: 5_000, intervalMs: 5, message: 'the rollout never ended' },
    );
  return { stores, ran, ends, executor, plan, ended };
}

const outcome = (host: string, ok: boolean): HostOutcome => ({ host, ok, exitCode: ok ? 0 : 9, output: '', durationMs: 1 });

describe('FleetExecutor reports', () => {
  it('a rollout that ran to its end with failures max_failures tolerated names each failed host and its exit', async () => {
    const t = setUp(['web-3']);
    const plan = await t.plan();
    await t.executor.run(plan, context);
    expect(await t.ended(plan)).toEqual({
      state: 'succeeded',
      detail: { kind: 'fleet_succeeded', hosts: 5, skipped: 0, failed: [{ host: 'web-3', exitCode: 5 }] },
    });
    expect(t.ends).toEqual(['succeeded_with_failures']);
  });

  it('a rollout without failures ends as before, and the metrics say succeeded', async () => {
    const t = setUp();
    const plan = await t.plan();
    await t.executor.run(plan, context);
    expect(await t.ended(plan)).toEqual({ state: 'succeeded', detail: { kind: 'fleet_succeeded', hosts: 5, skipped: 0 } });
    expect(t.ends).toEqual(['succeeded']);
  });

  it('a continued rollout names the hosts that failed within max_failures, and counts those it skipped', async () => {
    const t = setUp(['web-4']);
    for (const o of [outcome('web-1', true), outcome('web-2', true), outcome('web-3', false)]) await t.stores.fleet.record('5', o);
    const plan = await t.plan('5');
    await t.executor.run(plan, context);
    expect(await t.ended(plan)).toEqual({
      state: 'succeeded',
      detail: { kind: 'fleet_succeeded', hosts: 5, skipped: 2, failed: [{ host: 'web-4', exitCode: 5 }] },
    });
    expect(t.ran.map((r) => r.hosts)).toEqual([['web-3'], ['web-4', 'web-5']]);
  });

  it('a continued plan dry-runs only the hosts without a success in the rollout it continues, and names those it skips', async () => {
    const t = setUp();
    for (const o of [outcome('web-1', true), outcome('web-2', true), outcome('web-3', false)]) await t.stores.fleet.record('5', o);
    const rehearsal = await t.executor.rehearse(await t.plan('5'));
    expect(t.ran).toEqual([{ hosts: ['web-3', 'web-4', 'web-5'], command: 'true' }]);
    expect(rehearsal).toMatchObject({ ok: true, check: 'reachability', skipped: ['web-1', 'web-2'] });
    expect(rehearsal?.hosts.map((h) => h.host)).toEqual(['web-3', 'web-4', 'web-5']);

    // A plan that is not a continuation dry-runs every host and skips none.
    const fresh = await t.executor.rehearse(await t.plan());
    expect(fresh?.hosts).toHaveLength(5);
    expect(fresh).not.toHaveProperty('skipped');
  });
});
