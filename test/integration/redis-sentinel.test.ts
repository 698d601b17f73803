/**
 * The bot on a Redis Sentinel deployment (Debian's redis-server and redis-sentinel on
 * loopback: a master, a replica, three sentinels), found through REDIS_SENTINELS and
 * REDIS_SENTINEL_NAME, while the master fails over in the middle of a webhook stream.
 *
 * The stream is Alertmanager's: each alert group fires one alert, then two, then resolves,
 * every notification re-sent until the bot answers 2xx (Alertmanager retries a 503). It
 * runs from before the failover until the bot has found the new master and a few groups
 * more have gone through it, so notifications meet the old master, the failover and the
 * new master. Afterwards the new master must hold every group resolved with both alerts:
 * nothing acknowledged is lost. That needs REDIS_WAIT_REPLICAS=1 (each write confirmed by
 * the replica): without it, a failover an operator asks for lost 28 of 61 groups in one
 * run, 68 of 96 in another.
 * Then each incident's Slack message must show what Redis holds, within a stated bound.
 *
 * Two failovers, one after the other on the same deployment: one an operator asks for
 * (SENTINEL FAILOVER: the old master stays up and is demoted seconds later), then a crash
 * (the master SIGKILLed, found down by the sentinels after 3 s, restarted after the
 * switch as a supervisor would, and demoted to a replica by them).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WebhookPayload } from '../../src/alerts/schema.js';
import type { Incident } from '../../src/incidents/incident.js';
import { renderIncidentMessage } from '../../src/slack/render/incident-message.js';
import { RedisStore } from '../../src/store/redis-store.js';
import { startTestBot, type TestBot } from '../support/bot.js';
import { FakeSlack } from '../support/fake-slack.js';
import { notification, uniqueGroup } from '../support/fixtures.js';
import { PROMOTION_TIMEOUT_MS, startSentinelGroup, type Address, type FailoverStarted, type SentinelGroup } from '../support/redis-sentinel.js';
import { found, waitFor } from '../support/wait.js';

/** Concurrent senders, as several Alertmanager groups flush at once. */
const SENDERS = 4;
/** Groups through before the failover, and after the bot found the new master. */
const GROUPS_BEFORE = 8;
const GROUPS_AFTER = 8;
/**
 * How long one notification is retried: writes are refused from the failover until the old
 * master is a replica again, which Sentinel does no sooner than 8 s after the switch.
 */
const DELIVERY_DEADLINE_MS = 30_000;
/**
 * After the sentinels promoted a master, the bot follows at once on +switch-master, or at
 * its next reconnect (every 2 s at most) when it missed the message.
 */
const SWITCH_DEADLINE_MS = 10_000;
/** Alertmanager backs off between retries; this is shorter, to keep the test quick. */
const RETRY_INTERVAL_MS = 100;
/**
 * The stated bound: each message shows the state in Redis this long after the failover
 * settled. A delivery cut off by the failover may leave its message lease (30 s) held,
 * so the bound is that lease plus a few reconcile sweeps (1 s here).
 */
const SLACK_CONVERGENCE_MS = 40_000;
/**
 * Longer than the phases' own deadlines together (groups before, the new master found, the
 * failover settled, Slack converged), so a slow run fails naming the phase that was slow
 * rather than with a bare test timeout that leaves the group mid-failover for the next test.
 */
const FAILOVER_TEST_TIMEOUT_MS = 3 * DELIVERY_DEADLINE_MS + PROMOTION_TIMEOUT_MS + SWITCH_DEADLINE_MS + SLACK_CONVERGENCE_MS + 20_000;

const firing = (group: string, count: number) => notification({ group, alerts: Array.from({ length: count }, (_, i) => ({ fingerprint: `${group}-${i}` })) });
const resolved = (group: string, count: number) =>
  notification({ group, alerts: Array.from({ length: count }, (_, i) => ({ fingerprint: `${group}-${i}`, status: 'resolved' as const })) });

const addressText = (address: Address) => `${address.host}:${address.port}`;

interface IntakeReport {
  groups: string[];
  /** Answers other than 2xx (or none), each followed by a retry. */
  refused: number;
}

/**
 * Sends group lifecycles (fire 1, fire 2, resolve) from SENDERS workers until `done` says
 * so, each notification retried until the bot answers 2xx. Both `done` and `groupsDone()`
 * count groups whose resolve was acknowledged, for the caller to time the failover by.
 */
