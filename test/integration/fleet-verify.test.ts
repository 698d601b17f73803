/**
 * Verified fleet rollouts through the whole bot: a REAL Prometheus scraping an exporter
 * whose values the test sets, real sshd hosts on loopback, the real Redis, Bolt's real HTTP
 * receiver; only the Slack Web API is faked. After the canary and after each batch the
 * bot samples the action's health checks: an error rate that rises after the canary halts
 * the rollout before the next batch with the values in the thread, and a check with no
 * data halts it with "no data"; either way Continue or Abort, as for a failed batch.
 */
import { actionMessage, approve, requestedId, waitForState } from '../support/action-messages.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestBot, type TestBot } from '../support/bot.js';
import { FakeSlack } from '../support/fake-slack.js';
import { HOST_DIR, startFleet, type Fleet } from '../support/fleet.js';
import { startExporter, type Exporter } from '../support/metrics-exporter.js';
import { startPrometheus, type PrometheusHarness } from '../support/prometheus.js';
import { buttonsOf, buttonValue, click, clickForReply, slash, lateRig } from '../support/slack-session.js';
import { actionTimeline, storedAction } from '../support/stored.js';
import { waitFor } from '../support/wait.js';

const METRIC = 'chatops_test_fleet_error_ratio';

/** Appends to `<id>.runs` in the host's folder, so the test sees which hosts ran and when. */
function restartRunbook(fleet: Fleet, id: string, verify: string): string {
  return `id: ${id}
title: Restart workers
match:
  - label: alertname
    equals: ${id}
actions:
  - id: restart
    title: Restart workers
    kind: fleet
    command: |
      cd -- "${fleet.scratch}/${HOST_DIR}" && echo run >> ${id}.runs
    targets:
      from: service-hosts
      service: shop
    rollout:
      canary: 1
      batches: [1, "100%"]
    timeout: 20s
    verify: ${verify}
`;
}

let fleet: Fleet;
let slack: FakeSlack;
let exporter: Exporter;
let prometheus: PrometheusHarness;
let bot: TestBot;
const r = lateRig(
  () => slack,
  () => bot,
  30_000,
);

beforeAll(async () => {
  exporter = await startExporter({ [METRIC]: 0.01 });
  prometheus = await startPrometheus({ targets: [exporter.target] });
  fleet = await startFleet(3);
  slack = await FakeSlack.start();
  await prometheus.waitForSeries(METRIC);
  await fleet.writeRunbook('errors.yaml', restartRunbook(fleet, 'errors-restart', '{ checks: [error-rate], interval: 1s, samples: 3, failure_limit: 0 }'));
  await fleet.writeRunbook('paused.yaml', restartRunbook(fleet, 'paused-restart', '{ checks: [error-rate], interval: 1s, samples: 10 }'));
  await fleet.writeRunbook(
    'absent.yaml',
    restartRunbook(fleet, 'absent-restart', '{ checks: [{ name: queue-depth, query: chatops_test_no_such_series, max: 10 }], interval: 1s, samples: 2 }'),
  );
  bot = await startTestBot({
    slack,
    services: `services:
  shop:
    channel: C0SHOP
    approvers: [U0BOB]
    hosts:
${fleet.hostEntries()}
    health:
      - name: error-rate
        query: ${METRIC}
        max: 0.05
`,
    env: { ...fleet.env, PROMETHEUS_URL: prometheus.url },
  });
}, 90_000);

afterAll(async () => {
  await bot?.stop();
  await slack?.close();
  await fleet?.stop();
  await prometheus?.stop();
  await exporter?.close();
});

async function request(runbook: string): Promise<string> {
  return requestedId(await slash(r, '/remediate', runbook, 'U0ALICE'));
}

/** The replies in the thread of the action's own message (a /remediate action has no incident). */
async function threadOf(id: string): Promise<string> {
  const { ts } = await actionMessage(r, id, 'REQUESTED');
  return slack
    .callsTo('chat.postMessage')
    .filter((c) => c.params.thread_ts === ts)
    .map((c) => String(c.params.text))
    .join('\n');
}

const waitForThread = (id: string, text: string) =>
  waitFor(async () => (await threadOf(id)).includes(text), { timeoutMs: 15_000, message: `ACT-${id}'s thread never said ${text}` });

/** Prometheus's current value of the metric, as the checks read it. */
async function scraped(): Promise<number | undefined> {
  const res = await fetch(`${prometheus.url}/api/v1/query?query=${METRIC}`);
  const body = (await res.json()) as { data: { result: Array<{ value: [number, string] }> } };
  const value = body.data.result[0]?.value[1];
  return value === undefined ? undefined : Number(value);
}

