import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeSlack } from '../support/fake-slack.js';
import { startTestBot, type TestBot } from '../support/bot.js';
import { notification, uniqueGroup } from '../support/fixtures.js';
import { waitFor } from '../support/wait.js';

let slack: FakeSlack;
beforeAll(async () => {
  slack = await FakeSlack.start();
});
afterAll(async () => {
  await slack?.close();
});

/** A loopback port with nothing listening: Redis "down". */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('health, readiness and metrics', () => {
  let bot: TestBot;
  beforeAll(async () => {
    bot = await startTestBot({ slack });
  });
  afterAll(async () => {
    await bot?.stop();
  });

  it('has every chatops_* series the README names from start-up, at zero, and the standard process metrics', async () => {
    const readme = await readFile('README.md', 'utf8');
    const row = readme.split('\n').find((line) => line.startsWith('| `GET /metrics` |')) ?? '';
    const named = [...row.matchAll(/`(chatops_\w+)[`{]/g)].map((m) => m[1] ?? '');
    expect(named.length).toBeGreaterThan(5);
    const text = await (await fetch(`${bot.url}/metrics`)).text();
    const samples = text.split('\n').filter((line) => line !== '' && !line.startsWith('#'));
    for (const name of named) {
      const series = samples.filter((line) => new RegExp(`^${name}(_bucket|_count|_sum)?[{ ]`).test(line));
      expect(series, name).not.toEqual([]);
      if (name !== 'chatops_incidents')
        expect(
          series.every((line) => line.endsWith(' 0')),
          name,
        ).toBe(true);
    }
    expect(text).toMatch(/^process_cpu_seconds_total \d/m);
    expect(text).toMatch(/^nodejs_heap_size_used_bytes \d/m);
  });

  it('answers /healthz and /readyz while Redis answers', async () => {
    expect((await fetch(`${bot.url}/healthz`)).status).toBe(200);
    const ready = await fetch(`${bot.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ready' });
  });

  it('exposes Prometheus metrics for alerts, incidents, Slack calls and webhook latency', async () => {
    await bot.postWebhook(notification({ group: uniqueGroup(), alerts: [{ fingerprint: 'm1' }, { fingerprint: 'm2', status: 'resolved' }] }));
    await slack.waitForCalls('chat.postMessage', 1);
    const response = await fetch(`${bot.url}/metrics`);
    expect(response.headers.get('content-type')).toContain('text/plain');
    const text = await response.text();
    expect(text).toContain('chatops_alerts_received_total{status="firing"} 1');
    expect(text).toContain('chatops_alerts_received_total{status="resolved"} 1');
    expect(text).toContain('chatops_incidents{state="firing"} 1');
    expect(text).toMatch(/chatops_slack_api_calls_total\{method="chat.postMessage",outcome="ok"\} [1-9]/);
    expect(text).toContain('chatops_webhook_duration_seconds_bucket{le="0.1",code="200"}');
  });

  it('answers 404 on paths it does not serve', async () => {
    expect((await fetch(`${bot.url}/nope`)).status).toBe(404);
  });
});

describe('when Redis is down', () => {
  it('answers 503 to Alertmanager (so it retries) and to /readyz, and keeps serving /healthz', async () => {
    const bot = await startTestBot({ slack, env: { REDIS_URL: `redis://127.0.0.1:${await closedPort()}`, REDIS_STARTUP_WAIT: '200ms' } });
    try {
      const response = await bot.postWebhook(notification({ group: uniqueGroup(), alerts: [{ fingerprint: 'd1' }] }));
      expect(response.status).toBe(503);
      expect(((await response.json()) as { error: string }).error).toMatch(/Redis did not answer/);
      expect((await fetch(`${bot.url}/readyz`)).status).toBe(503);
      expect((await fetch(`${bot.url}/healthz`)).status).toBe(200);
      expect(bot.logs.some((l) => l.msg === 'Redis not reachable at start-up; serving anyway, /readyz answers 503 until it is')).toBe(true);
    } finally {
      await bot.stop();
    }
  });
});

describe('start-up', () => {
  it('needs GITLAB_URL and GITLAB_TOKEN only when a service rolls back through GitLab, and names them', async () => {
    const services = `services:
  payment-service:
    channel: C0PAYMENTS
    approvers: [U0ALICE]
    gitlab:
      project: shop/payment-service
      environment: production
`;
    await expect(startTestBot({ slack, services })).rejects.toThrow(/GITLAB_URL, GITLAB_TOKEN: required because payment-service roll back through GitLab/);
    await expect(startTestBot({ slack, services, env: { GITLAB_URL: 'https://gitlab.example.com' } })).rejects.toThrow(/GITLAB_TOKEN: required/);
  });

  it('needs PROMETHEUS_URL only when a service lists health checks, and names the services', async () => {
    const services = `services:
  payment-service:
    channel: C0PAYMENTS
    health:
      - name: error-rate
        query: up
        min: 1
`;
    await expect(startTestBot({ slack, services })).rejects.toThrow(/PROMETHEUS_URL: required because payment-service list health checks/);
  });

  it('stops on a broken runbook, naming the file, the field and the reason', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'runbooks-'));
    await writeFile(join(dir, 'broken.yaml'), 'id: broken\ntitle: Broken\nmatch: []\nactions: []\n');
    await expect(startTestBot({ slack, env: { RUNBOOKS_DIR: dir } })).rejects.toThrow(/broken\.yaml: match: /);
  });
});

describe('logs', () => {
  it('never contain the tokens or the signing secret', async () => {
    const bot = await startTestBot({ slack });
    await bot.postWebhook(notification({ group: uniqueGroup(), alerts: [{ fingerprint: 'l1' }] }), { token: 'wrong-token-wrong-token' });
    // A Slack failure logs the SDK's error, which carries the request and its Authorization header.
    slack.script('chat.postMessage', { status: 200, body: { ok: false, error: 'invalid_auth' } });
    await bot.postWebhook(notification({ group: uniqueGroup(), alerts: [{ fingerprint: 'l2' }] }));
    await waitFor(() => bot.logs.some((l) => l.msg === 'Slack delivery dropped'), { message: 'a logged Slack failure' });
    await bot.stop();
    const all = JSON.stringify(bot.logs);
    expect(bot.logs.length).toBeGreaterThan(3);
    expect(all).not.toContain(bot.app.config.slack.botToken);
    expect(all).not.toContain(bot.app.config.alertmanagerToken);
    expect(all).not.toContain(String(bot.app.config.slack.signingSecret));
  });
});
