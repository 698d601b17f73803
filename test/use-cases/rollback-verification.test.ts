/**
 * Verified rollbacks (src/actions/verifying.ts) over the memory stores, on a clock the test
 * moves: a rollback whose run succeeds is watched for verify_after (3 s, a round every 1 s)
 * with a round function the test scripts, and ends verified or not verified on the action,
 * its timeline and its incident. Replicas are ActionServices on one set of stores; the
 * scheduler's tick is the test calling verifyDue(). The same through GitLab, Slack and a
 * real Prometheus: test/integration/rollback-verification.test.ts.
 */
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import type { ActionStepEntry } from '../../src/actions/action.js';
import type { ExecutionPlan, Executor, RunHandle, RunStatus } from '../../src/actions/executor.js';
import { incidentLink, incidentVerification } from '../../src/actions/incident-link.js';
import { ActionService } from '../../src/actions/service.js';
import type { VerificationSettings } from '../../src/actions/verifying.js';
import { IncidentService } from '../../src/incidents/service.js';
import type { HealthCheck } from '../../src/services/schema.js';
import { renderActionEntry } from '../../src/slack/render/timeline.js';
import { memoryStores, MemoryWatchStore } from '../../src/store/memory/index.js';
import { roundVerdict, type CheckResult, type EvaluateRound, type Round } from '../../src/verify/checks.js';
import { manualClock, type ManualClock } from '../support/clock.js';
import { notification } from '../support/fixtures.js';
import { waitFor } from '../support/wait.js';

const ERROR_RATE: HealthCheck = { name: 'error-rate', query: 'sum(rate(errors[1m]))', max: 0.05, no_data: 'pause' };
const SETTINGS: VerificationSettings = { checks: [ERROR_RATE], verifyAfterMs: 3_000, intervalMs: 1_000 };

/** What a check read in one round: a value, or no data. */
type Reading = number | 'no-data';

function result(value: Reading): CheckResult {
  const base = {
    check: ERROR_RATE.name,
    threshold: { max: 0.05 },
    query: ERROR_RATE.query,
    graphUrl: 'http://prometheus.test/graph?g0.expr=x',
    noData: 'pause' as const,
  };
  if (value === 'no-data') return { ...base, value: undefined, verdict: 'no-data', reason: 'the query returned no sample' };
  return { ...base, value, verdict: value <= 0.05 ? 'pass' : 'fail' };
}

/** Prometheus as the test scripts it: the readings of successive rounds; every call is counted. */
class ScriptedRounds {
  calls = 0;
  constructor(
    private readonly readings: Reading[],
    private readonly clock: ManualClock,
  ) {}

  readonly evaluate: EvaluateRound = async (service, checks) => {
    expect(service).toBe('payment-service');
    expect(checks.map((check) => check.name)).toEqual(['error-rate']);
    const reading = this.readings[Math.min(this.calls, this.readings.length - 1)] ?? 0;
    this.calls += 1;
    // A turn of the event loop, so that a second replica's round would overlap this one.
    await new Promise((resolve) => setImmediate(resolve));
    const results = [result(reading)];
    return { verdict: roundVerdict(results), results, at: this.clock.date().toISOString() } satisfies Round;
  };
}

const plan: ExecutionPlan = {
  executor: 'test',
  service: 'payment-service',
  title: 'roll back payment-service',
  summary: ['to: deployment #32'],
  params: { job: '502' },
};

/** GitLab: the job succeeds at the first poll. */
const succeedingExecutor: Executor = {
  plan: async () => plan,
  run: async (): Promise<RunHandle> => ({ id: '9002', url: 'https://gitlab.example.com/jobs/9002', params: {} }),
  status: async (): Promise<RunStatus> => ({ state: 'succeeded', detail: 'job #9002 success' }),
};

const stops: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const stop of stops.splice(0)) await stop();
});

