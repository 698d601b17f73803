import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { FakeSlack } from '../support/fake-slack.js';
import { startTestBot, type TestBot } from '../support/bot.js';
import { notification, uniqueGroup } from '../support/fixtures.js';
import { isPostedDraft } from '../support/retro-draft.js';
import { waitFor } from '../support/wait.js';

let slack: FakeSlack;
beforeAll(async () => {
  slack = await FakeSlack.start();
});
afterAll(async () => {
  await slack?.close();
});
afterEach(() => slack.reset());

const firing = (group: string, count: number) => notification({ group, alerts: Array.from({ length: count }, (_, i) => ({ fingerprint: `${group}-${i}` })) });
const resolved = (group: string, count: number) =>
  notification({ group, alerts: Array.from({ length: count }, (_, i) => ({ fingerprint: `${group}-${i}`, status: 'resolved' as const })) });

describe('Slack delivery', () => {
  let bot: TestBot;
  beforeAll(async () => {
    // At Slack's own pace, as in production.
    bot = await startTestBot({ slack, env: { SLACK_MESSAGE_INTERVAL: '1s', SLACK_UPDATES_PER_MINUTE: '50' } });
  });
  afterAll(async () => {
    await bot?.stop();
  });

  it('honours 429 Retry-After and still delivers the final state', async () => {
    const group = uniqueGroup();
    await bot.postWebhook(firing(group, 1));
    await slack.waitForCalls('chat.postMessage', 1);
    let limited = 0;
    slack.rateLimit = (call) => (call.method === 'chat.update' && limited++ < 2 ? 1 : undefined);
    await bot.postWebhook(resolved(group, 1));
    const final = await waitFor(() => slack.callsTo('chat.update').find((c) => String(c.params.text).startsWith('[RESOLVED]')), {
      timeoutMs: 8_000,
      message: 'final state after 429s',
    });
    expect(slack.callsTo('chat.update:429')).toHaveLength(2);
    const [first429, second429] = slack.callsTo('chat.update:429');
    expect(second429!.at - first429!.at).toBeGreaterThanOrEqual(950);
    expect(final?.at).toBeGreaterThanOrEqual(second429!.at + 950);
    // The thread catches up too (the resolution's reply, then its retrospective draft), so none of it lands in the next test.
    await waitFor(() => slack.callsTo('chat.postMessage').some((c) => isPostedDraft(c.params.text)), {
      timeoutMs: 8_000,
      message: 'the retrospective draft',
    });
  });

  it('retries a transient Slack failure and gives up on a permanent one without losing other incidents', async () => {
    slack.script('chat.postMessage', { status: 500, body: { ok: false } });
    const group = uniqueGroup();
    await bot.postWebhook(firing(group, 1));
    await slack.waitForCalls('chat.postMessage', 2, 8_000);
    expect(slack.callsTo('chat.postMessage')[1]?.result?.ok).toBe(true);

    // A refusal that neither another channel nor the brief form gets past: a refusing channel
    // falls back (slack-channel-fallback.test.ts), a refused message goes in brief (slack-block-limits.test.ts).
    slack.script('chat.postMessage', { status: 200, body: { ok: false, error: 'restricted_action' } });
    const refused = (await (await bot.postWebhook(firing(uniqueGroup(), 1))).json()) as { incident: string };
    await waitFor(() => bot.logs.some((l) => l.msg === 'Slack delivery dropped'), { message: 'a logged drop' });
    expect(bot.logs).toContainEqual(
      expect.objectContaining({
        method: 'chat.postMessage',
        channel: 'C0PAYMENTS',
        service: 'payment-service',
        incidentId: refused.incident,
        reason: 'restricted_action',
      }),
    );
    const metrics = await (await fetch(`${bot.url}/metrics`)).text();
    expect(metrics).toContain('chatops_slack_deliveries_dropped_total 1');
  });

  it('coalesces a burst of changes to one message into few updates, the last one final', async () => {
    const group = uniqueGroup();
    await bot.postWebhook(firing(group, 1));
    await slack.waitForCalls('chat.postMessage', 1);
    for (let n = 2; n <= 30; n += 1) expect((await bot.postWebhook(firing(group, n))).status).toBe(200);
    await waitFor(() => slack.callsTo('chat.update').some((c) => JSON.stringify(c.params.blocks).includes('30 firing of 30')), {
      timeoutMs: 8_000,
      message: 'the latest state',
    });
    expect(slack.callsTo('chat.update').length).toBeLessThanOrEqual(3);
  });
});

describe('shutdown', () => {
  it('flushes pending Slack deliveries before it stops', async () => {
    const bot = await startTestBot({ slack });
    const groups = [uniqueGroup(), uniqueGroup(), uniqueGroup()];
    for (const group of groups) expect((await bot.postWebhook(firing(group, 1))).status).toBe(200);
    await bot.stop();
    expect(slack.callsTo('chat.postMessage').filter((c) => !c.params.thread_ts)).toHaveLength(3);
    await expect(fetch(`${bot.url}/healthz`)).rejects.toThrow();
  });
});

describe('two replicas on one Redis', () => {
  it('post one message per incident when both receive the same notifications (an Alertmanager HA pair)', async () => {
    const a = await startTestBot({ slack });
    const b = await startTestBot({ slack, prefix: a.prefix });
    try {
      const group = uniqueGroup();
      const results = await Promise.all([a.postWebhook(firing(group, 3)), b.postWebhook(firing(group, 3))]);
      const bodies = (await Promise.all(results.map((r) => r.json()))) as Array<{ incident: string; changed: boolean }>;
      expect(bodies[0]?.incident).toBe(bodies[1]?.incident);
      expect(bodies.filter((x) => x.changed)).toHaveLength(1);
      await Promise.all([a.postWebhook(resolved(group, 3)), b.postWebhook(resolved(group, 3))]);
      await waitFor(() => slack.callsTo('chat.update').some((c) => String(c.params.text).startsWith('[RESOLVED]')), { timeoutMs: 8_000 });
      expect(slack.callsTo('chat.postMessage').filter((c) => !c.params.thread_ts)).toHaveLength(1);
    } finally {
      await b.stop();
      await a.stop();
    }
  });

  it('share one Slack budget: posts to one channel stay a message interval apart across both', async () => {
    const env = { SLACK_MESSAGE_INTERVAL: '500ms' };
    const a = await startTestBot({ slack, env });
    const b = await startTestBot({ slack, prefix: a.prefix, env });
    try {
      const groups = Array.from({ length: 6 }, () => uniqueGroup());
      await Promise.all(groups.map((group, i) => (i % 2 === 0 ? a : b).postWebhook(firing(group, 1))));
      const posts = () => slack.callsTo('chat.postMessage').filter((c) => !c.params.thread_ts && c.params.channel === 'C0PAYMENTS');
      await waitFor(() => posts().length >= groups.length, { timeoutMs: 10_000, message: 'every incident posted' });
      const at = posts()
        .map((c) => c.at)
        .sort((x, y) => x - y);
      const gaps = at.slice(1).map((t, i) => t - (at[i] ?? 0));
      // 500 ms and Slack's margin, less what the loopback round trip may shift a call by.
      expect(Math.min(...gaps)).toBeGreaterThanOrEqual(450);
    } finally {
      await b.stop();
      await a.stop();
    }
  });
});
