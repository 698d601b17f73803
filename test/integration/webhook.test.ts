import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { MAX_WEBHOOK_BYTES } from '../../src/alerts/webhook-route.js';
import { FakeSlack } from '../support/fake-slack.js';
import { startTestBot, type TestBot } from '../support/bot.js';
import { fixture, notification, uniqueGroup } from '../support/fixtures.js';
import { waitFor } from '../support/wait.js';

let slack: FakeSlack;
let bot: TestBot;

beforeAll(async () => {
  slack = await FakeSlack.start();
  bot = await startTestBot({ slack, env: { REOPEN_WINDOW: '2s' } });
});
afterAll(async () => {
  await bot?.stop();
  await slack?.close();
});
afterEach(() => slack.reset());

const topLevelPosts = () => slack.callsTo('chat.postMessage').filter((c) => c.params.thread_ts === undefined);
/** What the bot keeps under its prefix, less the leases its scheduler takes on each tick whatever the requests are. */
const storedKeys = async () => (await bot.redis.keys(`${bot.prefix}*`)).filter((key) => !key.startsWith(`${bot.prefix}lease:tick:`)).sort();

describe('POST /alertmanager refuses bad input and stores nothing', () => {
  it('401 without a bearer token, or with a wrong one', async () => {
    const before = await storedKeys();
    const missing = await bot.postWebhook(fixture('alertmanager-0.25-firing'), { token: null });
    expect(missing.status).toBe(401);
    expect(missing.headers.get('www-authenticate')).toBe('Bearer');
    const wrong = await bot.postWebhook(fixture('alertmanager-0.25-firing'), { token: 'not-the-token-at-all' });
    expect(wrong.status).toBe(401);
    expect(await storedKeys()).toEqual(before);
  });

  it('400 with the reason for malformed JSON and for a payload that is not Alertmanager v4', async () => {
    const before = await storedKeys();
    const malformed = await bot.postWebhook(undefined, { raw: '{"version": "4", ' });
    expect(malformed.status).toBe(400);
    expect(((await malformed.json()) as { error: string }).error).toMatch(/^malformed JSON/);

    const wrongShape = await bot.postWebhook({ ...fixture('alertmanager-0.25-firing'), version: '3', alerts: [] });
    expect(wrongShape.status).toBe(400);
    const body = (await wrongShape.json()) as { problems: string[] };
    expect(body.problems).toEqual(
      expect.arrayContaining([expect.stringMatching(/^version: only Alertmanager webhook version "4"/), expect.stringMatching(/^alerts:/)]),
    );
    expect(await storedKeys()).toEqual(before);
    expect(bot.logs.some((l) => l.msg === 'alertmanager webhook refused: malformed JSON')).toBe(true);
  });

  it('400 naming the field for a timestamp that does not parse, and the incident already stored is kept as it was', async () => {
    const group = uniqueGroup();
    // Alertmanager's zero endsAt (0001-01-01T00:00:00Z) on a firing alert is a timestamp like any other.
    const accepted = await bot.postWebhook(notification({ group, alerts: [{ fingerprint: 't1' }] }));
    expect(accepted.status).toBe(200);
    const { incident } = (await accepted.json()) as { incident: string };
    await slack.waitForCalls('chat.postMessage', 1);
    const stored = async () => ({
      incident: await bot.redis.hgetall(`${bot.prefix}incident:${incident}`),
      timeline: await bot.redis.lrange(`${bot.prefix}incident:${incident}:timeline`, 0, -1),
    });
    const before = await stored();

    const withAlert = (changes: Record<string, unknown>) => {
      const next = notification({ group, alerts: [{ fingerprint: 't1', status: 'resolved' }, { fingerprint: 't2' }] });
      return { ...next, alerts: [next.alerts[0], { ...next.alerts[1], ...changes }] };
    };
    const refusals = [
      { body: withAlert({ startsAt: 'not a date' }), field: 'alerts.1.startsAt' },
      { body: withAlert({ startsAt: '2026-02-30T10:00:00Z' }), field: 'alerts.1.startsAt' },
      { body: withAlert({ endsAt: 'tomorrow' }), field: 'alerts.1.endsAt' },
      { body: withAlert({ endsAt: '' }), field: 'alerts.1.endsAt' },
    ];
    for (const { body, field } of refusals) {
      const refused = await bot.postWebhook(body);
      expect(refused.status, field).toBe(400);
      expect(((await refused.json()) as { problems: string[] }).problems).toEqual([`${field}: expected an RFC 3339 timestamp such as 2026-11-21T23:15:32Z`]);
    }
    expect(await stored()).toEqual(before);
    const again = await bot.postWebhook(notification({ group, alerts: [{ fingerprint: 't1' }] }));
    expect(await again.json()).toEqual({ status: 'ok', incident, changed: false });
  });

  it('413 for a body over 1 MiB', async () => {
    const huge = await bot.postWebhook(undefined, { raw: JSON.stringify({ padding: 'x'.repeat(MAX_WEBHOOK_BYTES) }) });
    expect(huge.status).toBe(413);
  });
});

