/**
 * What the Redis adapters read back is parsed at the store boundary: documents written by
 * earlier releases still load, and a corrupt one fails with an error naming its key rather
 * than a TypeError somewhere downstream.
 */
import { describe, expect, it } from 'vitest';
import type { Action } from '../../src/actions/action.js';
import { StoredDocumentError } from '../../src/errors.js';
import { renderActionMessage } from '../../src/slack/render/action-message.js';
import { renderActionEntry } from '../../src/slack/render/timeline.js';
import { RedisActionStore } from '../../src/store/redis-action-store.js';
import { RedisFleetStore } from '../../src/store/redis-fleet-store.js';
import { RedisStore } from '../../src/store/redis-store.js';
import { actionDoc, incidentDoc } from '../support/documents.js';
import { prefixedRedis } from '../support/redis.js';

const { redis, newPrefix } = prefixedRedis('documents');

function stores() {
  const keyPrefix = newPrefix();
  return {
    prefix: keyPrefix,
    incidents: new RedisStore(redis, { keyPrefix, reopenWindowMs: 60_000, retentionMs: 60_000 }),
    actions: new RedisActionStore(redis, { keyPrefix, retentionMs: 60_000 }),
    fleet: new RedisFleetStore(redis, keyPrefix, 60_000),
  };
}

/** An action as the first release with actions (003842b) stored it: a rollback whose plan had no title. */
const FIRST_RELEASE_ACTION = {
  id: '3',
  version: 2,
  kind: 'rollback',
  service: 'payment-service',
  plan: {
    executor: 'gitlab',
    service: 'payment-service',
    summary: ['project: shop/payment-service', 'environment: production', 'strategy: retry-job'],
    params: { project: 'shop/payment-service', environment: 'production', strategy: 'retry-job', targetJobId: '502' },
  },
  state: 'approved',
  requestedBy: 'U0ALICE',
  reason: 'error rate doubled',
  requestedAt: '2026-11-22T10:00:00.000Z',
  expiresAt: '2026-11-22T10:15:00.000Z',
  approvalsRequired: 1,
  approvedBy: ['U0BOB'],
  forced: false,
  incidentId: '4',
  channel: 'C0PAYMENTS',
  threadTs: '1700000000.000001',
};

/** An incident as the first release (289c32b) stored it: no service label, so no `service` in the JSON. */
const FIRST_RELEASE_INCIDENT = {
  id: '4',
  version: 1,
  groupKey: '{}:{alertname="HighErrorRate"}',
  state: 'firing',
  channel: 'C0INCIDENTS',
  groupLabels: { alertname: 'HighErrorRate' },
  commonAnnotations: {},
  externalURL: 'http://alertmanager.example.com:9093',
  alerts: {
    a1: {
      fingerprint: 'a1',
      status: 'firing',
      labels: { alertname: 'HighErrorRate' },
      annotations: {},
      startsAt: '2026-11-21T23:15:32.666Z',
      endsAt: '0001-01-01T00:00:00Z',
      generatorURL: '',
    },
  },
  truncatedAlerts: 0,
  openedAt: '2026-11-22T10:00:00.000Z',
  updatedAt: '2026-11-22T10:00:00.000Z',
};

describe('documents stored by earlier releases', () => {
  it('an action from the first release with actions loads, its plan titled as its messages named it', async () => {
    const s = stores();
    await redis.hset(`${s.prefix}action:3`, 'version', '2', 'state', 'approved', 'doc', JSON.stringify(FIRST_RELEASE_ACTION));
    await redis.rpush(
      `${s.prefix}action:3:timeline`,
      JSON.stringify({ at: '2026-11-22T10:00:00.000Z', actor: 'U0ALICE', text: '<@U0ALICE> requested ACT-3: roll back payment-service' }),
    );
    const action = await s.actions.getAction('3');
    expect(action).toEqual({ ...FIRST_RELEASE_ACTION, plan: { ...FIRST_RELEASE_ACTION.plan, title: 'roll back payment-service' } });
    expect(await s.actions.actionTimeline('3')).toEqual([
      { at: '2026-11-22T10:00:00.000Z', actor: 'U0ALICE', text: '<@U0ALICE> requested ACT-3: roll back payment-service' },
    ]);
  });

  it('an incident from the first release loads as it was stored, and a field a newer release added is kept', async () => {
    const s = stores();
    const stored = { ...FIRST_RELEASE_INCIDENT, addedLater: { by: 'a newer replica' } };
    await redis.hset(`${s.prefix}incident:4`, 'version', '1', 'state', 'firing', 'doc', JSON.stringify(stored));
    await redis.rpush(
      `${s.prefix}incident:4:timeline`,
      JSON.stringify({ at: '2026-11-22T10:00:00.000Z', kind: 'opened', actor: 'alertmanager', text: 'Incident opened' }),
    );
    expect(await s.incidents.get('4')).toEqual(stored);
    expect(await s.incidents.timeline('4')).toEqual([{ at: '2026-11-22T10:00:00.000Z', kind: 'opened', actor: 'alertmanager', text: 'Incident opened' }]);
  });
});

