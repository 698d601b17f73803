/**
 * FleetExecutor over the memory stores and a recording batch runner: the plan approvers
 * see, the canary and batches run each host once, halts, the kill switch between batches,
 * and a rollout resumed by another process after a stop. Real SSH hosts are used end to end
 * in test/integration/fleet-*.test.ts.
 */
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { ExecutionPlan, RunContext, RunStatus } from '../../src/actions/executor.js';
import { FleetExecutor } from '../../src/fleet/executor.js';
import type { BatchRun, HostOutcome } from '../../src/fleet/rollout-runner.js';
import { parseRunbook } from '../../src/runbooks/loader.js';
import { createCatalog, parseServicesFile } from '../../src/services/catalog.js';
import { renderRunReport } from '../../src/slack/render/fleet-report.js';
import { renderActionStep } from '../../src/slack/render/timeline.js';
import { memoryStores, type MemoryStores } from '../../src/store/memory/index.js';
import type { RunReport } from '../../src/timeline/action-step.js';
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
      max_failures: 0
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

/** A runner standing in for SSH: records each host it runs, fails the hosts told to, and can hold a batch until let go. */
class RecordingRunner {
  readonly ran: string[] = [];
  readonly failing = new Set<string>();
  private held: { hosts: string; arrived: () => void; go: Promise<void> } | undefined;

  readonly run: BatchRun = async (hosts, command) => {
    const key = hosts.join(',');
    if (this.held?.hosts === key) {
      this.held.arrived();
      await this.held.go;
    }
    return hosts.map((host): HostOutcome => {
      this.ran.push(host);
      const ok = !this.failing.has(host);
      return { host, ok, exitCode: ok ? 0 : 1, output: ok ? `${command}: done` : 'unit worker.service not found', durationMs: 10 };
    });
  };

  /** The batch of exactly these hosts waits, once it arrives, until `release` is called. */
  hold(hosts: string[]): { arrived: Promise<void>; release: () => void } {
    let arrived = () => {};
    let release = () => {};
    const arrival = new Promise<void>((resolve) => (arrived = resolve));
    const go = new Promise<void>((resolve) => (release = resolve));
    this.held = { hosts: hosts.join(','), arrived, go };
    return { arrived: arrival, release };
  }
}

const ACTION_ID = '7';
const HANDLE = { id: ACTION_ID, url: '', params: {} };

/** One bot process: an executor on the shared stores and runner, and how the actions layer calls it for action 7. */
interface BotProcess {
  executor: FleetExecutor;
  /** What the rollout reported for the action's thread, in order: its facts, and a pause as who and why. */
  reports: Array<RunReport | { kind: 'stopped_by_pause'; by: string; reason: string }>;
  /** The same, as the thread says them. */
  words(): string[];
  run(plan: ExecutionPlan): Promise<unknown>;
  status(plan: ExecutionPlan): Promise<RunStatus>;
}

function botProcess(stores: MemoryStores, runner: RecordingRunner): BotProcess {
  const reports: BotProcess['reports'] = [];
  const context: RunContext = {
    actionId: ACTION_ID,
    report: async (step) => void reports.push(step),
    stoppedByPause: async ({ by, reason }) => void reports.push({ kind: 'stopped_by_pause', by, reason }),
  };
  const executor = new FleetExecutor({
    runbooks: [RUNBOOK],
    inventory: INVENTORY,
    runnerFor: () => runner.run,
    results: stores.fleet,
    rollouts: stores.fleet,
    pausedBy: () => stores.actions.killSwitch(),
    log: pino({ level: 'silent' }),
  });
  return {
    executor,
    reports,
    words: () =>
      reports.map((r) =>
        r.kind === 'stopped_by_pause'
          ? renderActionStep('bot', { kind: 'stopped_by_pause', actionId: ACTION_ID, pausedBy: r.by, pauseReason: r.reason })
          : renderRunReport(r),
      ),
    run: (plan) => executor.run(plan, context),
    status: (plan) => executor.status(plan, HANDLE, context),
  };
}

function planned(p: BotProcess): Promise<ExecutionPlan> {
  return p.executor.plan({ kind: 'fleet', fleet: { runbookId: 'restart', actionId: 'restart', labels: {}, args: {}, instances: [], hosts: [] } });
}

/** Polls the rollout as the actions layer does, until it ends. */
function ended(p: BotProcess, plan: ExecutionPlan): Promise<RunStatus> {
  return found(
    async () => {
      const status = await p.status(plan);
      return status.state === 'running' ? undefined : status;
    },
    { timeoutMs: 5_000, intervalMs: 5, message: 'the rollout never ended' },
  );
}

