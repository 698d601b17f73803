/**
 * Slack is a view of Redis: whatever Slack does for a while (5xx, an outage), and whatever
 * happens to the bot meanwhile (a restart while deliveries were lost), every message and
 * thread ends up showing what Redis holds, within a bound. The outages here last longer than
 * the old retry budget (8 attempts, about 8 s for a thread waiting on its message).
 */
import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { FakeSlack, type SlackCall } from '../support/fake-slack.js';
import { startTestBot, type TestBot } from '../support/bot.js';
import { notification, uniqueGroup } from '../support/fixtures.js';
import { isPostedDraft, POSTED_DRAFT } from '../support/retro-draft.js';
import { waitFor } from '../support/wait.js';

/** From Slack's recovery to the last message showing Redis: the reconcile interval plus the longest retry wait (both 1 s here), with room for a loaded machine. */
const CONVERGENCE_BOUND_MS = 5_000;
/** The old queue dropped a delivery after this many attempts. */
const OLD_ATTEMPTS = 8;

let slack: FakeSlack;
beforeAll(async () => {
  slack = await FakeSlack.start();
});
afterAll(async () => {
  await slack?.close();
});
afterEach(() => slack.reset());

const firing = (group: string) => notification({ group, alerts: [{ fingerprint: `${group}-0` }] });
const resolved = (group: string) => notification({ group, alerts: [{ fingerprint: `${group}-0`, status: 'resolved' as const }] });
const outage = { status: 503, body: { ok: false, error: 'service_unavailable' } };
const failed = (c: SlackCall) => c.result === undefined;

async function openIncidents(bot: TestBot, count: number): Promise<Array<{ group: string; id: string; ts: string }>> {
  const opened = [];
  for (let i = 0; i < count; i += 1) {
    const group = uniqueGroup();
    const body = (await (await bot.postWebhook(firing(group))).json()) as { incident: string };
    opened.push({ group, id: body.incident });
  }
  await waitFor(() => slack.callsTo('chat.postMessage').filter((c) => !c.params.thread_ts && !failed(c)).length >= count, { message: 'first posts' });
  return opened.map((o) => {
    const post = slack.callsTo('chat.postMessage').find((c) => !c.params.thread_ts && String(c.params.text).includes(`INC-${o.id}`));
    return { ...o, ts: String(post?.result?.ts) };
  });
}

/** Every message shows [RESOLVED], and its reference in Redis records the incident's version. */
async function convergedOnResolved(bot: TestBot, incidents: Array<{ id: string; ts: string }>): Promise<boolean> {
  for (const { id, ts } of incidents) {
    const updates = slack.callsTo('chat.update').filter((c) => c.params.ts === ts && !failed(c));
    if (!String(updates.at(-1)?.params.text).startsWith('[RESOLVED]')) return false;
    const doc = JSON.parse((await bot.redis.hget(`${bot.prefix}incident:${id}`, 'doc')) ?? '{}') as { version?: number; state?: string };
    const shown = await bot.redis.hget(`${bot.prefix}incident:${id}:message`, 'version');
    if (doc.state !== 'resolved' || Number(shown) !== doc.version) return false;
  }
  return true;
}

