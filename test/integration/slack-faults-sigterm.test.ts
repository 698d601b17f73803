/**
 * Issue 13, fault 2: a bot process gets SIGTERM in the middle of a storm (50 incidents
 * changing), with more Slack deliveries pending than SHUTDOWN_TIMEOUT lets it flush. It
 * flushes what fits and exits; a new bot process on the same Redis brings every message and
 * thread to what Redis holds, each message posted once and each reply sent once.
 *
 * The fake Slack answers chat calls after SLACK_LATENCY_MS, as Slack does, so that calls are
 * in flight when the shutdown timeout comes. Slack's pace is kept low (posts 300 ms apart
 * per channel, 300 updates a minute) so the storm cannot all go out before the SIGTERM.
 *
 * The bounds: the stopping process exits within SHUTDOWN_TIMEOUT, plus the time Slack takes
 * over the call in flight (SLOW_ANSWER_MS), plus EXIT_MARGIN_MS; the new one, from answering
 * /healthz, shows Redis within CONVERGENCE_BOUND_MS: its start-up sweep, then the deliveries
 * left at that pace (about 60 updates at 5 a second; in each of two channels about 13
 * "resolved" replies and, each after its reply in the same thread, 13 retrospective drafts,
 * every post 300 ms after the last and each answered in SLACK_LATENCY_MS: about 22 s on an
 * idle machine, against 12 s before the drafts), with room for a loaded machine.
 *
 * A second test stops a bot with a webhook in flight on a keep-alive connection: Node kept
 * that connection, and so the stop, for its keep-alive timeout (5 s).
 */
import { Agent, request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ALERTMANAGER_TOKEN, startTestBot } from '../support/bot.js';
import { startBotProcess, type BotProcess } from '../support/bot-main.js';
import { sendUntilAccepted, slackBehindRedis, storeOf, succeeded } from '../support/convergence.js';
import type { ChildExit } from '../support/child-process.js';
import { FakeSlack } from '../support/fake-slack.js';
import { notification, uniqueGroup } from '../support/fixtures.js';
import { prefixedRedis, testRedisUrl } from '../support/redis.js';
import { found, waitFor } from '../support/wait.js';

const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

const INCIDENTS = 50;
const SENDERS = 4;
const SLACK_LATENCY_MS = 200;
const SHUTDOWN_TIMEOUT_MS = 1_000;
/** How much longer than SHUTDOWN_TIMEOUT Slack takes over the reply in flight at the SIGTERM. */
const SLOW_ANSWER_MS = 1_000;
const EXIT_MARGIN_MS = 2_000;
/**
 * A stop with one webhook in flight and nothing to flush: far less than Node's keep-alive
 * timeout (5 s), for which the connection of a request in flight at close() was kept open.
 */
const IN_FLIGHT_STOP_BOUND_MS = 2_000;
const CONVERGENCE_BOUND_MS = 45_000;
/** A notification is sent again until a bot takes it: through the stop and the new bot's start. */
const NOTIFICATION_DEADLINE_MS = 60_000;
const ENV = {
  SHUTDOWN_TIMEOUT: `${SHUTDOWN_TIMEOUT_MS}ms`,
  SLACK_MESSAGE_INTERVAL: '300ms',
  SLACK_UPDATES_PER_MINUTE: '300',
  SLACK_RECONCILE_INTERVAL: '1h',
};

const SERVICES = ['payment-service', 'checkout'] as const;
const firing = (group: string, service: string, count: number) =>
  notification({ group, service, alerts: Array.from({ length: count }, (_, i) => ({ fingerprint: `${group}-${i}` })) });
const resolved = (group: string, service: string, count: number) =>
  notification({ group, service, alerts: Array.from({ length: count }, (_, i) => ({ fingerprint: `${group}-${i}`, status: 'resolved' as const })) });

const { redis, newPrefix } = prefixedRedis('faults-sigterm');

