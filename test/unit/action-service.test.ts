/**
 * ActionService (src/actions/service.ts and the use cases behind it) over the memory action store
 * (src/store/memory, held to the Redis one's contract), and an executor the test drives step by step.
 * The Redis-backed behaviour is covered by test/integration/rollback-*.test.ts; these
 * tests pin down orderings that are hard to produce through Slack.
 */
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import type { ExecutionPlan, Executor, RunHandle, RunStatus } from '../../src/actions/executor.js';
import { noIncidents } from '../support/no-incidents.js';
import { ActionService } from '../../src/actions/service.js';
import { memoryStores } from '../../src/store/memory/index.js';
import { actionDoc } from '../support/documents.js';
import { waitFor } from '../support/wait.js';

/** An executor whose run() and status() answer when the test says so. */
class StepExecutor implements Executor {
  plans = 0;
  runs = 0;
  statusCalls = 0;
  status_: RunStatus = { state: 'running' };
  private gate: Promise<void> | undefined;
  private openGate: (() => void) | undefined;
  private reachedGate: (() => void) | undefined;

  /** run() waits until release(); resolves once run() has been called. */
  holdRun(): { reached: Promise<void>; release: () => void } {
    const reached = new Promise<void>((resolve) => (this.reachedGate = resolve));
    this.gate = new Promise<void>((resolve) => (this.openGate = resolve));
    return { reached, release: () => this.openGate?.() };
  }

  async plan(): Promise<ExecutionPlan> {
    this.plans += 1;
    return { executor: 'test', service: 'payment-service', title: 'roll back payment-service', summary: ['to: deployment #32'], params: { job: '502' } };
  }
  async run(): Promise<RunHandle> {
    this.runs += 1;
    this.reachedGate?.();
    if (this.gate) await this.gate;
    return { id: '9002', url: 'https://gitlab.example.com/jobs/9002', params: {} };
  }
  async status(): Promise<RunStatus> {
    this.statusCalls += 1;
    return this.status_;
  }
}

const APPROVERS = ['U0ALICE', 'U0BOB', 'U0CAROL'];

function harness(opts: { approvals?: number; cooldownMs?: number } = {}) {
  const store = memoryStores().actions;
  const executor = new StepExecutor();
  const incidents = noIncidents;
  const service = new ActionService({
    store,
    executors: { rollback: executor, fleet: executor },
    approvers: { isApprover: async (userId, ids) => ids.includes(userId) },
    policyOf: (name) => (name === 'payment-service' ? { approvers: APPROVERS, approvals: opts.approvals ?? 1, channel: 'C0PAYMENTS' } : undefined),
    knownServices: () => ['payment-service'],
    incidents,
    log: pino({ level: 'silent' }),
    expiryMs: 60_000,
    cooldownMs: opts.cooldownMs ?? 600_000,
    pollIntervalMs: 1,
    killSwitchAdmins: [],
  });
  stops.push(() => service.stop());
  const stateOf = async (id: string) => (await store.getAction(id))?.state;
  return { store, executor, service, stateOf };
}

const stops: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const stop of stops.splice(0)) await stop();
});

const request = { kind: 'rollback' as const, service: 'payment-service', userId: 'U0ALICE', force: false, reason: '' };