/** A halted fleet action as releases before fleet facts stored it: its dry run, steps and result in Slack's words. */
const WORDS_RELEASE_FLEET_ACTION = {
  ...actionDoc({ id: '8', kind: 'fleet', service: 'web', state: 'failed', resumable: true }),
  plan: { executor: 'fleet', service: 'web', title: 'Free disk space on 2 hosts', summary: ['hosts (2): web-1, web-2'], params: {} },
  rehearsal: { ok: true, summary: 'dry run ok on all 2 host(s)' },
  result: 'Halted: the canary batch failed on 1 host; no other host was touched. Failed: web-1.',
};
const WORDS_RELEASE_FLEET_STEPS = [
  { kind: 'dry_run', actionId: '8', summary: 'dry run ok on all 2 host(s)', details: '• web-1 ok, 0.1s\n```./old.log```' },
  { kind: 'remark', actionId: '8', text: 'Canary (batch 1 of 2): web-1 FAILED (exit 1)\n• web-1 FAILED (exit 1), 0.2s\n```read-only file system```' },
  {
    kind: 'finished',
    actionId: '8',
    succeeded: false,
    seconds: 3,
    detail: 'Halted: the canary batch failed on 1 host; no other host was touched. Failed: web-1.',
  },
];

describe('open incidents stored before the counts by state were kept', () => {
  it('are counted once from the open index, and the counts follow changes from then on', async () => {
    const s = stores();
    for (const [id, state] of [
      ['1', 'firing'],
      ['2', 'acknowledged'],
      ['3', 'firing'],
    ] as const) {
      await redis.hset(`${s.prefix}incident:${id}`, 'version', '1', 'state', state, 'doc', JSON.stringify(incidentDoc({ id, state, version: 1 })));
      await redis.zadd(`${s.prefix}incidents:open`, Date.parse('2026-11-22T10:00:00.000Z'), id);
    }
    expect(await s.incidents.countOpenByState()).toEqual({ firing: 2, acknowledged: 1, mitigating: 0, resolved: 0 });

    const three = incidentDoc({ id: '3', version: 1 });
    expect(await s.incidents.commit({ incident: { ...three, state: 'resolved' }, expectedVersion: 1, entries: [], pointer: { mode: 'touch' } })).toBe(true);
    expect(await s.incidents.countOpenByState()).toEqual({ firing: 1, acknowledged: 1, mitigating: 0, resolved: 0 });
  });
});

