/**
 * End to end: a REAL Prometheus Alertmanager notifies the bot over HTTP, the bot keeps the
 * incident in the real Redis and one live message in (fake) Slack. Then the bodies an
 * Alertmanager 0.25 sent, kept in test/fixtures, are replayed, duplicates included.
 *
 * "A duplicate changed nothing" is shown without sleeping: after the duplicates, a distinct
 * notification is sent and its Slack message awaited; the duplicates must have caused no
 * Slack call before it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WebhookPayload } from '../../src/alerts/schema.js';
import type { Incident, TimelineEntry } from '../../src/incidents/incident.js';
import { startAlertmanager, type AlertmanagerHarness } from '../support/alertmanager.js';
import { ALERTMANAGER_TOKEN, startTestBot, type TestBot } from '../support/bot.js';
import { FakeSlack, type SlackCall } from '../support/fake-slack.js';
import { fixture, notification, uniqueGroup } from '../support/fixtures.js';
import { isPostedDraft } from '../support/retro-draft.js';
import { waitFor, type WaitForOptions } from '../support/wait.js';

const E2E_TIMEOUT_MS = 30_000;
/** Alertmanager waits group_wait (1 s) before its first notification; leave it room. */
const DELIVERY_TIMEOUT_MS = 15_000;

// ---------------------------------------------------------------- helpers

/** waitFor for a lookup: resolves with what was found (never undefined), or fails at the deadline. */
async function found<T>(lookup: () => T | undefined | Promise<T | undefined>, opts: WaitForOptions): Promise<T> {
  return (await waitFor(lookup, opts)) as T;
}

const topLevelPosts = (slack: FakeSlack, channel?: string) =>
  slack.callsTo('chat.postMessage').filter((c) => c.params.thread_ts === undefined && (channel === undefined || c.params.channel === channel));

function tsOf(post: SlackCall): string {
  const ts = post.result?.ts;
  if (typeof ts !== 'string') throw new Error(`the fake Slack gave no ts to ${JSON.stringify(post.params).slice(0, 200)}`);
  return ts;
}

async function storedIncident(bot: TestBot, id: string): Promise<{ version: string; state: string; incident: Incident }> {
  const hash = await bot.redis.hgetall(`${bot.prefix}incident:${id}`);
  if (!hash.doc) throw new Error(`incident ${id} is not stored`);
  return { version: hash.version ?? '', state: hash.state ?? '', incident: JSON.parse(hash.doc) as Incident };
}

async function storedTimeline(bot: TestBot, id: string): Promise<TimelineEntry[]> {
  return (await bot.redis.lrange(`${bot.prefix}incident:${id}:timeline`, 0, -1)).map((l) => JSON.parse(l) as TimelineEntry);
}

/**
 * The notification Alertmanager sent, rebuilt from what the bot stored of it: each alert
 * is kept exactly as it arrived (fingerprint, status, labels, annotations, times, URL).
 */
function redelivery(incident: Incident, receiver: string): WebhookPayload {
  const alerts = Object.values(incident.alerts).map((a) => ({
    status: a.status,
    labels: a.labels,
    annotations: a.annotations,
    startsAt: a.startsAt,
    endsAt: a.endsAt,
    generatorURL: a.generatorURL,
    fingerprint: a.fingerprint,
  }));
  return {
    version: '4',
    groupKey: incident.groupKey,
    truncatedAlerts: incident.truncatedAlerts,
    status: alerts.some((a) => a.status === 'firing') ? 'firing' : 'resolved',
    receiver,
    groupLabels: incident.groupLabels,
    commonLabels: incident.groupLabels,
    commonAnnotations: incident.commonAnnotations,
    externalURL: incident.externalURL,
    alerts,
  };
}

async function postExpecting(bot: TestBot, body: unknown, expected: { changed: boolean; incident?: string }): Promise<string | null> {
  const res = await bot.postWebhook(body);
  const text = await res.text();
  expect(res.status, text).toBe(200);
  const answer = JSON.parse(text) as { incident: string | null; changed: boolean };
  expect(answer).toMatchObject({ status: 'ok', ...expected });
  return answer.incident;
}

