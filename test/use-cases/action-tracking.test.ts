/**
 * Tracking a running action across replicas (src/actions/running.ts): two ActionServices on one
 * set of memory stores, as two replicas on one Redis, with a store clock the test moves by hand
 * (leases lapse only when it says so) and executors whose status the test answers.
 * The same takeover through Slack, GitLab and a killed process: test/integration/action-takeover.test.ts.
 */
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterEach, describe, expect, it, onTestFinished } from 'vitest';
import type { ExecutionPlan, Executor, RunHandle, RunStatus } from '../../src/actions/executor.js';
import { noIncidents } from '../support/no-incidents.js';
import { ActionService } from '../../src/actions/service.js';
import { memoryStores } from '../../src/store/memory/index.js';
import { manualClock } from '../support/clock.js';
import { waitFor } from '../support/wait.js';

/** What GitLab would be: the job's status, and how many status reads are under way at once. */
interface World {
  status: RunStatus;
  inFlight: number;
  maxInFlight: number;
}

/** One replica's executor over the shared world; its status reads can be held, as a hung process's are. */
class ReplicaExecutor implements Executor {
  statusCalls = 0;
  private gate: { opened: Promise<void>; reached: () => void } | undefined;

  constructor(private readonly world: World) {}

  /** The next status read hangs until wake(); `reached` resolves once one does. */
  hang(): { reached: Promise<void>; wake: () => void } {
    let open = () => {};
    let reached = () => {};
    const opened = new Promise<void>((resolve) => (open = resolve));
    const reachedGate = new Promise<void>((resolve) => (reached = resolve));
    this.gate = { opened, reached };
    return {
      reached: reachedGate,
      wake: () => {
        this.gate = undefined;
        open();
      },
    };
  }

  async plan(): Promise<ExecutionPlan> {
    return { executor: 'test', service: 'payment-service', title: 'roll back payment-service', summary: ['to: deployment #32'], params: { job: '502' } };
  }
  async run(): Promise<RunHandle> {
    return { id: '9002', url: 'https://gitlab.example.com/jobs/9002', params: {} };
  }
  async status(): Promise<RunStatus> {
    this.statusCalls += 1;
    this.world.inFlight += 1;
    this.world.maxInFlight = Math.max(this.world.maxInFlight, this.world.inFlight);
    try {
      // A turn of the event loop, so that a concurrent read by the other replica would overlap this one.
      await new Promise((resolve) => setImmediate(resolve));
      if (this.gate) {
        this.gate.reached();
        await this.gate.opened;
      }
      return this.world.status;
    } finally {
      this.world.inFlight -= 1;
    }
  }
}

const POLL_MS = 5;
const APPROVERS = ['U0ALICE', 'U0BOB'];
const incidents = noIncidents;

const stops: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const stop of stops.splice(0)) await stop();
});

/** Two replicas on one store; replica `a` has the action approved, so it starts and tracks it. */
async function twoReplicasTracking() {
  const clock = manualClock();
  const stores = memoryStores({ clock: clock.now });
  const world: World = { status: { state: 'running' }, inFlight: 0, maxInFlight: 0 };
  const replica = () => {
    const executor = new ReplicaExecutor(world);
    const logs: Array<Record<string, unknown>> = [];
    const destination = new Writable({
      write(chunk: Buffer, _encoding, done) {
        logs.push(JSON.parse(chunk.toString('utf8')) as Record<string, unknown>);
        done();
      },
    });
    const service = new ActionService({
      store: stores.actions,
      executors: { rollback: executor, fleet: executor },
      approvers: { isApprover: async (userId, ids) => ids.includes(userId) },
      policyOf: (name) => (name === 'payment-service' ? { approvers: APPROVERS, approvals: 1, channel: 'C0PAYMENTS' } : undefined),
      knownServices: () => ['payment-service'],
      incidents,
      log: pino({ level: 'info' }, destination),
      now: clock.date,
      expiryMs: 60 * 60_000,
      cooldownMs: 600_000,
      pollIntervalMs: POLL_MS,
      killSwitchAdmins: [],
    });
    stops.push(() => service.stop());
    return { executor, service, logs };
  };
  const a = replica();
  const b = replica();
  const action = await a.service.request({ kind: 'rollback', service: 'payment-service', userId: 'U0ALICE', force: false, reason: '' });
  await a.service.approve(action.id, 'U0BOB');
  await waitFor(() => a.executor.statusCalls > 0, { message: 'replica A never polled the action it started' });
  const stateOf = async () => (await stores.actions.getAction(action.id))?.state;
  return { clock, world, a, b, id: action.id, stateOf };
}

