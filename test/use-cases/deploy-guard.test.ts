/**
 * The deploy guard's logic (src/verify/deploy-guard*.ts) over the memory stores, the real
 * ActionService with an executor that only counts, and a round function the test sets:
 * which deploys arm it, failures in a row, re-arming, the window, one evaluation per slot
 * however many replicas tick, and never two rollbacks for one deploy.
 */
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import type { ExecutionPlan, Executor, RunHandle, RunStatus } from '../../src/actions/executor.js';
import { ActionService } from '../../src/actions/service.js';
import { createCatalog, parseServicesFile } from '../../src/services/catalog.js';
import { MemoryDeployGuardStore, memoryStores } from '../../src/store/memory/index.js';
import type { Round, RoundVerdict } from '../../src/verify/checks.js';
import type { GuardNotice } from '../../src/verify/deploy-guard-acting.js';
import { DeployGuard, type DeployEvent } from '../../src/verify/deploy-guard.js';
import { manualClock } from '../support/clock.js';
import { noIncidents } from '../support/no-incidents.js';
import { waitFor } from '../support/wait.js';

const INTERVAL_MS = 30_000;
const WINDOW_MS = 10 * 60_000;

function servicesYaml(mode: 'propose' | 'auto', failureLimit = 2): string {
  return `services:
  payment-service:
    channel: C0PAYMENTS
    approvers: [U0ALICE, U0BOB]
    gitlab: { project: shop/payment-service, environment: production }
    health:
      - { name: error-rate, query: 'sum(rate(errors[1m]))', max: 0.05 }
    deploy_guard: { checks: [error-rate], window: 10m, interval: 30s, failure_limit: ${failureLimit}, mode: ${mode} }
  checkout:
    approvers: [U0ALICE]
    gitlab: { project: shop/checkout, environment: production }
`;
}

class CountingExecutor implements Executor {
  runs = 0;
  async plan(): Promise<ExecutionPlan> {
    return { executor: 'test', service: 'payment-service', title: 'roll back payment-service', summary: ['to: deployment #32'], params: { job: '502' } };
  }
  async run(): Promise<RunHandle> {
    this.runs += 1;
    return { id: '9002', url: 'https://gitlab.example.com/jobs/9002', params: {} };
  }
  async status(): Promise<RunStatus> {
    return { state: 'running' };
  }
}

const stops: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const stop of stops.splice(0)) await stop();
});

function harness(opts: { mode?: 'propose' | 'auto'; failureLimit?: number } = {}) {
  const clock = manualClock('2026-11-22T10:00:00.000Z');
  const stores = memoryStores({ clock: clock.now });
  const catalog = createCatalog(parseServicesFile(servicesYaml(opts.mode ?? 'propose', opts.failureLimit), 'services.yaml'), 'C0INCIDENTS');
  const executor = new CountingExecutor();
  const log = pino({ level: 'silent' });
  const actions = new ActionService({
    store: stores.actions,
    executors: { rollback: executor, fleet: executor },
    approvers: { isApprover: async (userId, ids) => ids.includes(userId) },
    policyOf: (name) => {
      const entry = catalog.get(name);
      return entry && { approvers: entry.approvers, approvals: entry.approvals, channel: catalog.channelFor(name) };
    },
    knownServices: () => catalog.names(),
    incidents: noIncidents,
    log,
    expiryMs: 60_000,
    cooldownMs: 600_000,
    pollIntervalMs: 60_000,
    killSwitchAdmins: ['U0ALICE'],
  });
  stops.push(() => actions.stop());
  let verdict: RoundVerdict = 'pass';
  const evaluations: number[] = [];
  const notices: GuardNotice[] = [];
  const guardStore = new MemoryDeployGuardStore(stores.keyspace, 24 * 3_600_000);
  /** One replica: replicas share the stores, each has its own guard. */
  const replica = () =>
    new DeployGuard({
      store: guardStore,
      services: catalog,
      rounds: async (): Promise<Round> => {
        evaluations.push(clock.now());
        const value = verdict === 'fail' ? 0.2 : 0.01;
        const result = { check: 'error-rate', verdict, value, threshold: { max: 0.05 }, query: 'q', graphUrl: 'http://prom/graph', noData: 'pause' as const };
        return { verdict, results: [result], at: clock.date().toISOString() };
      },
      actions,
      rollingBack: async (service) => (await stores.actions.cooldownOf(service)) !== undefined,
      notices: { post: (notice) => notices.push(notice), reasonFor: (t) => `deploy guard: deployment ${t.deploy.deploymentId}` },
      log,
      now: clock.now,
    });
  const guard = replica();
  /** Moves to the next interval boundary and ticks, as the scheduler does on the second it fires. */
  const nextInterval = async (result: RoundVerdict, guards = [guard]) => {
    verdict = result;
    clock.advance(INTERVAL_MS);
    await Promise.all(guards.map((g) => g.tick(clock.date())));
  };
  const requests = async () => {
    const ids = [...(await stores.actions.awaitingApprovalIds()), ...(await stores.actions.runningActionIds())];
    return Promise.all(ids.map(async (id) => stores.actions.getAction(id)));
  };
  return { clock, guard, replica, actions, executor, notices, evaluations, nextInterval, requests, guardStore, stores };
}