describe('POST /alertmanager merges notifications into incidents', () => {
  it('posts one message for the first firing, updates it in place, and ignores duplicates', async () => {
    const group = uniqueGroup();
    const first = notification({ group, alerts: [{ fingerprint: 'f1', instance: 'pay-1' }] });
    const accepted = await bot.postWebhook(first);
    expect(accepted.status).toBe(200);
    const { incident } = (await accepted.json()) as { incident: string };

    const [post] = await slack.waitForCalls('chat.postMessage', 1);
    expect(post?.params.channel).toBe('C0PAYMENTS');
    expect(String(post?.params.text)).toMatch(/^\[FIRING\]/);

    const duplicate = await bot.postWebhook(first);
    expect(await duplicate.json()).toEqual({ status: 'ok', incident, changed: false });

    const grown = notification({
      group,
      alerts: [
        { fingerprint: 'f1', instance: 'pay-1' },
        { fingerprint: 'f2', instance: 'pay-2' },
      ],
    });
    expect((await bot.postWebhook(grown)).status).toBe(200);
    const [update] = await slack.waitForCalls('chat.update', 1);
    expect(update?.params.ts).toBe(post?.result?.ts);
    expect(update?.params.channel).toBe('C0PAYMENTS');
    expect(JSON.stringify(update?.params.blocks)).toContain('2 firing of 2');

    const resolved = notification({
      group,
      alerts: [
        { fingerprint: 'f1', status: 'resolved' },
        { fingerprint: 'f2', status: 'resolved' },
      ],
    });
    expect((await bot.postWebhook(resolved)).status).toBe(200);
    await waitFor(() => slack.callsTo('chat.update').some((c) => String(c.params.text).startsWith('[RESOLVED]')), { message: 'resolved update' });
    const reply = await waitFor(() => slack.callsTo('chat.postMessage').find((c) => c.params.thread_ts !== undefined), { message: 'thread reply' });
    expect(String(reply?.params.text)).toContain('every alert of the group has resolved');
    expect(topLevelPosts()).toHaveLength(1);
    const updateTargets = new Set(slack.callsTo('chat.update').map((c) => c.params.ts));
    expect(updateTargets.size).toBe(1);

    const state = await bot.redis.hget(`${bot.prefix}incident:${incident}`, 'state');
    expect(state).toBe('resolved');
    const timeline = (await bot.redis.lrange(`${bot.prefix}incident:${incident}:timeline`, 0, -1)).map((e) => JSON.parse(e).kind);
    expect(timeline).toEqual(['opened', 'alert_firing', 'alert_resolved', 'resolved', 'retro']);
  });

  it('reopens within the reopen window and opens a new incident after it', async () => {
    const group = uniqueGroup();
    const fire = (startsAt: string) => bot.postWebhook(notification({ group, alerts: [{ fingerprint: 'r1', startsAt }] }));
    const resolve = () => bot.postWebhook(notification({ group, alerts: [{ fingerprint: 'r1', status: 'resolved' }] }));
    const first = (await (await fire('2026-11-22T00:00:00Z')).json()) as { incident: string };
    await resolve();
    const again = (await (await fire('2026-11-22T00:05:00Z')).json()) as { incident: string };
    expect(again.incident).toBe(first.incident);
    expect(await bot.redis.hget(`${bot.prefix}incident:${first.incident}`, 'state')).toBe('firing');

    await resolve();
    const pointer = await groupPointerKey(group);
    await waitFor(async () => (await bot.redis.pttl(pointer)) === -2, {
      timeoutMs: 5_000,
      message: 'group pointer to expire after REOPEN_WINDOW',
    });
    const later = (await (await fire('2026-11-22T00:10:00Z')).json()) as { incident: string };
    expect(later.incident).not.toBe(first.incident);
  });

  it('answers 200 without opening anything for a resolved notification of an unknown group', async () => {
    const response = await bot.postWebhook(fixture('alertmanager-0.25-resolved'));
    expect(await response.json()).toEqual({ status: 'ok', incident: null, changed: false });
  });
});

async function groupPointerKey(group: string): Promise<string> {
  const { createHash } = await import('node:crypto');
  const groupKey = `{}:{alertname="${group}", service="payment-service"}`;
  return `${bot.prefix}group:${createHash('sha256').update(groupKey).digest('hex').slice(0, 32)}`;
}