function startIntake(bot: TestBot, done: (groupsDone: number) => boolean) {
  const report: IntakeReport = { groups: [], refused: 0 };
  let completed = 0;
  /** Resolves once the bot answered 2xx, counting the refused attempts before. */
  const deliver = async (body: WebhookPayload) => {
    await found(
      async () => {
        const ok = await bot.postWebhook(body).then(
          async (res) => {
            if (res.ok) return (await res.json()) as { changed: boolean };
            await res.text();
            return undefined;
          },
          () => undefined,
        );
        if (!ok) report.refused += 1;
        return ok;
      },
      { timeoutMs: DELIVERY_DEADLINE_MS, intervalMs: RETRY_INTERVAL_MS, message: `a notification for ${body.groupLabels.alertname} never acknowledged` },
    );
  };
  // Set when a sender failed or the caller gave up: the others start no new group.
  let stopped = false;
  const sender = async () => {
    try {
      while (!stopped && !done(completed)) {
        const group = uniqueGroup();
        report.groups.push(group);
        await deliver(firing(group, 1));
        await deliver(firing(group, 2));
        // A resolve whose refused attempt was stored after all is answered `changed: false`
        // and announced to nobody: the reconciler's sweep finds it by the commit's note.
        await deliver(resolved(group, 2));
        completed += 1;
      }
    } catch (error) {
      stopped = true;
      throw error;
    }
  };
  const finished = Promise.all(Array.from({ length: SENDERS }, sender)).then(() => report);
  // Awaited only later: a sender failing meanwhile must not count as an unhandled rejection.
  finished.catch(() => {});
  return {
    finished,
    groupsDone: () => completed,
    stop: () => {
      stopped = true;
    },
  };
}

/** The masters the bot logged finding through Sentinel, from log line `since` on. */
const mastersFound = (bot: TestBot, since = 0) =>
  bot.logs
    .slice(since)
    .filter((l) => l.msg === 'Redis master found through Sentinel')
    .map((l) => String(l.master));

interface Failover {
  begin: () => Promise<FailoverStarted>;
  /** What happens once the bot has found the new master. */
  afterSwitch: (from: Address) => Promise<void>;
}

/** Runs the stream across `failover`, and returns what was sent once the group has settled. */
async function intakeAcross(bot: TestBot, failover: Failover): Promise<IntakeReport> {
  let stopAt = Number.POSITIVE_INFINITY;
  const intake = startIntake(bot, (groupsDone) => groupsDone >= stopAt);
  try {
    await waitFor(() => intake.groupsDone() >= GROUPS_BEFORE, { timeoutMs: DELIVERY_DEADLINE_MS, message: 'groups before the failover' });
    const since = bot.logs.length;
    const { from, settled, promoted } = await failover.begin();
    // How soon Sentinel promotes is Sentinel's business; how soon the bot follows is ours.
    const to = addressText(await promoted());
    await waitFor(() => mastersFound(bot, since).includes(to), {
      timeoutMs: SWITCH_DEADLINE_MS,
      message: `the bot did not find the new master ${to} through Sentinel`,
    });
    await failover.afterSwitch(from);
    stopAt = intake.groupsDone() + GROUPS_AFTER;
    const report = await intake.finished;
    await settled();
    return report;
  } catch (error) {
    intake.stop();
    throw error;
  }
}

type Stored = Awaited<ReturnType<typeof storedGroups>>;

/** What the new master holds for each group, read with the bot's own store. */
async function storedGroups(group: SentinelGroup, bot: TestBot, groups: string[]) {
  const redis = await group.masterClient();
  try {
    const store = new RedisStore(redis, { keyPrefix: bot.prefix, reopenWindowMs: 30 * 60_000, retentionMs: 60 * 60_000 });
    const incidents = new Map<string, Incident | undefined>();
    const messages = new Map<string, string | undefined>();
    for (const name of groups) {
      const incident = await store.currentForGroup(firing(name, 1).groupKey);
      incidents.set(name, incident);
      const ref = incident && (await store.getMessageRef(incident.id));
      messages.set(name, ref && `${ref.channel} ${ref.ts}`);
    }
    return { incidents, messages, open: await store.listOpen(10_000) };
  } finally {
    redis.disconnect();
  }
}

function expectNothingLost(stored: Stored, groups: string[]): void {
  const wrong = groups.flatMap((name) => {
    const incident = stored.incidents.get(name);
    const alerts = incident
      ? Object.values(incident.alerts)
          .map((a) => `${a.fingerprint}:${a.status}`)
          .sort()
      : [];
    const ok = incident?.state === 'resolved' && alerts.join() === `${name}-0:resolved,${name}-1:resolved`;
    return ok ? [] : [`${name}: ${incident ? `${incident.state} with ${alerts.join(' ') || 'no alerts'}` : 'no incident'}`];
  });
  expect(wrong, `${wrong.length} of ${groups.length} groups not as acknowledged`).toEqual([]);
  expect(
    stored.open.map((i) => i.id),
    'incidents left open',
  ).toEqual([]);
}