/** Waits until the bot's Slack delivery queue is empty (its /metrics gauge reads 0). */
async function deliveriesIdle(bot: TestBot): Promise<void> {
  await waitFor(
    async () => {
      const res = await fetch(`${bot.url}/metrics`);
      return /^chatops_slack_queue_depth 0$/m.test(await res.text());
    },
    { timeoutMs: 15_000, message: 'the Slack delivery queue did not drain' },
  );
}

/** The retrospective drafts in the thread of `ts`: one is owed for each resolution. */
const draftsUnder = (slack: FakeSlack, ts: string) =>
  slack.callsTo('chat.postMessage').filter((c) => c.params.thread_ts === ts && isPostedDraft(c.params.text));

/** Waits for the resolution's retrospective draft, the last thing a resolution sends to Slack. */
async function draftPosted(slack: FakeSlack, ts: string): Promise<void> {
  await waitFor(() => draftsUnder(slack, ts).length > 0, { timeoutMs: 10_000, message: `no retrospective draft under ${ts}` });
}

/**
 * Sends a distinct notification (a new incident for payment-service), waits for its Slack
 * message and for the delivery queue to drain (so work queued earlier, e.g. by a duplicate,
 * has run too); returns every Slack call recorded from `mark` on, the follow-up's included.
 */
async function followUpCalls(bot: TestBot, slack: FakeSlack, mark: number): Promise<SlackCall[]> {
  const group = uniqueGroup();
  const id = await postExpecting(bot, notification({ group, service: 'payment-service', alerts: [{ fingerprint: `${group}-x` }] }), { changed: true });
  await waitFor(() => topLevelPosts(slack, 'C0PAYMENTS').find((c) => String(c.params.text).includes(`INC-${id} `)), {
    timeoutMs: 10_000,
    message: `the follow-up INC-${id} was not posted`,
  });
  await deliveriesIdle(bot);
  return slack.calls.slice(mark);
}

// ---------------------------------------------------------------- a real Alertmanager

