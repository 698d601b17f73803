/**
 * The alert's graph in the incident's thread, against a REAL Prometheus scraping a metric
 * the test sets: the bot reads the alert's g0.expr, asks /api/v1/query_range, draws a PNG
 * and uploads it through the fake Slack's upload-URL flow, which checks the bytes are a PNG.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { UploadedFile } from '../support/fake-slack.js';
import { notification, uniqueGroup } from '../support/fixtures.js';
import { startExporter, type Exporter } from '../support/metrics-exporter.js';
import { startPrometheus, type PrometheusHarness } from '../support/prometheus.js';
import { rigForFile, slash, topLevelPosts, messageOf, type SlackRig } from '../support/slack-session.js';
import { found } from '../support/wait.js';

const METRIC = 'chatops_test_graph_error_ratio';
let exporter: Exporter;
let prometheus: PrometheusHarness;
const env: Record<string, string> = {};

beforeAll(async () => {
  exporter = await startExporter({ [METRIC]: 0.08 });
  prometheus = await startPrometheus({ targets: [exporter.target] });
  await prometheus.waitForSeries(METRIC);
  // rigForFile's beforeAll runs after this one and reads env then.
  env.PROMETHEUS_URL = prometheus.url;
}, 60_000);

afterAll(async () => {
  await prometheus?.stop();
  await exporter?.close();
});

const withPrometheus = rigForFile({ env });
const withoutPrometheus = rigForFile();

/** Opens an incident whose alert's generatorURL carries `expr`, and waits for its message. */
async function openWithExpression(r: SlackRig, expr: string) {
  const payload = notification({ group: uniqueGroup(), alerts: [{ fingerprint: uniqueGroup(), startsAt: new Date(Date.now() - 120_000).toISOString() }] });
  for (const alert of payload.alerts) alert.generatorURL = `http://prometheus.example.com/graph?g0.expr=${encodeURIComponent(expr)}&g0.tab=1`;
  const res = await r.bot.postWebhook(payload);
  expect(res.status).toBe(200);
  const { incident: id } = (await res.json()) as { incident: string };
  const post = await found(() => topLevelPosts(r).find((c) => String(c.params.text).includes(`INC-${id} `)), {
    timeoutMs: 10_000,
    message: `no message for INC-${id}`,
  });
  return { id, ...messageOf(post) };
}

const uploadsTo = (r: SlackRig, ts: string): UploadedFile[] => r.slack.uploads.filter((u) => u.thread_ts === ts);

describe('the alert graph with PROMETHEUS_URL set', () => {
  it("uploads one PNG of the alert's expression into the incident's thread", async () => {
    const r = withPrometheus;
    const incident = await openWithExpression(r, `${METRIC} > 0.05`);
    const [graph] = await found(() => (uploadsTo(r, incident.ts).length > 0 ? uploadsTo(r, incident.ts) : undefined), {
      timeoutMs: 15_000,
      message: 'no graph uploaded into the thread',
    });
    expect(graph).toMatchObject({ channel_id: incident.channel, thread_ts: incident.ts, width: 1000, height: 500 });
    expect(graph?.title).toContain(`INC-${incident.id}`);
    expect(graph?.filename).toMatch(new RegExp(`^INC-${incident.id}-\\d{12}\\.png$`));
    const asked = await slash(r, '/incident', `graph INC-${incident.id} 6h`);
    expect(String(asked.text)).toContain('on its way');
    await found(() => (uploadsTo(r, incident.ts).length >= 2 ? true : undefined), { timeoutMs: 15_000, message: 'no graph for /incident graph' });
    expect(uploadsTo(r, incident.ts)).toHaveLength(2);
    expect(uploadsTo(r, incident.ts)[1]).toMatchObject({ width: 1000, height: 500, channel_id: incident.channel });
  }, 40_000);

  it('/incident graph says so when no alert has an expression to draw', async () => {
    const r = withPrometheus;
    const incident = await openWithExpression(r, '');
    const asked = await slash(r, '/incident', `graph INC-${incident.id}`);
    expect(String(asked.text)).toContain('No alert of');
  });

  it('/incident graph refuses a range it cannot draw', async () => {
    const asked = await slash(withPrometheus, '/incident', 'graph INC-1 3y');
    expect(String(asked.text)).toContain('not a range from 1m to 7d');
  });
});

describe('the alert graph without PROMETHEUS_URL', () => {
  it('uploads nothing, and /incident graph says why', async () => {
    const r = withoutPrometheus;
    const incident = await openWithExpression(r, `${METRIC} > 0.05`);
    const asked = await slash(r, '/incident', `graph INC-${incident.id}`);
    expect(String(asked.text)).toContain('PROMETHEUS_URL');
    expect(r.slack.callsTo('files.getUploadURLExternal')).toHaveLength(0);
    expect(r.slack.uploads).toHaveLength(0);
  });
});