describe('SIGTERM during a storm', () => {
  let slack: FakeSlack;
  const bots: BotProcess[] = [];

  beforeAll(async () => {
    slack = await FakeSlack.start();
    slack.beforeReply = (call) => (call.method.startsWith('chat.') ? delay(SLACK_LATENCY_MS) : undefined);
  });

  afterAll(async () => {
    for (const bot of bots) await bot.stop();
    await slack?.close();
  });

  it('the stopping bot flushes what fits; a new one brings every message and thread to Redis, each once', async () => {
    const prefix = newPrefix();
    const start = async () => {
      const bot = await startBotProcess({ slack, prefix, redisUrl: testRedisUrl(), env: ENV });
      bots.push(bot);
      return bot;
    };
    const first = await start();
    // Where Alertmanager sends: the first bot, then the new one; a refused notification is sent again.
    let current = first;

    const groups = Array.from({ length: INCIDENTS }, (_, i) => ({ name: uniqueGroup(), service: SERVICES[i % SERVICES.length] as string }));
    const incidents = new Set<string>();
    let refused = 0;
    const storm = async (body: (group: { name: string; service: string }, i: number) => ReturnType<typeof firing>) => {
      let next = 0;
      const sender = async () => {
        for (let i = next++; i < groups.length; i = next++) {
          const group = groups[i] as { name: string; service: string };
          const delivered = await sendUntilAccepted((b) => current.postWebhook(b), body(group, i), {
            timeoutMs: NOTIFICATION_DEADLINE_MS,
            onRefused: () => {
              refused += 1;
            },
          });
          incidents.add(delivered.incident);
        }
      };
      await Promise.all(Array.from({ length: SENDERS }, sender));
    };
    await storm((g) => firing(g.name, g.service, 1));
    await storm((g) => firing(g.name, g.service, 2));

    // The SIGTERM comes in the storm's last wave (every other incident resolves, the others
    // fire a third alert), while Slack is working on a thread reply and takes longer than
    // SHUTDOWN_TIMEOUT to answer it: Slack has acted and the bot does not know it yet.
    let stopping: Promise<ChildExit> | undefined;
    let termAt = 0;
    slack.beforeReply = async (call) => {
      if (!call.method.startsWith('chat.')) return;
      if (!stopping && succeeded(call) && call.method === 'chat.postMessage' && call.params.thread_ts !== undefined) {
        termAt = Date.now();
        stopping = first.signal('SIGTERM');
        await delay(SHUTDOWN_TIMEOUT_MS + SLOW_ANSWER_MS);
        return;
      }
      await delay(SLACK_LATENCY_MS);
    };
    const lastWave = storm((g, i) => (i % 2 === 0 ? resolved(g.name, g.service, 2) : firing(g.name, g.service, 3)));
    lastWave.catch(() => {});
    const exit = await await found(() => stopping, { timeoutMs: 30_000, message: 'no thread reply to stop on' });
    const stoppedIn = Date.now() - termAt;
    expect(exit).toEqual({ code: 0, signal: null });
    expect(stoppedIn).toBeLessThan(SHUTDOWN_TIMEOUT_MS + SLOW_ANSWER_MS + EXIT_MARGIN_MS);
    const leftover = first.logs.find((l) => String(l.msg).startsWith('shutdown timeout reached'));
    expect(leftover, 'deliveries were left for the reconciler').toBeDefined();
    const slackCallsAtExit = slack.calls.length;

    current = await start();
    const startedAt = Date.now();
    await lastWave;
    expect(incidents.size).toBe(INCIDENTS);
    const store = storeOf(redis, prefix);
    let problems: string[] = [];
    await waitFor(
      async () => {
        problems = await slackBehindRedis(slack, store, incidents);
        return problems.length === 0;
      },
      { timeoutMs: CONVERGENCE_BOUND_MS - (Date.now() - startedAt), intervalMs: 250, message: 'Slack behind Redis' },
    ).catch((error: unknown) => {
      throw new Error(`${problems.length} problem(s) ${CONVERGENCE_BOUND_MS} ms after the new bot started:\n${problems.slice(0, 20).join('\n')}`, {
        cause: error,
      });
    });
    const took = Date.now() - startedAt;
    const byNew = slack.calls.slice(slackCallsAtExit).filter(succeeded).length;
    console.info(
      `fault 2 (SIGTERM in a storm of ${INCIDENTS}): stopped in ${stoppedIn} ms leaving ${String(leftover?.pending)} deliveries, ${refused} notifications refused; ` +
        `the new bot made ${byNew} Slack calls and matched Redis ${took} ms after it started`,
    );
    expect(took).toBeLessThan(CONVERGENCE_BOUND_MS);
  }, 120_000);

  it('a webhook in flight at the SIGTERM is answered, and its keep-alive connection does not hold the stop up', async () => {
    const bot = await startTestBot({ slack, env: { SHUTDOWN_TIMEOUT: `${SHUTDOWN_TIMEOUT_MS}ms` } });
    const agent = new Agent({ keepAlive: true });
    try {
      const body = JSON.stringify(firing(uniqueGroup(), 'payment-service', 1));
      const req = request(`${bot.url}/alertmanager`, {
        method: 'POST',
        agent,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), authorization: `Bearer ${ALERTMANAGER_TOKEN}` },
      });
      const status = new Promise<number>((resolve, reject) => {
        req.on('response', (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        });
        req.on('error', reject);
      });
      // The headers and part of the body: the bot has begun the request and waits for the rest.
      await new Promise<void>((resolve, reject) => req.write(body.slice(0, 10), (error) => (error ? reject(error) : resolve())));
      await new Promise((resolve) => setImmediate(resolve));
      const begin = Date.now();
      const stopped = bot.app.stop();
      req.end(body.slice(10));
      expect(await status).toBe(200);
      await stopped;
      expect(Date.now() - begin).toBeLessThan(IN_FLIGHT_STOP_BOUND_MS);
    } finally {
      agent.destroy();
      await bot.stop();
    }
  });
});
