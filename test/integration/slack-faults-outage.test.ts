/**
 * Issue 13, fault 4: Slack is out for 40 s of real time (every chat.postMessage and
 * chat.update answered 503). Before the fix of the issue, 23 of 23 "resolved" thread replies
 * were lost: a reply waited about 8 s for its message and was then dropped.
 * slack-reconcile.test.ts covers outages of about 9 s; this one lasts 40 s.
 *
 * Half of the incidents are posted before the outage and resolve during it (their updates and
 * replies fail); the others open and resolve during it (their first post fails, and their
 * replies wait for it). The bound: from Slack's recovery, every message shows what Redis
 * holds and every thread has its reply, once, within CONVERGENCE_BOUND_MS: the longest retry
 * wait (the reconcile interval, 5 s here), then the deliveries at 50 ms per channel, with
 * room for a loaded machine.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestBot, type TestBot } from '../support/bot.js';
import { sendUntilAccepted, slackBehindRedis, storeOf, succeeded } from '../support/convergence.js';
import { FakeSlack } from '../support/fake-slack.js';
import { notification, uniqueGroup } from '../support/fixtures.js';
import { prefixedRedis } from '../support/redis.js';
import { waitFor } from '../support/wait.js';

const OUTAGE_MS = 40_000;
const BEFORE = 12;
const DURING = 11;
const CONVERGENCE_BOUND_MS = 15_000;
/** The reconcile interval, which is also the longest wait between retries. */
const RECONCILE_MS = 5_000;
const SERVICES = ['payment-service', 'checkout'] as const;
const outage = { status: 503, body: { ok: false, error: 'service_unavailable' } };

const firing = (group: string, service: string) => notification({ group, service, alerts: [{ fingerprint: `${group}-0` }] });
const resolved = (group: string, service: string) => notification({ group, service, alerts: [{ fingerprint: `${group}-0`, status: 'resolved' as const }] });

const { redis, newPrefix } = prefixedRedis('faults-outage');

describe('a 40 s Slack outage', () => {
  let slack: FakeSlack;
  let bot: TestBot;

  beforeAll(async () => {
    slack = await FakeSlack.start();
    bot = await startTestBot({ slack, prefix: newPrefix(), env: { SLACK_RECONCILE_INTERVAL: `${RECONCILE_MS}ms` } });
  });

  afterAll(async () => {
    await bot?.stop();
    await slack?.close();
  });

  it('every message and every "resolved" reply arrives after it, each reply once', async () => {
    const groups = Array.from({ length: BEFORE + DURING }, (_, i) => ({ name: uniqueGroup(), service: SERVICES[i % SERVICES.length] as string }));
    const incidents = new Set<string>();
    const send = async (body: ReturnType<typeof firing>) => incidents.add((await sendUntilAccepted(bot.postWebhook, body, { timeoutMs: 10_000 })).incident);
    const before = groups.slice(0, BEFORE);
    for (const g of before) await send(firing(g.name, g.service));
    await waitFor(() => slack.callsTo('chat.postMessage').filter(succeeded).length >= BEFORE, { timeoutMs: 10_000, message: 'first posts before the outage' });

    const failed = () => slack.calls.filter((c) => c.method.startsWith('chat.') && !succeeded(c));
    // The outage is a window of real time: every chat call that reaches Slack in it fails.
    const outageBegan = Date.now();
    const recoveredAt = outageBegan + OUTAGE_MS;
    const out = { ...outage, when: () => Date.now() < recoveredAt };
    slack.script('chat.postMessage', out, 1_000_000);
    slack.script('chat.update', out, 1_000_000);
    for (const g of before) await send(resolved(g.name, g.service));
    for (const g of groups.slice(BEFORE)) {
      await send(firing(g.name, g.service));
      await send(resolved(g.name, g.service));
    }

    const store = storeOf(redis, bot.prefix);
    let problems: string[] = [];
    await waitFor(
      async () => {
        problems = await slackBehindRedis(slack, store, incidents);
        return problems.length === 0;
      },
      { timeoutMs: recoveredAt + CONVERGENCE_BOUND_MS - Date.now(), intervalMs: 250, message: 'Slack behind Redis' },
    ).catch((error: unknown) => {
      throw new Error(`${problems.length} problem(s) ${CONVERGENCE_BOUND_MS} ms after Slack recovered:\n${problems.slice(0, 20).join('\n')}`, { cause: error });
    });
    const took = Date.now() - recoveredAt;
    slack.recover('chat.postMessage');
    slack.recover('chat.update');
    // The bot kept trying through the outage, to its end: it gave nothing up.
    expect(failed().at(-1)?.at).toBeGreaterThan(recoveredAt - 2 * RECONCILE_MS);
    const replies = slack.callsTo('chat.postMessage').filter((c) => succeeded(c) && c.params.thread_ts !== undefined);
    console.info(
      `fault 4 (40 s Slack outage): ${failed().length} calls failed over ${OUTAGE_MS} ms; ` +
        `${replies.length} replies for ${incidents.size} resolved incidents; Slack matched Redis ${took} ms after recovery`,
    );
    expect(took).toBeLessThan(CONVERGENCE_BOUND_MS);
    // Each resolved incident's reply, and the retrospective draft its resolution owes.
    expect(replies).toHaveLength(2 * (BEFORE + DURING));
    expect(bot.logs.filter((l) => l.msg === 'Slack delivery dropped')).toEqual([]);
  }, 120_000);
});