describe('tracking a running action', () => {
  it('renews its lease at each poll: long after the first lease would have lapsed, another replica’s sweep leaves it alone', async () => {
    const { clock, world, a, b, id, stateOf } = await twoReplicasTracking();
    // The first lease lasts one poll plus 2 s; each poll renews it from the store's now.
    for (let round = 0; round < 5; round += 1) {
      const polled = a.executor.statusCalls;
      clock.advance(1_500);
      // Two more reads: the renewal after the first of them came after the clock moved.
      await waitFor(() => a.executor.statusCalls >= polled + 2, { message: `replica A stopped polling in round ${round}` });
      await b.service.resume();
    }
    const polled = a.executor.statusCalls;
    await waitFor(() => a.executor.statusCalls >= polled + 3, { message: 'replica A lost its lease although it renewed it at each poll' });
    expect(b.executor.statusCalls).toBe(0);

    world.status = { state: 'succeeded', detail: 'job #9002 success' };
    await waitFor(async () => (await stateOf()) === 'succeeded', { message: `ACT-${id} never succeeded` });
    expect(b.executor.statusCalls).toBe(0);
  });

  it('a second replica’s sweeps, and the tracker’s own, never poll while the tracker is alive: one status read at a time', async () => {
    const { world, a, b, id, stateOf } = await twoReplicasTracking();
    for (let sweep = 0; sweep < 10; sweep += 1) {
      const polled = a.executor.statusCalls;
      await Promise.all([b.service.resume(), a.service.resume()]);
      await waitFor(() => a.executor.statusCalls > polled, { message: `replica A stopped polling after sweep ${sweep}` });
    }
    world.status = { state: 'succeeded', detail: 'job #9002 success' };
    await waitFor(async () => (await stateOf()) === 'succeeded', { message: `ACT-${id} never succeeded` });
    expect(b.executor.statusCalls).toBe(0);
    expect(world.maxInFlight).toBe(1);
  });

  it('a tracker that stops renewing (hung, or dead) loses the action to another replica’s sweep once its lease lapsed, and stops when it wakes', async () => {
    const { clock, world, a, b, id, stateOf } = await twoReplicasTracking();
    const { reached, wake } = a.executor.hang();
    onTestFinished(wake);
    await reached;

    // Not before the lease lapsed (one poll plus 2 s after the last renewal)...
    clock.advance(1_900);
    await b.service.resume();
    await a.service.resume();
    expect(b.executor.statusCalls).toBe(0);
    // ...but at the first sweep after.
    clock.advance(200);
    await b.service.resume();
    await waitFor(() => b.executor.statusCalls > 0, { message: 'replica B did not take over the action whose lease lapsed' });
    expect(b.logs).toContainEqual(expect.objectContaining({ msg: 'resuming tracking of a running action', actionId: id }));

    // Replica A wakes: its next renewal fails, and it leaves the action to B.
    const aPolls = a.executor.statusCalls;
    wake();
    await waitFor(() => a.logs.some((line) => line.msg === 'tracking lease lapsed; another replica tracks the action now'), {
      message: 'replica A did not notice it lost the action',
    });
    world.status = { state: 'succeeded', detail: 'job #9002 success' };
    await waitFor(async () => (await stateOf()) === 'succeeded', { message: `replica B did not finish ACT-${id}` });
    expect(a.executor.statusCalls).toBe(aPolls);
  });
});
