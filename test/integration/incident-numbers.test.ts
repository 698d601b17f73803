/**
 * The numbers people are judged by, through the whole bot: the response-time histograms read
 * from GET /metrics, and `/incident stats` over incidents and rollbacks stored in the real Redis.
 */
import { describe, expect, it } from 'vitest';
import type { Action } from '../../src/actions/action.js';
import type { Incident } from '../../src/incidents/incident.js';
import { RedisActionStore } from '../../src/store/redis-action-store.js';
import { RedisStore } from '../../src/store/redis-store.js';
import { actionDoc, entry, incidentDoc } from '../support/documents.js';
import { notification } from '../support/fixtures.js';
import { startTestBot, type TestBot } from '../support/bot.js';
import { openIncident, rigForFile, slash, type SlackRig } from '../support/slack-session.js';
import { storedIncident } from '../support/stored.js';
import { waitFor } from '../support/wait.js';

const r = rigForFile();
const RETENTION_MS = 30 * 86_400_000;

/** The value of one series of a bot's /metrics, or undefined when it has none. */
async function series(bot: TestBot, name: string, labels: string): Promise<number | undefined> {
  const text = await (await fetch(`${bot.url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name}{${labels}} `));
  return line === undefined ? undefined : Number(line.split(' ')[1]);
}

describe('response-time histograms on GET /metrics', () => {
  it('observe an incident once across two replicas: acknowledged on both, resolved by Alertmanager on both and again', async () => {
    const other = await startTestBot({ slack: r.slack, prefix: r.bot.prefix });
    try {
      const replicas: SlackRig[] = [r, { slack: r.slack, bot: other }];
      const service = 'numbers-metrics';
      const opened = await openIncident(r, { service });
      const labels = `service="${service}",severity="critical"`;
      const total = async (name: string) => {
        const values = await Promise.all(replicas.map((replica) => series(replica.bot, name, labels)));
        return values.reduce<number>((sum, value) => sum + (value ?? 0), 0);
      };
      expect(await total('chatops_incident_time_to_acknowledge_seconds_count')).toBe(0);

      await Promise.all([slash(replicas[0] ?? r, '/incident', `ack ${opened.id}`), slash(replicas[1] ?? r, '/incident', `ack ${opened.id}`, 'U0BOB')]);
      const resolved = notification({ group: opened.group, service, alerts: [{ fingerprint: `${opened.group}-a`, status: 'resolved' }] });
      // An HA pair of Alertmanagers sends the notification to both replicas, and one retries it.
      const answers = await Promise.all([r.bot.postWebhook(resolved), other.postWebhook(resolved), r.bot.postWebhook(resolved)]);
      expect(answers.map((a) => a.status)).toEqual([200, 200, 200]);
      await waitFor(async () => (await storedIncident(r, opened.id)).state === 'resolved', { message: 'not resolved' });

      expect(await total('chatops_incident_time_to_acknowledge_seconds_count')).toBe(1);
      expect(await total('chatops_incident_time_to_resolve_seconds_count')).toBe(1);
      const { doc: incident } = await storedIncident(r, opened.id);
      const seconds = (at: unknown) => (Date.parse(String(at)) - Date.parse(String(incident.openedAt))) / 1000;
      expect(await total('chatops_incident_time_to_acknowledge_seconds_sum')).toBeCloseTo(seconds(incident.acknowledgedAt), 3);
      expect(await total('chatops_incident_time_to_resolve_seconds_sum')).toBeCloseTo(seconds(incident.resolvedAt), 3);
    } finally {
      await other.stop();
    }
  });
});

describe('/incident stats', () => {
  const ago = (ms: number) => new Date(Date.now() - ms).toISOString();
  const MIN = 60_000;
  const DAY = 86_400_000;

  /** Incidents and rollbacks as the bot would have stored them, at known times. */
  async function seed(): Promise<void> {
    const incidents = new RedisStore(r.bot.redis, { keyPrefix: r.bot.prefix, reopenWindowMs: 60_000, retentionMs: RETENTION_MS });
    const handled = (id: string, openedMsAgo: number, ack: number, resolve: number): Incident =>
      incidentDoc({
        id,
        groupKey: `stats-${id}`,
        service: 'stats-shop',
        state: 'resolved',
        openedAt: ago(openedMsAgo),
        acknowledgedAt: ago(openedMsAgo - ack * 1000),
        resolvedAt: ago(openedMsAgo - resolve * 1000),
        firstResolvedAt: ago(openedMsAgo - resolve * 1000),
      });
    const docs = [
      handled('9001', 120 * MIN, 90, 600),
      handled('9002', 60 * MIN, 30, 1200),
      incidentDoc({ id: '9003', groupKey: 'stats-9003', service: 'stats-shop', openedAt: ago(10 * DAY) }),
    ];
    for (const incident of docs)
      expect(await incidents.commit({ incident, expectedVersion: 0, entries: [entry('opened', 'opened')], pointer: { mode: 'cas', expected: '' } })).toBe(true);

    const actions = new RedisActionStore(r.bot.redis, { keyPrefix: r.bot.prefix, retentionMs: RETENTION_MS });
    const verification = { checks: ['errors'], intervalMs: MIN, since: ago(50 * MIN), until: ago(40 * MIN) };
    const rollback = async (id: string, ended: Partial<Action>) => {
      const requested = actionDoc({ id, service: 'stats-shop', state: 'running', requestedAt: ago(56 * MIN), startedAt: ago(55 * MIN) });
      expect(await actions.commitAction({ action: requested, expectedVersion: 0, entry: { at: ago(55 * MIN), actor: 'bot', text: 'started' } })).toBe(true);
      expect(
        await actions.commitAction({ action: { ...requested, ...ended }, expectedVersion: 1, entry: { at: ago(50 * MIN), actor: 'bot', text: 'ended' } }),
      ).toBe(true);
    };
    await rollback('9001', { state: 'succeeded', verification: { ...verification, state: 'verified' } });
    await rollback('9002', { state: 'failed' });
    await rollback('9003', { state: 'succeeded', verification: { ...verification, state: 'not_verified', reason: 'failing' } });
  }

  it('answers per service: incidents of the window, MTTA and MTTR as median / p90, rollbacks and their verified share', async () => {
    await seed();
    const week = String((await slash(r, '/incident', 'stats')).text);
    expect(week).toContain('*Incident numbers, last 7d*');
    const line = (text: string) => text.split('\n').find((l) => l.startsWith('stats-shop'));
    expect(line(week)).toMatch(/^stats-shop\s+2\s+1m \/ 1m24s\s+15m \/ 19m\s+3 \(33% verified\)$/);

    const month = String((await slash(r, '/incident', 'stats 30d')).text);
    expect(month).toContain('*Incident numbers, last 30d*');
    expect(line(month)).toMatch(/^stats-shop\s+3\s+1m \/ 1m24s\s+15m \/ 19m\s+3 \(33% verified\)$/);

    const wrong = await slash(r, '/incident', 'stats 1y');
    expect(String(wrong.text)).toContain('is not a window from 1h to 90d');
  });
});