describe('fleet documents stored in words by earlier releases', () => {
  it('load, and read in Slack as they did', async () => {
    const s = stores();
    await redis.hset(`${s.prefix}action:8`, 'version', '5', 'state', 'failed', 'doc', JSON.stringify(WORDS_RELEASE_FLEET_ACTION));
    for (const step of WORDS_RELEASE_FLEET_STEPS)
      await redis.rpush(`${s.prefix}action:8:timeline`, JSON.stringify({ at: '2026-11-22T10:00:00.000Z', actor: 'bot', step }));
    await redis.set(`${s.prefix}rollout:8:state`, JSON.stringify({ state: 'halted', detail: WORDS_RELEASE_FLEET_ACTION.result }));

    const action = await s.actions.getAction('8');
    expect(action).toEqual(WORDS_RELEASE_FLEET_ACTION);
    const shown = JSON.stringify(renderActionMessage(action as Action).blocks);
    expect(shown).toContain(':mag: dry run ok on all 2 host(s) (details in the thread)');
    expect(shown).toContain('Halted: the canary batch failed on 1 host; no other host was touched. Failed: web-1.');
    expect((await s.actions.actionTimeline('8')).map(renderActionEntry)).toEqual([
      'Dry run of ACT-8: dry run ok on all 2 host(s)\n• web-1 ok, 0.1s\n```./old.log```',
      'Canary (batch 1 of 2): web-1 FAILED (exit 1)\n• web-1 FAILED (exit 1), 0.2s\n```read-only file system```',
      'ACT-8 failed after 3s: Halted: the canary batch failed on 1 host; no other host was touched. Failed: web-1.',
    ]);
    expect(await s.fleet.rolloutState('8')).toEqual({ state: 'halted', detail: WORDS_RELEASE_FLEET_ACTION.result });
  });
});

describe('a corrupt document', () => {
  const invalid = (key: string) => expect.objectContaining({ name: 'StoredDocumentError', code: 'STORE_DOCUMENT_INVALID', key });

  it('of an incident is named by its key, wherever it is read', async () => {
    const s = stores();
    const incident = incidentDoc({ id: '5' });
    expect(await s.incidents.commit({ incident, expectedVersion: 0, entries: [], pointer: { mode: 'cas', expected: '' } })).toBe(true);
    await redis.hset(`${s.prefix}incident:5`, 'doc', '{"id":"5","state":');
    const key = `${s.prefix}incident:5`;
    await expect(s.incidents.get('5')).rejects.toEqual(invalid(key));
    await expect(s.incidents.currentForGroup(incident.groupKey)).rejects.toEqual(invalid(key));
    await expect(s.incidents.listOpen(10)).rejects.toEqual(invalid(key));

    await redis.hset(key, 'doc', JSON.stringify({ ...incident, alerts: null }));
    const error = await s.incidents.get('5').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StoredDocumentError);
    expect((error as Error).message).toMatch(new RegExp(`^Redis key ${key} holds a document this bot cannot read \\(alerts: `));
  });

  it('of a timeline line, an action, its timeline, the kill switch, a rollout or a cursor is named by its key', async () => {
    const s = stores();
    const p = s.prefix;
    await redis.rpush(`${p}incident:6:timeline`, JSON.stringify({ at: '2026-11-22T10:00:00.000Z', kind: 'opened' }));
    await expect(s.incidents.timeline('6')).rejects.toEqual(invalid(`${p}incident:6:timeline`));

    await redis.hset(`${p}action:7`, 'version', '1', 'state', 'requested', 'doc', JSON.stringify({ ...actionDoc({ id: '7' }), approvedBy: 'U0BOB' }));
    await expect(s.actions.getAction('7')).rejects.toEqual(invalid(`${p}action:7`));
    await redis.rpush(`${p}action:7:timeline`, 'requested by alice');
    await expect(s.actions.actionTimeline('7')).rejects.toEqual(invalid(`${p}action:7:timeline`));

    await redis.set(`${p}automation:paused`, JSON.stringify({ by: 'U0ALICE' }));
    await expect(s.actions.killSwitch()).rejects.toEqual(invalid(`${p}automation:paused`));

    await redis.set(`${p}rollout:7:state`, JSON.stringify({ state: 'exploded', detail: '' }));
    await expect(s.fleet.rolloutState('7')).rejects.toEqual(invalid(`${p}rollout:7:state`));
    await redis.hset(`${p}rollout:7:hosts`, 'web-1', JSON.stringify({ host: 'web-1', ok: 'yes' }));
    await expect(s.fleet.results('7')).rejects.toEqual(invalid(`${p}rollout:7:hosts`));

    await redis.set(`${p}incident:6:thread-cursor`, 'three');
    await expect(s.incidents.threadCursor('6')).rejects.toEqual(invalid(`${p}incident:6:thread-cursor`));
    await redis.set(`${p}action:7:reply-cursor`, '-1');
    await expect(s.actions.replyCursor('7')).rejects.toEqual(invalid(`${p}action:7:reply-cursor`));
  });
});
