/**
 * Issue 13, fault 1: a plain Redis (no Sentinel) is SIGKILLed and restarted on its append-
 * only file while a bot process takes in 100 alert groups. Afterwards every incident has
 * one Slack message showing what Redis holds (resolved ones resolved) and every thread
 * reply is there exactly once.
 *
 * Each kill lands at the worst moment: Slack has just done what the bot asked (posted the
 * message, posted the reply) and Redis dies before the bot hears back, so the bot cannot
 * record it. The first kill meets a first post, the second a thread reply.
 *
 * The bound: from the end of intake, every message and thread shows Redis within
 * CONVERGENCE_BOUND_MS: a reconcile sweep (2 s here) and the deliveries left at 50 ms per
 * channel, with room for a loaded machine; it is well under a message lease (30 s), so a
 * delivery cut off by a kill must not leave its lease held until it lapses.
 */
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBotProcess, type BotProcess } from '../support/bot-main.js';
import { sendUntilAccepted, slackBehindRedis, storeOf, succeeded } from '../support/convergence.js';
import { startDurableRedis, type DurableRedis } from '../support/durable-redis.js';
import { FakeSlack, type SlackCall } from '../support/fake-slack.js';
import { notification, uniqueGroup } from '../support/fixtures.js';
import { waitFor } from '../support/wait.js';

const GROUPS = 100;
const SENDERS = 4;
/** Groups sent ahead of their first post: intake runs alongside delivery, as in a storm. */
const AHEAD = 10;
/** The kills happen once this many groups were taken in. */
const FIRST_KILL_AFTER = 30;
const SECOND_KILL_AFTER = 65;
const CONVERGENCE_BOUND_MS = 20_000;
/** How long one notification is retried (Alertmanager retries a 503 for minutes). */
const DELIVERY_DEADLINE_MS = 60_000;

const SERVICES = ['payment-service', 'checkout'] as const;
const firing = (group: string, service: string, count: number) =>
  notification({ group, service, alerts: Array.from({ length: count }, (_, i) => ({ fingerprint: `${group}-${i}` })) });
const resolved = (group: string, service: string) => notification({ group, service, alerts: [{ fingerprint: `${group}-0`, status: 'resolved' as const }] });

const firstPost = (call: SlackCall) => call.method === 'chat.postMessage' && call.params.thread_ts === undefined;
const threadReply = (call: SlackCall) => call.method === 'chat.postMessage' && call.params.thread_ts !== undefined;

describe('a plain Redis SIGKILLed and restarted during intake', () => {
  let slack: FakeSlack;
  let redis: DurableRedis;
  let bot: BotProcess;

  beforeAll(async () => {
    slack = await FakeSlack.start();
    redis = await startDurableRedis();
    bot = await startBotProcess({ slack, prefix: `test:${uniqueGroup()}:`, redisUrl: redis.url, env: { SLACK_RECONCILE_INTERVAL: '2s' } });
  }, 60_000);

  afterAll(async () => {
    await bot?.stop();
    await redis?.stop();
    await slack?.close();
  });

  it('every message ends showing Redis and every thread reply is sent once', async () => {
    // Set by the test when a kill is due: the next call it matches kills Redis before Slack answers.
    let killOn: ((call: SlackCall) => boolean) | undefined;
    let kills = 0;
    let down = false;
    slack.beforeReply = async (call) => {
      if (!succeeded(call) || !killOn?.(call)) return;
      killOn = undefined;
      await redis.kill();
      kills += 1;
      down = true;
    };

    const incidents = new Set<string>();
    let accepted = 0;
    let refused = 0;
    let next = 0;
    const posted = () => slack.calls.filter((c) => firstPost(c) && succeeded(c)).length;
    const send = async (body: ReturnType<typeof firing>) => {
      const delivered = await sendUntilAccepted(bot.postWebhook, body, {
        timeoutMs: DELIVERY_DEADLINE_MS,
        onRefused: () => {
          refused += 1;
        },
      });
      incidents.add(delivered.incident);
    };
    const sender = async () => {
      for (let i = next++; i < GROUPS; i = next++) {
        // While Redis is down nothing is posted; Alertmanager goes on sending regardless.
        await waitFor(() => down || posted() >= i - AHEAD, { timeoutMs: DELIVERY_DEADLINE_MS, message: `first posts before group ${i}` });
        const group = uniqueGroup();
        const service = SERVICES[i % SERVICES.length] as string;
        await send(firing(group, service, 1));
        // Half resolve (a state change and a thread reply), half fire a second alert (a count change).
        await send(i % 2 === 0 ? resolved(group, service) : firing(group, service, 2));
        accepted += 1;
      }
    };
    const intake = Promise.all(Array.from({ length: SENDERS }, sender));
    intake.catch(() => {});

    const crash = async (after: number, on: (call: SlackCall) => boolean) => {
      const errorsBefore = bot.logs.filter((l) => l.msg === 'Redis connection error; retrying').length;
      const killsBefore = kills;
      killOn = (call) => accepted >= after && on(call);
      await waitFor(() => kills > killsBefore, { timeoutMs: DELIVERY_DEADLINE_MS, message: `no Slack call met after ${after} groups to kill Redis on` });
      const refusedAtKill = refused;
      await waitFor(() => bot.logs.filter((l) => l.msg === 'Redis connection error; retrying').length > errorsBefore, {
        timeoutMs: 10_000,
        message: 'the bot never noticed Redis was gone',
      });
      await waitFor(() => refused > refusedAtKill, { timeoutMs: 10_000, message: 'no notification met the outage' });
      expect(accepted, 'the kill came during intake').toBeLessThan(GROUPS);
      await redis.restart();
      down = false;
    };
    await crash(FIRST_KILL_AFTER, firstPost);
    await crash(SECOND_KILL_AFTER, threadReply);
    await intake;
    const intakeEnded = Date.now();
    expect(refused, 'notifications refused while Redis was down, and sent again').toBeGreaterThan(0);
    expect(incidents.size).toBe(GROUPS);

    const client = new Redis(redis.url);
    const store = storeOf(client, bot.prefix);
    let problems: string[] = [];
    try {
      await waitFor(
        async () => {
          problems = await slackBehindRedis(slack, store, incidents);
          return problems.length === 0;
        },
        { timeoutMs: CONVERGENCE_BOUND_MS, intervalMs: 250, message: 'Slack behind Redis' },
      ).catch((error: unknown) => {
        throw new Error(`${problems.length} problem(s) ${CONVERGENCE_BOUND_MS} ms after intake:\n${problems.slice(0, 20).join('\n')}`, { cause: error });
      });
      const took = Date.now() - intakeEnded;
      console.info(`fault 1 (Redis SIGKILL x2 during intake): ${GROUPS} groups, ${refused} refused, Slack matched Redis ${took} ms after intake`);
      expect(took).toBeLessThan(CONVERGENCE_BOUND_MS);
    } finally {
      client.disconnect();
    }
  }, 150_000);
});