/** `settings` of payment-service: SETTINGS, or 'no checks' for a service without health checks. */
function world(readings: Reading[], settings: VerificationSettings | 'no checks' = SETTINGS) {
  const clock = manualClock();
  const stores = memoryStores({ clock: clock.now });
  const watches = new MemoryWatchStore(stores.keyspace, 24 * 3_600_000);
  const incidents = new IncidentService(stores.incidents, { serviceLabel: 'service', channelFor: () => 'C0PAYMENTS', now: clock.date });
  const rounds = new ScriptedRounds(readings, clock);
  /** One bot process on the shared stores. */
  const replica = () => {
    const service = new ActionService({
      store: stores.actions,
      executors: { rollback: succeedingExecutor, fleet: succeedingExecutor },
      approvers: { isApprover: async (userId, ids) => ids.includes(userId) },
      policyOf: () => ({ approvers: ['U0ALICE', 'U0BOB'], approvals: 1, channel: 'C0PAYMENTS' }),
      knownServices: () => ['payment-service'],
      incidents: incidentLink(incidents, stores.incidents),
      log: pino({ level: 'silent' }),
      now: clock.date,
      expiryMs: 60 * 60_000,
      cooldownMs: 600_000,
      pollIntervalMs: 5,
      killSwitchAdmins: [],
      verification: {
        watches,
        evaluate: rounds.evaluate,
        settingsOf: () => (settings === 'no checks' ? undefined : settings),
        incidents: incidentVerification(incidents),
      },
    });
    stops.push(() => service.stop());
    return service;
  };
  return { clock, stores, watches, incidents, rounds, replica };
}

type World = ReturnType<typeof world>;

/** An incident for payment-service, and a rollback of it that ran and succeeded. */
async function rolledBack(w: World, bot: ActionService) {
  const { incidentId } = await w.incidents.ingest(notification({ service: 'payment-service', alerts: [{ fingerprint: 'a' }] }));
  const requested = await bot.request({ kind: 'rollback', service: 'payment-service', userId: 'U0ALICE', force: false, reason: '' });
  expect(requested.incidentId).toBe(incidentId);
  await bot.approve(requested.id, 'U0BOB');
  await waitFor(async () => (await bot.get(requested.id))?.state === 'succeeded', { message: 'the rollback never succeeded' });
  return { id: requested.id, incidentId: incidentId ?? '' };
}

/** The scheduler's ticks, a second apart on the test's clock, each run by `bots` at once. */
async function ticks(w: World, count: number, ...bots: ActionService[]): Promise<void> {
  for (let tick = 0; tick < count; tick += 1) {
    w.clock.advance(1_000);
    await Promise.all(bots.map((bot) => bot.verifyDue()));
  }
}

async function stepsOf(w: World, id: string) {
  return (await w.stores.actions.actionTimeline(id)).filter((entry): entry is ActionStepEntry => 'step' in entry);
}