describe('reconciling Slack with Redis', () => {
  it('brings every message to the state in Redis after chat.update fails for longer than the old retry budget', async () => {
    const bot = await startTestBot({ slack, env: { SLACK_RECONCILE_INTERVAL: '1s' } });
    try {
      const incidents = await openIncidents(bot, 3);
      slack.script('chat.update', outage, 10_000);
      for (const { group } of incidents) await bot.postWebhook(resolved(group));
      await waitFor(() => incidents.every(({ ts }) => slack.callsTo('chat.update').filter((c) => c.params.ts === ts && failed(c)).length > OLD_ATTEMPTS), {
        timeoutMs: 30_000,
        message: `more than ${OLD_ATTEMPTS} failed updates of every message`,
      });
      const recoveredAt = Date.now();
      slack.recover('chat.update');
      await waitFor(() => convergedOnResolved(bot, incidents), { timeoutMs: CONVERGENCE_BOUND_MS, message: 'every message resolved within the bound' });
      expect(Date.now() - recoveredAt).toBeLessThan(CONVERGENCE_BOUND_MS);
      expect(bot.logs.some((l) => l.msg === 'Slack delivery dropped')).toBe(false);
    } finally {
      await bot.stop();
    }
  }, 60_000);

  it('a bot restarted after its deliveries were lost brings every message up to date at start-up', async () => {
    const prefix = `test:${randomUUID()}:`;
    const first = await startTestBot({ slack, prefix, env: { SHUTDOWN_TIMEOUT: '1s' } });
    let incidents: Array<{ group: string; id: string; ts: string }>;
    try {
      incidents = await openIncidents(first, 3);
      slack.script('chat.update', outage, 10_000);
      for (const { group } of incidents) await first.postWebhook(resolved(group));
      await waitFor(() => incidents.every(({ ts }) => slack.callsTo('chat.update').some((c) => c.params.ts === ts && failed(c))), {
        message: 'a failed update of every message',
      });
    } finally {
      await first.stop();
    }
    slack.recover('chat.update');
    // The periodic sweep is far off: only the start-up sweep can bring the messages up to date.
    const startedAt = Date.now();
    const second = await startTestBot({ slack, prefix, env: { SLACK_RECONCILE_INTERVAL: '1h' } });
    try {
      await waitFor(() => convergedOnResolved(second, incidents), { timeoutMs: CONVERGENCE_BOUND_MS, message: 'every message resolved after the restart' });
      expect(Date.now() - startedAt).toBeLessThan(CONVERGENCE_BOUND_MS);
      expect(slack.callsTo('chat.postMessage').filter((c) => !c.params.thread_ts)).toHaveLength(3);
    } finally {
      const keys = await second.redis.keys(`${prefix}*`);
      if (keys.length > 0) await second.redis.del(...keys);
      await second.stop();
    }
  }, 30_000);

  it('replies in each thread once after the first post was delayed by an outage longer than 8 s', async () => {
    const bot = await startTestBot({ slack, env: { SLACK_RECONCILE_INTERVAL: '1s' } });
    try {
      slack.script('chat.postMessage', outage, 10_000);
      const groups = [uniqueGroup(), uniqueGroup()];
      const ids: string[] = [];
      for (const group of groups) {
        ids.push(((await (await bot.postWebhook(firing(group))).json()) as { incident: string }).incident);
        await bot.postWebhook(resolved(group));
      }
      const failedPosts = () => slack.callsTo('chat.postMessage').filter(failed);
      await waitFor(() => (failedPosts().at(-1)?.at ?? 0) - (failedPosts()[0]?.at ?? Infinity) > 9_000, {
        timeoutMs: 20_000,
        message: 'an outage of more than 9 s',
      });
      const recoveredAt = Date.now();
      slack.recover('chat.postMessage');
      await waitFor(() => cursorsCaughtUp(bot, ids), { timeoutMs: CONVERGENCE_BOUND_MS, message: 'every thread replied' });
      expect(Date.now() - recoveredAt).toBeLessThan(CONVERGENCE_BOUND_MS);
      for (const id of ids) {
        const posts = slack.callsTo('chat.postMessage').filter((c) => !failed(c) && !c.params.thread_ts && String(c.params.text).includes(`INC-${id}`));
        expect(posts).toHaveLength(1);
        const replies = slack.callsTo('chat.postMessage').filter((c) => !failed(c) && c.params.thread_ts === posts[0]?.result?.ts);
        // The resolution's reply, then the retrospective draft it owes: each once.
        expect(replies).toHaveLength(2);
        expect(String(replies[0]?.params.text)).toContain('Incident resolved');
        expect(String(replies[1]?.params.text).slice(0, `${POSTED_DRAFT}INC-`.length)).toBe(`${POSTED_DRAFT}INC-`);
      }
    } finally {
      await bot.stop();
    }
  }, 40_000);

  it('a replica started after another stopped during the outage sends the thread replies it left, once', async () => {
    const prefix = `test:${randomUUID()}:`;
    const first = await startTestBot({ slack, prefix, env: { SHUTDOWN_TIMEOUT: '1s' } });
    const ids: string[] = [];
    try {
      const incidents = await openIncidents(first, 2);
      slack.script('chat.postMessage', outage, 10_000);
      for (const { group, id } of incidents) {
        ids.push(id);
        await first.postWebhook(resolved(group));
      }
      await waitFor(() => slack.callsTo('chat.postMessage').filter((c) => c.params.thread_ts && failed(c)).length >= 2, { message: 'failed replies' });
    } finally {
      await first.stop();
    }
    slack.recover('chat.postMessage');
    const second = await startTestBot({ slack, prefix, env: { SLACK_RECONCILE_INTERVAL: '1h' } });
    try {
      await waitFor(() => cursorsCaughtUp(second, ids), { timeoutMs: CONVERGENCE_BOUND_MS, message: 'every thread replied after the restart' });
      const replies = slack.callsTo('chat.postMessage').filter((c) => c.params.thread_ts && !failed(c));
      // Each thread gets its resolution's reply and its retrospective draft, which the stopped replica never posted: none lost, none twice.
      expect(replies).toHaveLength(4);
      const drafts = replies.filter((r) => isPostedDraft(r.params.text));
      expect(new Set(drafts.map((r) => r.params.thread_ts)).size).toBe(2);
      expect(drafts).toHaveLength(2);
    } finally {
      const keys = await second.redis.keys(`${prefix}*`);
      if (keys.length > 0) await second.redis.del(...keys);
      await second.stop();
    }
  }, 30_000);
});

/** The thread cursor of every incident has reached the end of its timeline: nothing is left in the outbox. */
async function cursorsCaughtUp(bot: TestBot, ids: readonly string[]): Promise<boolean> {
  for (const id of ids) {
    const length = await bot.redis.llen(`${bot.prefix}incident:${id}:timeline`);
    const cursor = Number((await bot.redis.get(`${bot.prefix}incident:${id}:thread-cursor`)) ?? 0);
    if (length === 0 || cursor < length) return false;
  }
  return true;
}