describe('with a real Prometheus Alertmanager', () => {
  let slack: FakeSlack;
  let bot: TestBot;
  let am: AlertmanagerHarness;

  beforeAll(async () => {
    slack = await FakeSlack.start();
    bot = await startTestBot({ slack });
    am = await startAlertmanager({ webhookUrl: `${bot.url}/alertmanager`, bearerToken: ALERTMANAGER_TOKEN });
  }, E2E_TIMEOUT_MS);
  afterAll(async () => {
    await am?.stop();
    await bot?.stop();
    await slack?.close();
  }, E2E_TIMEOUT_MS);

  it(
    'a fired alert becomes one message in the service channel, updated in place when it resolves; redeliveries change nothing',
    async () => {
      const alertname = uniqueGroup();
      const labels = { alertname, service: 'checkout', severity: 'critical', instance: 'web-7' };
      await am.fire(labels, { summary: 'Checkout 5xx above 5%', runbook_url: 'https://runbooks.example.com/checkout' });

      // Firing: one top-level message in the checkout channel.
      const post = await found(() => topLevelPosts(slack, 'C0CHECKOUT')[0], {
        timeoutMs: DELIVERY_TIMEOUT_MS,
        message: 'no chat.postMessage to C0CHECKOUT',
      }).catch((error: unknown) => {
        throw new Error(`${(error as Error).message}\n--- Alertmanager log ---\n${am.logs()}`);
      });
      const ts = tsOf(post);
      const id = /INC-(\d+)/.exec(String(post.params.text))?.[1];
      expect(String(post.params.text)).toBe(`[FIRING] INC-${id} ${alertname} on checkout: 1 firing`);
      const firing = await storedIncident(bot, id ?? '');
      expect(firing.state).toBe('firing');
      expect(firing.incident.groupKey).toContain(`alertname="${alertname}"`);
      expect(firing.incident.channel).toBe('C0CHECKOUT');
      const firingBody = redelivery(firing.incident, 'chatops-bot');
      expect(firingBody.alerts).toEqual([expect.objectContaining({ status: 'firing', labels: labels })]);

      // Resolve only now: the firing notification has been delivered (the message exists).
      await am.resolve(labels);
      const update = await found(() => slack.callsTo('chat.update').find((c) => c.params.ts === ts && String(c.params.text).startsWith('[RESOLVED]')), {
        timeoutMs: DELIVERY_TIMEOUT_MS,
        message: `no chat.update of ${ts} starting with [RESOLVED]`,
      }).catch((error: unknown) => {
        throw new Error(`${(error as Error).message}\n--- Alertmanager log ---\n${am.logs()}`);
      });
      expect(update.params.channel).toBe('C0CHECKOUT');
      expect(String(update.params.text)).toBe(`[RESOLVED] INC-${id} ${alertname} on checkout: 0 firing`);
      await waitFor(() => slack.callsTo('chat.postMessage').find((c) => c.params.thread_ts === ts && /resolved/i.test(String(c.params.text))), {
        timeoutMs: 10_000,
        message: `no thread reply under ${ts} about the resolution`,
      });
      await draftPosted(slack, ts);
      expect(topLevelPosts(slack, 'C0CHECKOUT')).toHaveLength(1);
      expect(topLevelPosts(slack)).toHaveLength(1);

      const resolved = await storedIncident(bot, id ?? '');
      expect(resolved.state).toBe('resolved');
      expect(resolved.incident.resolvedBy).toBe('alertmanager');
      const resolvedBody = redelivery(resolved.incident, 'chatops-bot');
      expect(resolvedBody.alerts).toEqual([expect.objectContaining({ status: 'resolved', fingerprint: firingBody.alerts[0]?.fingerprint })]);
      const timelineBefore = await storedTimeline(bot, id ?? '');

      // Redeliveries (a retry, the other Alertmanager of an HA pair, a late firing one).
      const mark = slack.calls.length;
      await postExpecting(bot, resolvedBody, { changed: false, incident: id });
      await postExpecting(bot, firingBody, { changed: false, incident: id });
      await postExpecting(bot, resolvedBody, { changed: false, incident: id });

      const after = await followUpCalls(bot, slack, mark);
      expect(after.map((c) => `${c.method} ${String(c.params.channel)}`)).toEqual(['chat.postMessage C0PAYMENTS']);
      expect(await storedIncident(bot, id ?? '')).toEqual(resolved);
      expect(await storedTimeline(bot, id ?? '')).toEqual(timelineBefore);
      expect(topLevelPosts(slack, 'C0CHECKOUT')).toHaveLength(1);
      expect(draftsUnder(slack, ts)).toHaveLength(1);
    },
    E2E_TIMEOUT_MS,
  );
});

// ---------------------------------------------------------------- bodies captured from Alertmanager 0.25