describe('FleetExecutor', () => {
  it('plans the hosts in a canary and batches, for approvers to see', async () => {
    const p = botProcess(memoryStores(), new RecordingRunner());
    const plan = await planned(p);
    expect(plan).toMatchObject({
      executor: 'fleet',
      service: 'web',
      title: 'Restart workers on 5 hosts',
      needsApproval: true,
      targets: ['web-1', 'web-2', 'web-3', 'web-4', 'web-5'],
    });
    expect(plan.summary).toContain('batches: canary: web-1 | batch 2: web-2, web-3 | batch 3: web-4, web-5');
  });

  it('runs the canary, then each batch, every host once, and reports each batch', async () => {
    const stores = memoryStores();
    const runner = new RecordingRunner();
    const p = botProcess(stores, runner);
    const plan = await planned(p);
    await p.run(plan);
    expect(await ended(p, plan)).toEqual({ state: 'succeeded', detail: { kind: 'fleet_succeeded', hosts: 5, skipped: 0 } });
    expect(runner.ran).toEqual(['web-1', 'web-2', 'web-3', 'web-4', 'web-5']);
    expect(p.reports).toHaveLength(3);
    expect(p.reports[0]).toEqual({
      kind: 'batch_ran',
      actionId: ACTION_ID,
      batch: 1,
      of: 3,
      canary: true,
      hosts: [{ host: 'web-1', ok: true, exitCode: 0, output: 'systemctl restart worker: done', durationMs: 10 }],
    });
    expect(p.reports.slice(1).map((r) => r.kind === 'batch_ran' && [r.batch, r.canary, r.hosts.map((h) => h.host)])).toEqual([
      [2, false, ['web-2', 'web-3']],
      [3, false, ['web-4', 'web-5']],
    ]);
    expect(p.words()[0]).toMatch(/^Canary \(batch 1 of 3\): web-1 ok/);
    expect((await stores.fleet.results(ACTION_ID)).map((o) => o.host).sort()).toEqual(['web-1', 'web-2', 'web-3', 'web-4', 'web-5']);
    expect(await stores.fleet.rolloutState(ACTION_ID)).toMatchObject({ state: 'succeeded' });
  });

  it('halts when the canary fails, touching no other host, and says the rollout may be continued', async () => {
    const stores = memoryStores();
    const runner = new RecordingRunner();
    runner.failing.add('web-1');
    const p = botProcess(stores, runner);
    const plan = await planned(p);
    await p.run(plan);
    const reason = { kind: 'canary_failed', failures: 1 };
    expect(await ended(p, plan)).toEqual({ state: 'failed', detail: { kind: 'fleet_halted', reason, failed: ['web-1'] }, resumable: true });
    expect(runner.ran).toEqual(['web-1']);
    expect(p.reports.at(-1)).toEqual({
      kind: 'halted',
      actionId: ACTION_ID,
      reason,
      failed: [{ host: 'web-1', ok: false, exitCode: 1, output: 'unit worker.service not found', durationMs: 10 }],
    });
    expect(p.words().at(-1)).toMatch(/^Halted: the canary batch failed on 1 host; no other host was touched\.\nFailed hosts:\n• web-1 FAILED \(exit 1\)/);
  });

  it('stops before the next batch once automation is paused', async () => {
    const stores = memoryStores();
    const runner = new RecordingRunner();
    const p = botProcess(stores, runner);
    const plan = await planned(p);
    const second = runner.hold(['web-2', 'web-3']);
    await p.run(plan);
    await second.arrived;
    await stores.actions.setKillSwitch({ by: 'U0BOB', reason: 'disk maintenance', at: '2026-11-22T10:00:00.000Z' });
    second.release();
    expect(await ended(p, plan)).toEqual({ state: 'failed', detail: { kind: 'fleet_paused', pauseReason: 'disk maintenance' }, resumable: true });
    expect(runner.ran).toEqual(['web-1', 'web-2', 'web-3']);
    expect(p.reports.at(-1)).toEqual({ kind: 'stopped_by_pause', by: 'U0BOB', reason: 'disk maintenance' });
  });

  it('a process that stops mid-rollout leaves it to the next, which runs only the hosts not yet done', async () => {
    const stores = memoryStores();
    const runner = new RecordingRunner();
    const first = botProcess(stores, runner);
    const plan = await planned(first);
    const second = runner.hold(['web-2', 'web-3']);
    await first.run(plan);
    await second.arrived;
    const stopped = first.executor.stop();
    second.release();
    await stopped;
    expect(await stores.fleet.rolloutState(ACTION_ID)).toEqual({ state: 'running', detail: 'started' });

    const next = botProcess(stores, runner);
    expect(await ended(next, plan)).toMatchObject({ state: 'succeeded' });
    expect(runner.ran).toEqual(['web-1', 'web-2', 'web-3', 'web-4', 'web-5']);
    expect(next.reports).toEqual([expect.objectContaining({ kind: 'batch_ran', batch: 3, of: 3, canary: false })]);
    expect(next.words()).toEqual([expect.stringMatching(/^Batch 3 of 3: web-4 ok/)]);
  });

  it('leaves a rollout alone while another process holds its claim', async () => {
    const stores = memoryStores();
    const runner = new RecordingRunner();
    const owner = botProcess(stores, runner);
    const plan = await planned(owner);
    const canary = runner.hold(['web-1']);
    await owner.run(plan);
    await canary.arrived;

    const other = botProcess(stores, runner);
    expect(await other.status(plan)).toEqual({ state: 'running' });
    canary.release();
    expect(await ended(owner, plan)).toMatchObject({ state: 'succeeded' });
    await other.executor.stop();
    expect(runner.ran).toEqual(['web-1', 'web-2', 'web-3', 'web-4', 'web-5']);
    expect(other.reports).toEqual([]);
  });

  it('halts a resumed rollout on a host that was started and never reported, rather than run it again', async () => {
    const stores = memoryStores();
    const runner = new RecordingRunner();
    const p = botProcess(stores, runner);
    const plan = await planned(p);
    await stores.fleet.setRolloutState(ACTION_ID, { state: 'running', detail: 'started' });
    await stores.fleet.started(ACTION_ID, ['web-1']);
    expect(await ended(p, plan)).toEqual({
      state: 'failed',
      detail: { kind: 'fleet_halted', reason: { kind: 'interrupted', hosts: ['web-1'] }, failed: ['web-1'] },
      resumable: true,
    });
    expect(runner.ran).toEqual([]);
  });
});
