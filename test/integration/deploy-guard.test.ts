/**
 * The deploy guard end to end: GitLab's deployment webhook arms it, a real Prometheus
 * (1 s scrape) scrapes an exporter whose error ratio the test raises, and the bot asks for
 * one rollback (propose) or retries the job of the deploy before once (auto), never twice;
 * a paused bot says it did not; the guard survives a restart; two replicas evaluate each
 * interval once and ask once. GitLab and Slack are faked at the HTTP edge, Redis is real.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deploymentEvent, GITLAB_WEBHOOK_TOKEN, postDeployment } from '../support/deploy-guard.js';
import { deployment } from '../support/fake-gitlab.js';
import { startExporter, type Exporter } from '../support/metrics-exporter.js';
import { startPrometheus, type PrometheusHarness } from '../support/prometheus.js';
import { anotherBot, PAYMENT_DEPLOYMENTS, SHA_BAD, SHA_GOOD, startRig, type Rig } from '../support/rollback.js';
import { messageOf, slash } from '../support/slack-session.js';
import { storedAction } from '../support/stored.js';
import { found, waitFor } from '../support/wait.js';

const METRIC = 'chatops_test_deploy_guard_error_ratio';
/** The guard's interval: the request (and the GitLab call) must follow the completing evaluation within it. */
const INTERVAL_MS = 2_000;
const ORDERS = 'shop/orders';
const ORDERS_DEPLOYMENTS = [
  deployment({ id: 404, iid: 14, sha: SHA_BAD, jobId: 604, project: ORDERS }),
  deployment({ id: 402, iid: 12, sha: SHA_GOOD, jobId: 602, project: ORDERS }),
];
const RETRY_TARGET = '/api/v4/projects/shop%2Forders/jobs/602/retry';

let exporter: Exporter;
let prometheus: PrometheusHarness;

beforeAll(async () => {
  exporter = await startExporter({ [METRIC]: 0.01 });
  prometheus = await startPrometheus({ targets: [exporter.target] });
  await prometheus.waitForSeries(METRIC);
}, 60_000);
afterAll(async () => {
  await prometheus?.stop();
  await exporter?.close();
});

function orders(mode: 'propose' | 'auto'): string {
  return `  orders:
    channel: C0ORDERS
    approvers: [U0ALICE, U0BOB]
    gitlab: { project: ${ORDERS}, environment: production }
    health:
      - { name: error-rate, query: '${METRIC}', max: 0.05 }
    deploy_guard: { checks: [error-rate], window: 5m, interval: 2s, failure_limit: 2, mode: ${mode} }
`;
}

async function guardRig(mode: 'propose' | 'auto', prefix?: string): Promise<Rig> {
  exporter.set(METRIC, 0.01);
  // The healthy value is what Prometheus answers before the test raises it.
  await waitFor(async () => (await queryValue()) === 0.01, { timeoutMs: 10_000, message: 'Prometheus never saw the healthy value' });
  return startRig({
    moreServices: orders(mode),
    projects: { 'shop/payment-service': PAYMENT_DEPLOYMENTS, [ORDERS]: ORDERS_DEPLOYMENTS },
    env: guardEnv(),
    ...(prefix ? { prefix } : {}),
  });
}

const guardEnv = () => ({ GITLAB_WEBHOOK_TOKEN, PROMETHEUS_URL: prometheus.url });

async function queryValue(): Promise<number | undefined> {
  const res = await fetch(`${prometheus.url}/api/v1/query?query=${METRIC}`);
  const body = (await res.json()) as { data: { result: Array<{ value: [number, string] }> } };
  const sample = body.data.result[0];
  return sample ? Number(sample.value[1]) : undefined;
}

async function deployed(r: Rig, deploymentId = 404, url = r.bot.url): Promise<void> {
  const res = await postDeployment(url, deploymentEvent({ deploymentId, project: ORDERS, sha: SHA_BAD }));
  expect(await res.json()).toEqual({ armed: ['orders'], ignored: [] });
}