describe('with the bodies captured from Alertmanager 0.25', () => {
  let slack: FakeSlack;
  let bot: TestBot;

  beforeAll(async () => {
    slack = await FakeSlack.start();
    bot = await startTestBot({ slack });
  }, E2E_TIMEOUT_MS);
  afterAll(async () => {
    await bot?.stop();
    await slack?.close();
  }, E2E_TIMEOUT_MS);

  it(
    'firing then resolved make one message updated in place; every repeated delivery changes nothing',
    async () => {
      const firingFixture = fixture('alertmanager-0.25-firing');
      const resolvedFixture = fixture('alertmanager-0.25-resolved');

      const id = await postExpecting(bot, firingFixture, { changed: true });
      const post = await found(() => topLevelPosts(slack, 'C0CHECKOUT')[0], { timeoutMs: 10_000, message: 'no chat.postMessage to C0CHECKOUT' });
      const ts = tsOf(post);
      expect(String(post.params.text)).toBe(`[FIRING] INC-${id} HighErrorRate on checkout: 1 firing`);
      const blocks = JSON.stringify(post.params.blocks);
      expect(blocks).toContain('5xx rate &gt; 5% on checkout');
      expect(blocks).toContain('https://runbooks.example.com/checkout');
      expect(blocks).toContain('"action_id":"incident.ack"');

      // The same firing body again (Alertmanager retries when it saw no answer).
      await postExpecting(bot, firingFixture, { changed: false, incident: id ?? undefined });

      await postExpecting(bot, resolvedFixture, { changed: true, incident: id ?? undefined });
      const update = await found(() => slack.callsTo('chat.update').find((c) => c.params.ts === ts && String(c.params.text).startsWith('[RESOLVED]')), {
        timeoutMs: 10_000,
        message: `no chat.update of ${ts} starting with [RESOLVED]`,
      });
      expect(update.params.channel).toBe('C0CHECKOUT');
      expect(String(update.params.text)).toBe(`[RESOLVED] INC-${id} HighErrorRate on checkout: 0 firing`);
      expect(JSON.stringify(update.params.blocks)).not.toContain('"type":"actions"');
      await waitFor(() => slack.callsTo('chat.postMessage').find((c) => c.params.thread_ts === ts && /resolved/i.test(String(c.params.text))), {
        timeoutMs: 10_000,
        message: `no thread reply under ${ts} about the resolution`,
      });
      await draftPosted(slack, ts);
      const stateBefore = await storedIncident(bot, id ?? '');
      expect(stateBefore.state).toBe('resolved');
      const timelineBefore = await storedTimeline(bot, id ?? '');

      // Repeated deliveries of both bodies, in either order.
      const mark = slack.calls.length;
      await postExpecting(bot, resolvedFixture, { changed: false, incident: id ?? undefined });
      await postExpecting(bot, firingFixture, { changed: false, incident: id ?? undefined });
      const raw = JSON.stringify(resolvedFixture);
      await postExpecting(bot, JSON.parse(raw), { changed: false, incident: id ?? undefined });

      const after = await followUpCalls(bot, slack, mark);
      expect(after.map((c) => `${c.method} ${String(c.params.channel)}`)).toEqual(['chat.postMessage C0PAYMENTS']);
      expect(await storedIncident(bot, id ?? '')).toEqual(stateBefore);
      expect(await storedTimeline(bot, id ?? '')).toEqual(timelineBefore);
      expect(topLevelPosts(slack, 'C0CHECKOUT')).toHaveLength(1);
      expect(draftsUnder(slack, ts)).toHaveLength(1);
      expect(slack.callsTo('chat.update').filter((c) => c.params.ts === ts)).toHaveLength(1);
    },
    E2E_TIMEOUT_MS,
  );

  it(
    'the same notification POSTed twice at once opens one incident and one message',
    async () => {
      const group = uniqueGroup();
      const body = notification({ group, service: 'checkout', alerts: [{ fingerprint: `${group}-a` }, { fingerprint: `${group}-b`, instance: 'web-2' }] });
      const mark = slack.calls.length;
      const answers = await Promise.all([bot.postWebhook(body), bot.postWebhook(body)]).then((all) =>
        Promise.all(all.map(async (r) => ({ http: r.status, ...((await r.json()) as { incident: string | null; changed: boolean }) }))),
      );
      expect(answers.map((a) => a.http)).toEqual([200, 200]);
      expect(answers.map((a) => a.changed).sort()).toEqual([false, true]);
      expect(answers[0]?.incident).toBe(answers[1]?.incident);
      const id = answers[0]?.incident;

      await waitFor(() => slack.calls.slice(mark).find((c) => c.method === 'chat.postMessage' && String(c.params.text).includes(`INC-${id} `)), {
        timeoutMs: 10_000,
        message: `no chat.postMessage for INC-${id}`,
      });
      const after = await followUpCalls(bot, slack, mark);
      expect(after.map((c) => `${c.method} ${String(c.params.channel)}`)).toEqual(['chat.postMessage C0CHECKOUT', 'chat.postMessage C0PAYMENTS']);
    },
    E2E_TIMEOUT_MS,
  );
});