describe('ActionService', () => {
  it('with approvals: 0, an approver’s own request runs at once', async () => {
    const { service, executor, stateOf } = harness({ approvals: 0 });
    const action = await service.request(request);
    expect(action.state).toBe('approved');
    await waitFor(async () => (await stateOf(action.id)) === 'running', { message: 'the request never ran' });
    expect(executor.runs).toBe(1);
  });

  it('with approvals: 0 while automation is paused, the approver’s own request is held, not run', async () => {
    const { service, store, executor } = harness({ approvals: 0 });
    const paused = { by: 'U0CAROL', reason: 'deploy freeze', at: '2026-11-22T09:00:00.000Z' };
    await store.setKillSwitch(paused);
    const action = await service.request(request);
    await waitFor(async () => (await store.getAction(action.id))?.held !== undefined, { message: 'the request was never held' });
    expect(await store.getAction(action.id)).toMatchObject({ state: 'approved', held: paused });
    expect((await store.actionTimeline(action.id)).at(-1)).toMatchObject({
      actor: 'bot',
      step: { kind: 'held', actionId: action.id, pausedBy: 'U0CAROL', pauseReason: 'deploy freeze' },
    });
    expect(executor.runs).toBe(0);
  });

  it('after a restart, a running action without a confirmed start is failed, not run again; one with a run is tracked', async () => {
    const { service, store, executor, stateOf } = harness();
    // As a crash leaves them: claimed (running) with and without the run handle GitLab returned.
    const markRunning = async (id: string, run?: RunHandle) => {
      const stored = (await store.getAction(id))!;
      const ok = await store.commitAction({
        action: { ...stored, state: 'running', ...(run ? { run } : {}) },
        expectedVersion: stored.version,
        entry: { at: '', actor: 'bot', text: 'started' },
      });
      expect(ok).toBe(true);
    };
    const unconfirmed = await service.request(request);
    const confirmed = await service.request({ ...request, force: true });
    await markRunning(unconfirmed.id);
    await markRunning(confirmed.id, { id: '9002', url: 'https://gitlab.example.com/jobs/9002', params: {} });

    executor.status_ = { state: 'succeeded', detail: 'job #9002 success' };
    await service.resume();
    expect(await stateOf(unconfirmed.id)).toBe('failed');
    expect((await store.getAction(unconfirmed.id))?.result).toBe(
      'the bot restarted before the run was confirmed started; check GitLab before requesting again',
    );
    await waitFor(async () => (await stateOf(confirmed.id)) === 'succeeded', { message: 'the confirmed run was not tracked after the restart' });
    expect(executor.runs).toBe(0);
  });

  it('a refusal noted while run() is in flight does not lose the started run', async () => {
    const { service, store, executor, stateOf } = harness();
    const action = await service.request(request);
    const hold = executor.holdRun();
    await service.approve(action.id, 'U0BOB');
    await hold.reached;
    // A late click is refused, and the refusal is noted on the action's timeline.
    await expect(service.cancel(action.id, 'U0EVE')).rejects.toThrow(`ACT-${action.id} is running; it cannot be cancelled.`);
    hold.release();

    await waitFor(async () => (await store.getAction(action.id))?.run?.id === '9002', { timeoutMs: 2_000, message: 'the started run was never attached' });
    executor.status_ = { state: 'succeeded', detail: 'job #9002 success' };
    await waitFor(async () => (await stateOf(action.id)) === 'succeeded', { timeoutMs: 2_000, message: 'the run was never tracked to its end' });
    expect(executor.runs).toBe(1);
  });

  it('a refusal noted while the status is read does not lose the end of the run', async () => {
    const { service, store, executor, stateOf } = harness();
    const action = await service.request(request);
    await service.approve(action.id, 'U0BOB');
    await waitFor(async () => (await store.getAction(action.id))?.run !== undefined, { message: 'never started' });
    // The status answers "succeeded" while a refused click is being noted.
    const realStatus = executor.status.bind(executor);
    executor.status = async () => {
      await expect(service.cancel(action.id, 'U0EVE')).rejects.toThrow('cannot be cancelled');
      executor.status = realStatus;
      return { state: 'succeeded', detail: 'job #9002 success' };
    };
    await waitFor(async () => (await stateOf(action.id)) === 'succeeded', { timeoutMs: 2_000, message: 'the end of the run was lost' });
  });

  it('polling a long run does not pile up abort listeners (no MaxListenersExceededWarning)', async () => {
    const warnings: Error[] = [];
    const onWarning = (w: Error) => warnings.push(w);
    process.on('warning', onWarning);
    try {
      const { service, executor, stateOf } = harness();
      const action = await service.request(request);
      await service.approve(action.id, 'U0BOB');
      await waitFor(() => executor.statusCalls >= 30, { message: 'not polled 30 times' });
      executor.status_ = { state: 'succeeded', detail: 'done' };
      await waitFor(async () => (await stateOf(action.id)) === 'succeeded', { message: 'never succeeded' });
      await new Promise<void>((resolve) => setImmediate(resolve));
      expect(warnings.filter((w) => w.name === 'MaxListenersExceededWarning').map((w) => w.message)).toEqual([]);
    } finally {
      process.off('warning', onWarning);
    }
  });

  it('an approval while automation is paused holds the action in the approval’s own write, once per pause; Run now after the resume runs it', async () => {
    const { service, store, executor, stateOf } = harness();
    const paused = { by: 'U0CAROL', reason: 'deploy freeze', at: '2026-11-22T09:00:00.000Z' };
    await store.setKillSwitch(paused);
    const action = await service.request(request);

    expect(await service.approve(action.id, 'U0BOB')).toMatchObject({ state: 'approved', held: paused });
    // One write for the approval and the hold (version 1 was the request), then the why on the timeline.
    expect(await store.getAction(action.id)).toMatchObject({ state: 'approved', held: paused, version: 2 });
    const timeline = await store.actionTimeline(action.id);
    expect(timeline).toHaveLength(3);
    expect(timeline[2]).toMatchObject({ actor: 'bot', step: { kind: 'held', actionId: action.id, pausedBy: 'U0CAROL', pauseReason: 'deploy freeze' } });

    // Run now while still paused changes nothing and says nothing new.
    expect(await service.approve(action.id, 'U0BOB')).toMatchObject({ state: 'approved', held: paused });
    expect(await store.actionTimeline(action.id)).toHaveLength(3);
    expect(executor.plans).toBe(1);

    await store.setKillSwitch(undefined);
    const released = await service.approve(action.id, 'U0BOB');
    expect(released.held).toBeUndefined();
    await waitFor(async () => (await stateOf(action.id)) === 'running', { message: 'the released action never ran' });
    expect((await store.getAction(action.id))?.held).toBeUndefined();
    expect(executor.runs).toBe(1);
  });

  it.each([
    [20_000, /\b20 ?s(econds?)?\b/],
    [600_000, /\b10 minutes\b/],
  ])('the cooldown refusal (ROLLBACK_COOLDOWN of %i ms) names a duration a person can read', async (cooldownMs, said) => {
    const { service, store } = harness({ cooldownMs });
    // ACT-1 rolled payment-service back just now: its claim started the cooldown.
    const rolledBack = actionDoc({ id: '1', service: 'payment-service', state: 'running' });
    expect(
      await store.commitAction({
        action: rolledBack,
        expectedVersion: 0,
        entry: { at: '', actor: 'bot', step: { kind: 'started', actionId: '1' } },
        cooldownMs,
      }),
    ).toBe(true);
    const error = await service.request(request).then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(error?.message).toContain('ACT-1');
    expect(error?.message).toContain('Add --force to request another rollback anyway.');
    expect(error?.message).toMatch(said);
  });
});