const requests = (r: Rig) => r.slack.callsTo('chat.postMessage').filter((c) => /^\[REQUESTED\] ACT-\d+ /.test(String(c.params.text)));
const guardNotices = (r: Rig) => r.slack.callsTo('chat.postMessage').filter((c) => String(c.params.text).includes('*Deploy guard*'));
/** When the evaluation that completed the failure limit was logged (epoch ms). */
const completingEvaluationAt = (r: Rig) => {
  const line = evaluated(r).find((l) => l.verdict === 'fail' && l.failures === 2);
  return Date.parse(String(line?.time));
};
const evaluated = (r: Rig) => r.bots.flatMap((b) => b.logs.filter((l) => l.msg === 'deploy guard evaluated'));

/** The guard of deploy 404 stopped watching: no later evaluation can act on it. */
async function disarmed(r: Rig): Promise<void> {
  const key = `${r.bot.prefix}deploy-guard:armed:orders`;
  await waitFor(async () => (await r.bot.redis.hget(key, 'done')) === '1', { message: 'the guard never stopped watching deploy 404' });
}

describe('deploy guard with a real Prometheus', () => {
  it('propose: a deploy whose error rate rises gets one rollback request, with the deploy and the values, and never a second', async () => {
    const r = await guardRig('propose');
    await deployed(r);
    await waitFor(() => evaluated(r).some((l) => l.verdict === 'pass'), { timeoutMs: 10_000, message: 'the guard never evaluated the healthy deploy' });
    expect(requests(r)).toEqual([]);

    exporter.set(METRIC, 0.2);
    const request = await found(() => requests(r)[0], { timeoutMs: 15_000, message: 'no rollback request' });
    expect(request.params.channel).toBe('C0ORDERS');
    const notice = await found(() => guardNotices(r)[0], { timeoutMs: 5_000, message: 'no deploy guard notice' });
    expect(String(notice.params.text)).toMatch(/deployment 404 \(c0ffee00, main\).*\*orders\* failed its checks 2 evaluations in a row/);
    expect(String(notice.params.text)).toMatch(/error-rate 0\.2, expected <= 0\.05/);
    expect(String(notice.params.text)).toMatch(/ACT-\d+; an approver/);
    // The failing check's graph, the deploy marked, in the notice's thread (no incident is open for orders).
    const { ts } = messageOf(notice);
    const graph = await found(() => r.slack.uploads.find((u) => u.thread_ts === ts), { timeoutMs: 15_000, message: "no check graph in the notice's thread" });
    expect(graph).toMatchObject({ channel_id: 'C0ORDERS', width: 1000, height: 500, title: 'orders error-rate around the deploy' });
    expect(graph.filename).toMatch(/^orders-error-rate-\d{12}\.png$/);
    const asked = r.bot.logs.find((l) => l.msg === 'deploy guard asks for a rollback');
    expect(Date.parse(String(asked?.time)) - completingEvaluationAt(r)).toBeLessThan(INTERVAL_MS);

    await disarmed(r);
    // GitLab sends the event again: the deploy was acted on and is not watched anew.
    const again = await postDeployment(r.bot.url, deploymentEvent({ deploymentId: 404, project: ORDERS, sha: SHA_BAD }));
    expect(((await again.json()) as { armed: string[] }).armed).toEqual([]);
    expect(requests(r)).toHaveLength(1);
    expect(r.gitlab.callsTo('retry')).toEqual([]);
    expect(r.slack.uploads).toHaveLength(1);
  }, 60_000);

  it('auto: one GitLab retry of the deploy before, as deploy-guard, announced in the channel, and never a second', async () => {
    const r = await guardRig('auto');
    await deployed(r);
    exporter.set(METRIC, 0.2);
    const [retry] = await r.gitlab.waitForCalls('retry', 1, 15_000);
    expect(retry?.path).toBe(RETRY_TARGET);
    // Within one interval of the evaluation that completed the failure limit.
    expect(Number(retry?.at) - completingEvaluationAt(r)).toBeLessThan(INTERVAL_MS);
    const notice = await found(() => guardNotices(r)[0], { timeoutMs: 5_000, message: 'no deploy guard announcement' });
    expect(notice.params.channel).toBe('C0ORDERS');
    expect(notice.params.thread_ts).toBeUndefined();
    expect(String(notice.params.text)).toMatch(/Rolling back to the deploy before now, without approval/);
    await found(() => r.slack.uploads.find((u) => u.thread_ts === messageOf(notice).ts && u.channel_id === 'C0ORDERS'), {
      timeoutMs: 15_000,
      message: "no check graph in the announcement's thread",
    });
    const id = /ACT-(\d+)/.exec(String(notice.params.text))?.[1];
    expect((await storedAction(r, String(id))).doc).toMatchObject({ requestedBy: 'deploy-guard', approvedBy: ['deploy-guard'] });

    await disarmed(r);
    // The rollback's own deployment reports success: it is not guarded, or it would be rolled "back" to the bad deploy.
    const rollbackDeploy = await postDeployment(r.bot.url, deploymentEvent({ deploymentId: 405, project: ORDERS, sha: SHA_GOOD }));
    expect(((await rollbackDeploy.json()) as { armed: string[] }).armed).toEqual([]);
    const again = await postDeployment(r.bot.url, deploymentEvent({ deploymentId: 404, project: ORDERS, sha: SHA_BAD }));
    expect(((await again.json()) as { armed: string[] }).armed).toEqual([]);
    expect(r.gitlab.callsTo('retry')).toHaveLength(1);
  }, 60_000);

  it('auto while automation is paused: says in the channel it would have rolled back, and calls GitLab for nothing', async () => {
    const r = await guardRig('auto');
    await slash(r, '/automation', 'pause release freeze', 'U0ALICE');
    await deployed(r);
    exporter.set(METRIC, 0.2);
    const notice = await found(() => guardNotices(r)[0], { timeoutMs: 15_000, message: 'no deploy guard notice' });
    expect(notice.params.channel).toBe('C0ORDERS');
    expect(String(notice.params.text)).toMatch(/would have rolled it back and did not: automation is paused by <@U0ALICE> \(release freeze\)/);
    await disarmed(r);
    expect(r.gitlab.calls.filter((c) => c.route !== 'deployments')).toEqual([]);
    expect(r.gitlab.callsTo('deployments')).toEqual([]);
  }, 60_000);

  it('a bot restarted while the guard is armed keeps watching the deploy', async () => {
    const prefix = `test:deploy-guard:${Date.now()}:`;
    const r = await guardRig('propose', prefix);
    await deployed(r);
    const first = r.bot;
    await first.stop();
    r.bots.splice(r.bots.indexOf(first), 1);
    r.bot = await anotherBot(r, { prefix, env: guardEnv() });
    exporter.set(METRIC, 0.2);
    await found(() => requests(r)[0], { timeoutMs: 15_000, message: 'the restarted bot never asked for the rollback' });
    expect(r.bot.logs).toContainEqual(expect.objectContaining({ msg: 'deploy guard asks for a rollback', deploymentId: 404 }));
  }, 60_000);

  it('two replicas evaluate each interval once and ask for one rollback', async () => {
    const prefix = `test:deploy-guard:${Date.now()}:`;
    const r = await guardRig('propose', prefix);
    await anotherBot(r, { prefix, env: guardEnv() });
    await deployed(r);
    await waitFor(() => evaluated(r).filter((l) => l.verdict === 'pass').length >= 2, { timeoutMs: 15_000, message: 'fewer than 2 healthy evaluations' });
    exporter.set(METRIC, 0.2);
    await found(() => requests(r)[0], { timeoutMs: 15_000, message: 'no rollback request' });
    await disarmed(r);
    const slots = evaluated(r).map((l) => Number(l.slot));
    expect(new Set(slots).size).toBe(slots.length);
    // One evaluation per interval while armed: a missed tick at most now and then, never two of a slot.
    expect(Math.max(...slots) - Math.min(...slots) + 1).toBeLessThanOrEqual(slots.length + 2);
    expect(requests(r)).toHaveLength(1);
    const asked = r.bots.flatMap((b) => b.logs.filter((l) => l.msg === 'deploy guard asks for a rollback'));
    expect(asked).toHaveLength(1);
    await found(() => r.slack.uploads[0], { timeoutMs: 15_000, message: 'no check graph' });
    expect(r.bots.flatMap((b) => b.logs.filter((l) => l.msg === 'check graph posted'))).toHaveLength(1);
  }, 60_000);
});