/** The text Slack was last given for each top-level message, by channel and ts. */
function lastShown(slack: FakeSlack): Map<string, string> {
  const shown = new Map<string, string>();
  for (const call of slack.calls) {
    if (call.method === 'chat.update') shown.set(`${String(call.params.channel)} ${String(call.params.ts)}`, String(call.params.text));
    if (call.method === 'chat.postMessage' && call.params.thread_ts === undefined && call.result?.ok) {
      shown.set(`${String(call.result.channel)} ${String(call.result.ts)}`, String(call.params.text));
    }
  }
  return shown;
}

interface StaleMessage {
  group: string;
  incidentId: string;
  why: string;
}

/** Incidents whose Slack message does not show what Redis holds, with what each says. */
function staleMessages(slack: FakeSlack, stored: Stored): StaleMessage[] {
  const shown = lastShown(slack);
  const stale: StaleMessage[] = [];
  for (const [group, incident] of stored.incidents) {
    if (!incident) continue;
    const message = stored.messages.get(group);
    const want = renderIncidentMessage(incident).text;
    const got = message ? shown.get(message) : undefined;
    if (got !== want)
      stale.push({
        group,
        incidentId: incident.id,
        why: `incident ${incident.id}: Slack shows ${JSON.stringify(got ?? '(no message)')}, Redis says ${JSON.stringify(want)}`,
      });
  }
  return stale;
}

describe('Redis Sentinel', () => {
  let slack: FakeSlack;
  let group: SentinelGroup;
  let bot: TestBot;

  beforeAll(async () => {
    slack = await FakeSlack.start();
    group = await startSentinelGroup();
    bot = await startTestBot({ slack, env: { ...group.env, REDIS_WAIT_REPLICAS: '1', SLACK_RECONCILE_INTERVAL: '1s' } });
  });

  afterAll(async () => {
    await bot?.stop();
    await group?.stop();
    await slack?.close();
  });

  it('finds the master through the sentinels', async () => {
    expect(mastersFound(bot)).toEqual([addressText(group.nodes.master)]);
    expect((await fetch(`${bot.url}/readyz`)).status).toBe(200);
  });

  it.each<[string, () => Failover]>([
    ['an operator asks for (SENTINEL FAILOVER)', () => ({ begin: () => group.failover(), afterSwitch: async () => {} })],
    ['after the master crashed (SIGKILL)', () => ({ begin: () => group.killMaster(), afterSwitch: (from) => group.restart(from) })],
  ])(
    'loses nothing acknowledged in a failover %s during intake',
    async (_, failover) => {
      // Sentinel's own lines say whether it saw the master down, elected a leader and promoted.
      const report = await intakeAcross(bot, failover()).catch((error: unknown) => {
        throw new Error(`${error instanceof Error ? error.message : String(error)}\nwhat the Redis and Sentinel processes printed last:\n${group.output()}`, {
          cause: error,
        });
      });
      // The failover met the stream: some notifications were refused and sent again.
      expect(report.refused).toBeGreaterThan(0);
      const stored = await storedGroups(group, bot, report.groups);
      expectNothingLost(stored, report.groups);

      // Every message shows what Redis holds within the bound: a delivery that met the
      // failover is not lost, the reconciler brings the message up to date.
      let stale: StaleMessage[] = [];
      await waitFor(
        async () => {
          stale = staleMessages(slack, await storedGroups(group, bot, report.groups));
          return stale.length === 0;
        },
        { timeoutMs: SLACK_CONVERGENCE_MS, intervalMs: 250, message: 'Slack messages behind Redis' },
      ).catch((error: unknown) => {
        throw new Error(`${stale.length} message(s) behind Redis:\n${stale.map((m) => m.why).join('\n')}`, { cause: error });
      });
    },
    FAILOVER_TEST_TIMEOUT_MS,
  );

  it('keeps serving on the new master', async () => {
    const name = uniqueGroup();
    expect((await bot.postWebhook(firing(name, 1))).status).toBe(200);
    await waitFor(() => slack.callsTo('chat.postMessage').some((c) => String(c.params.text).includes(name)), { message: 'the new incident posted' });
    expect((await fetch(`${bot.url}/readyz`)).status).toBe(200);
  });
});