describe('a fleet rollout verified against a real Prometheus', () => {
  it('halts before the next batch when the error rate rises after the canary, with the values in the thread; Continue goes on once it recovers', async () => {
    const id = await request('errors-restart');
    const plan = (await actionMessage(r, id, 'REQUESTED')).post;
    expect(JSON.stringify(plan.params.blocks)).toContain('verifies after each batch: error-rate; 3 sample(s) 1s apart');
    await approve(r, id);

    // The canary's restart "breaks" the service: its error rate rises once the canary ran.
    await waitFor(async () => (await fleet.runsOf('errors-restart.runs'))['web-1'] === 1, {
      timeoutMs: 20_000,
      intervalMs: 10,
      message: 'the canary never ran',
    });
    exporter.set(METRIC, 0.3);
    await waitForState(r, id, 'failed');
    expect(await fleet.runsOf('errors-restart.runs')).toEqual({ 'web-1': 1 });

    const { result } = (await storedAction(r, id)).doc;
    expect(result).toMatchObject({
      kind: 'fleet_halted',
      failed: [],
      reason: { kind: 'checks_failed', verdict: 'fail', batch: 1, of: 3, canary: true, samples: 3, failureLimit: 0, failedSamples: 1 },
    });
    const halted = (await actionTimeline(r, id)).find((e) => 'step' in e && e.step.kind === 'halted');
    expect(halted?.rendered).toMatch(
      /^Halted after the canary \(batch 1 of 3\): health checks failed in 1 of 3 samples, more than failure_limit \(0\); the next batch did not start\.\nSample \d of 3 \(\d\d:\d\d:\d\d UTC\):\n:x: error-rate 0\.3, expected <= 0\.05 \(<http:\/\/127\.0\.0\.1:\d+\/graph\?g0\.expr=chatops_test_fleet_error_ratio&amp;g0\.tab=0\|graph>\)/,
    );
    await waitForThread(id, ':x: error-rate 0.3, expected <= 0.05');
    expect(await threadOf(id)).toContain('Halted after the canary (batch 1 of 3)');
    const failed = await actionMessage(r, id, 'FAILED');
    expect([...buttonsOf(failed.post).keys()]).toEqual(['action.continue', 'action.abort']);

    // The service recovers; a person continues, and the rest is verified batch by batch.
    exporter.set(METRIC, 0.01);
    await waitFor(async () => (await scraped()) === 0.01, { timeoutMs: 10_000, message: 'Prometheus never scraped the recovered value' });
    const reply = await clickForReply(r, 'action.continue', buttonValue(failed.post, 'action.continue'), 'U0ALICE', failed);
    const next = /ACT-(\d+) requested: continue ACT-/.exec(String(reply.text))?.[1];
    expect(next, String(reply.text)).toBeDefined();
    await approve(r, next as string);
    await waitForState(r, next as string, 'succeeded');
    expect(await fleet.runsOf('errors-restart.runs')).toEqual({ 'web-1': 1, 'web-2': 1, 'web-3': 1 });
    await waitForThread(next as string, 'Health checks after batch 3 of 3 held: 3 of 3 samples passed (failure_limit 0).');
    const thread = await threadOf(next as string);
    expect(thread).toContain('Health checks after batch 2 of 3 held: 3 of 3 samples passed');
    expect(thread).toMatch(/Sample 3 of 3 \(\d\d:\d\d:\d\d UTC\):\n:white_check_mark: error-rate 0\.01 <= 0\.05/);
    expect(thread.indexOf('Batch 2 of 3: web-2 ok')).toBeLessThan(thread.indexOf('Health checks after batch 2 of 3 held'));
    expect(thread.indexOf('Health checks after batch 2 of 3 held')).toBeLessThan(thread.indexOf('Batch 3 of 3: web-3 ok'));
  }, 90_000);

  it('halts with "no data" when a check finds no series and its no_data is pause; Abort ends it', async () => {
    const id = await request('absent-restart');
    await approve(r, id);
    await waitForState(r, id, 'failed');
    expect(await fleet.runsOf('absent-restart.runs')).toEqual({ 'web-1': 1 });
    expect((await storedAction(r, id)).doc.result).toMatchObject({
      kind: 'fleet_halted',
      reason: { kind: 'checks_failed', verdict: 'no-data', batch: 1, canary: true, rounds: [{ sample: 1, verdict: 'no-data' }] },
    });
    await waitForThread(id, ':grey_question: queue-depth no data: the query returned no sample (waits for a person)');
    expect(await threadOf(id)).toContain('Halted after the canary (batch 1 of 3): no data for a health check whose no_data is pause');
    const failed = await actionMessage(r, id, 'FAILED');
    expect(String(failed.post.params.text) + JSON.stringify(failed.post.params.blocks)).toContain('no data');
    expect(await click(r, 'action.abort', buttonValue(failed.post, 'action.abort'), 'U0BOB', failed)).toBe(200);
    await waitFor(async () => (await storedAction(r, id)).doc.resumable === false, { timeoutMs: 10_000, message: 'the rollout was not aborted' });
  }, 60_000);

  it('stops between two samples when automation is paused, before the next batch', async () => {
    const id = await request('paused-restart');
    await approve(r, id);
    await waitFor(async () => (await fleet.runsOf('paused-restart.runs'))['web-1'] === 1, {
      timeoutMs: 20_000,
      intervalMs: 10,
      message: 'the canary never ran',
    });
    // Ten samples a second apart follow the canary: the pause lands among them.
    await slash(r, '/automation', 'pause verifying the kill switch', 'U0BOB');
    try {
      // Within a few seconds, not after the ten samples: the switch is read before each one.
      await waitForState(r, id, 'failed', 5_000);
      expect((await storedAction(r, id)).doc.result).toMatchObject({ kind: 'fleet_paused', pauseReason: 'verifying the kill switch' });
      expect(await fleet.runsOf('paused-restart.runs')).toEqual({ 'web-1': 1 });
    } finally {
      await slash(r, '/automation', 'resume', 'U0BOB');
    }
  }, 60_000);
});