function deployEvent(overrides: Partial<DeployEvent> = {}): DeployEvent {
  return { project: 'shop/payment-service', projectId: 42, environment: 'production', status: 'success', deploymentId: 304, sha: 'c0ffee00', ...overrides };
}

describe('deploy guard', () => {
  it('is armed by a successful deploy of a guarded service, by project path or id, and by nothing else', async () => {
    const { guard } = harness();
    expect(await guard.receive(deployEvent({ status: 'running' }))).toEqual({ armed: [], ignored: [{ because: 'status' }] });
    expect(await guard.receive(deployEvent({ environment: 'staging' }))).toEqual({ armed: [], ignored: [{ because: 'no-guarded-service' }] });
    expect(await guard.receive(deployEvent({ project: 'shop/checkout' }))).toEqual({ armed: [], ignored: [{ because: 'no-guarded-service' }] });
    expect(await guard.receive(deployEvent({ project: 'shop/renamed', projectId: 42, deploymentId: 300 }))).toEqual({
      armed: [],
      ignored: [{ because: 'no-guarded-service' }],
    });
    expect(await guard.receive(deployEvent())).toEqual({ armed: ['payment-service'], ignored: [] });
    expect(await guard.receive(deployEvent())).toEqual({ armed: [], ignored: [{ service: 'payment-service', because: 'same' }] });
    expect(await guard.receive(deployEvent({ deploymentId: 303 }))).toEqual({ armed: [], ignored: [{ service: 'payment-service', because: 'newer' }] });
  });

  it('asks for one rollback after failure_limit failing evaluations in a row, naming the deploy and the values', async () => {
    const { guard, clock, nextInterval, notices, requests, evaluations } = harness();
    clock.advance(1_000);
    await guard.receive(deployEvent());
    await nextInterval('fail');
    await nextInterval('pass');
    await nextInterval('fail');
    expect(await requests()).toEqual([]);
    await nextInterval('fail');
    const [action, ...more] = await requests();
    expect(more).toEqual([]);
    expect(action).toMatchObject({
      kind: 'rollback',
      service: 'payment-service',
      requestedBy: 'deploy-guard',
      state: 'requested',
      reason: 'deploy guard: deployment 304',
    });
    expect(notices).toEqual([expect.objectContaining({ kind: 'proposed', actionId: action?.id, trigger: expect.objectContaining({ failures: 2 }) })]);
    expect(notices[0]?.trigger.deploy).toMatchObject({ deploymentId: 304, sha: 'c0ffee00' });
    expect(notices[0]?.trigger.round.results[0]).toMatchObject({ check: 'error-rate', value: 0.2 });
    // Acted on: this deploy is no longer watched.
    await nextInterval('fail');
    await nextInterval('fail');
    expect(evaluations).toHaveLength(4);
    expect(await requests()).toHaveLength(1);
  });

  it('evaluates once an interval, however often it ticks and however many replicas tick', async () => {
    const { guard, replica, clock, nextInterval, evaluations } = harness();
    await guard.receive(deployEvent());
    await guard.tick(clock.date());
    expect(evaluations).toEqual([]);
    const other = replica();
    await nextInterval('pass', [guard, other, guard]);
    clock.advance(1_000);
    await Promise.all([guard.tick(clock.date()), other.tick(clock.date())]);
    expect(evaluations).toHaveLength(1);
    await nextInterval('pass', [other, guard]);
    expect(evaluations).toHaveLength(2);
  });

  it('starts counting again for a newer deploy', async () => {
    const { guard, nextInterval, requests } = harness();
    await guard.receive(deployEvent());
    await nextInterval('fail');
    expect(await guard.receive(deployEvent({ deploymentId: 305, sha: 'beef0000' }))).toMatchObject({ armed: ['payment-service'] });
    await nextInterval('fail');
    expect(await requests()).toEqual([]);
    await nextInterval('fail');
    expect(await requests()).toHaveLength(1);
  });

  it('stops watching when the window ends', async () => {
    const { guard, clock, nextInterval, requests, evaluations, guardStore } = harness();
    await guard.receive(deployEvent());
    clock.advance(WINDOW_MS - INTERVAL_MS);
    await nextInterval('fail');
    expect(evaluations).toEqual([]);
    expect(await guardStore.armed()).toEqual([]);
    await nextInterval('fail');
    expect(await requests()).toEqual([]);
  });

  it('in auto mode runs the rollback at once as deploy-guard, and never a second for the deploy', async () => {
    const { guard, nextInterval, executor, notices, requests } = harness({ mode: 'auto', failureLimit: 1 });
    await guard.receive(deployEvent());
    await nextInterval('fail');
    await waitFor(() => executor.runs === 1, { message: 'the rollback never ran' });
    const [action] = await requests();
    expect(action).toMatchObject({ requestedBy: 'deploy-guard', approvedBy: ['deploy-guard'], state: 'running' });
    expect(notices.map((n) => n.kind)).toEqual(['rolled_back']);
    // GitLab sends the event again: the deploy was acted on, it is not watched anew.
    expect(await guard.receive(deployEvent())).toMatchObject({ armed: [] });
    await nextInterval('fail');
    expect(executor.runs).toBe(1);
  });

  it('ignores a deploy within a rollback’s cooldown: it is most likely the rollback itself', async () => {
    const { guard, nextInterval, executor } = harness({ mode: 'auto', failureLimit: 1 });
    await guard.receive(deployEvent());
    await nextInterval('fail');
    await waitFor(() => executor.runs === 1, { message: 'the rollback never ran' });
    expect(await guard.receive(deployEvent({ deploymentId: 305, sha: 'a1b2c3d4' }))).toEqual({
      armed: [],
      ignored: [{ service: 'payment-service', because: 'rolling-back' }],
    });
  });

  it('while automation is paused, says it would have acted and does nothing', async () => {
    const { guard, actions, nextInterval, executor, notices, requests } = harness({ mode: 'auto', failureLimit: 1 });
    await actions.pause('U0ALICE', 'maintenance');
    await guard.receive(deployEvent());
    await nextInterval('fail');
    expect(notices).toEqual([expect.objectContaining({ kind: 'paused', pausedBy: 'U0ALICE', pauseReason: 'maintenance' })]);
    expect(await requests()).toEqual([]);
    expect(executor.runs).toBe(0);
    await actions.resumeAutomation('U0ALICE');
    await nextInterval('fail');
    expect(executor.runs).toBe(0);
  });

  it('does not act on a deploy another replica already acted on', async () => {
    const { guard, guardStore, nextInterval, requests, notices } = harness({ failureLimit: 1 });
    await guard.receive(deployEvent());
    expect(await guardStore.claimRollback('payment-service', 304)).toBe(true);
    await nextInterval('fail');
    expect(await requests()).toEqual([]);
    expect(notices).toEqual([]);
  });

  it('counts no data as neither a failure nor a pass', async () => {
    const { guard, nextInterval, requests } = harness();
    await guard.receive(deployEvent());
    await nextInterval('fail');
    await nextInterval('no-data');
    expect(await requests()).toEqual([]);
    await nextInterval('fail');
    expect(await requests()).toHaveLength(1);
  });
});