describe('a rollback of a service with health checks', () => {
  it('is watched once its run succeeded: the incident stays mitigating and shows monitoring; every round passing ends it verified', async () => {
    const w = world([0.004]);
    const bot = w.replica();
    const { id, incidentId } = await rolledBack(w, bot);

    const started = await bot.get(id);
    expect(started).toMatchObject({ state: 'succeeded', verification: { state: 'monitoring', checks: ['error-rate'], intervalMs: 1_000 } });
    expect(Date.parse(started?.verification?.until ?? '') - Date.parse(started?.verification?.since ?? '')).toBe(3_000);
    expect(await w.incidents.get(incidentId)).toMatchObject({ state: 'mitigating', verification: { actionId: id, state: 'monitoring' } });
    const startStep = (await stepsOf(w, id)).find((entry) => entry.step.kind === 'verification_started');
    expect(startStep && renderActionEntry(startStep)).toMatch(/^Verifying ACT-\d+: watching error-rate every 1 second for 3 seconds, until <!date\^/);

    // Nothing is due before the first interval.
    await bot.verifyDue();
    expect(w.rounds.calls).toBe(0);
    await ticks(w, 2, bot);
    expect(w.rounds.calls).toBe(2);
    expect((await bot.get(id))?.verification?.state).toBe('monitoring');

    await ticks(w, 1, bot);
    expect(w.rounds.calls).toBe(3);
    const ended = await bot.get(id);
    expect(ended).toMatchObject({ state: 'succeeded', verification: { state: 'verified', rounds: 3, round: { verdict: 'pass' } } });
    expect(ended?.verification?.round?.results[0]?.value).toBe(0.004);
    const incident = await w.incidents.get(incidentId);
    expect(incident).toMatchObject({ state: 'acknowledged', verification: { actionId: id, state: 'verified' } });
    const endStep = (await stepsOf(w, id)).find((entry) => entry.step.kind === 'verification_ended');
    expect(endStep && renderActionEntry(endStep)).toMatch(new RegExp(`^:white_check_mark: ACT-${id} verified: error-rate 0.004 <= 0.05 \\(3 rounds\\)\\n`));
    // The incident's timeline has both steps, so its thread says them too.
    const copied = (await w.incidents.timeline(incidentId)).flatMap((entry) => ('step' in entry ? [entry.step.kind] : []));
    expect(copied).toEqual(expect.arrayContaining(['verification_started', 'verification_ended']));

    // The watch is gone: no more rounds.
    expect(await w.watches.getWatch(id)).toBeUndefined();
    await ticks(w, 3, bot);
    expect(w.rounds.calls).toBe(3);
  });

  it('ends not verified when a check still fails at the end, with the value; the incident stays open', async () => {
    const w = world([0.004, 0.004, 0.12]);
    const bot = w.replica();
    const { id, incidentId } = await rolledBack(w, bot);
    await ticks(w, 3, bot);

    const ended = await bot.get(id);
    expect(ended).toMatchObject({ state: 'succeeded', verification: { state: 'not_verified', reason: 'failing', rounds: 3 } });
    expect(ended?.verification?.round?.results[0]?.value).toBe(0.12);
    const incident = await w.incidents.get(incidentId);
    expect(incident.state).not.toBe('resolved');
    expect(incident.verification).toMatchObject({ actionId: id, state: 'not_verified' });
    const endStep = (await stepsOf(w, id)).find((entry) => entry.step.kind === 'verification_ended');
    expect(endStep && renderActionEntry(endStep)).toContain(
      `:warning: ACT-${id} not verified: a check still fails at the end of the window: error-rate 0.12, expected <= 0.05 (3 rounds)`,
    );
  });

  it('ends not verified when the last round has no data, saying so', async () => {
    const w = world([0.004, 0.004, 'no-data']);
    const bot = w.replica();
    const { id } = await rolledBack(w, bot);
    await ticks(w, 3, bot);
    expect((await bot.get(id))?.verification).toMatchObject({ state: 'not_verified', reason: 'no_data' });
  });

  it('a bot that restarts mid-window resumes watching from the stored watch, and the window ends on time', async () => {
    const w = world([0.004]);
    const first = w.replica();
    const { id } = await rolledBack(w, first);
    await ticks(w, 1, first);
    expect(w.rounds.calls).toBe(1);
    await first.stop();

    // Down for a second; the new process knows nothing but the stores.
    w.clock.advance(1_000);
    const restarted = w.replica();
    await restarted.verifyDue();
    expect(w.rounds.calls).toBe(2);
    expect((await restarted.get(id))?.verification?.state).toBe('monitoring');
    await ticks(w, 1, restarted);
    expect(w.rounds.calls).toBe(3);
    expect((await restarted.get(id))?.verification).toMatchObject({ state: 'verified', rounds: 3 });
  });

  it('two replicas ticking at once evaluate each round once and end it once', async () => {
    const w = world([0.004]);
    const a = w.replica();
    const b = w.replica();
    const { id } = await rolledBack(w, a);
    await ticks(w, 3, a, b);
    expect(w.rounds.calls).toBe(3);
    expect((await a.get(id))?.verification).toMatchObject({ state: 'verified', rounds: 3 });
    expect((await stepsOf(w, id)).filter((entry) => entry.step.kind === 'verification_ended')).toHaveLength(1);
  });
});

describe('a rollback of a service without health checks', () => {
  it('ends when its run does, as before: no verification, no watch, the incident no longer mitigating', async () => {
    const w = world([0.004], 'no checks');
    const bot = w.replica();
    const { id, incidentId } = await rolledBack(w, bot);
    await waitFor(async () => (await w.incidents.get(incidentId)).state === 'acknowledged', { message: 'the incident stayed mitigating' });
    expect((await bot.get(id))?.verification).toBeUndefined();
    expect(await w.watches.getWatch(id)).toBeUndefined();
    expect((await w.incidents.get(incidentId)).verification).toBeUndefined();
    await ticks(w, 4, bot);
    expect(w.rounds.calls).toBe(0);
  });
});
