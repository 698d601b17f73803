/**
 * IncidentService over the memory stores, on a clock the test moves: intake, deduplication,
 * reopening, transitions, concurrent writers and reminders, without a bot. The webhook and
 * Slack around it are tested end to end in test/integration and test/e2e.
 */
import { describe, expect, it } from 'vitest';
import { IncidentNotFoundError, InvalidTransitionError } from '../../src/errors.js';
import { incidentCommand } from '../../commands/incident.js';
import type { CommandDeps } from '../../commands/command.js';
import { IncidentService } from '../../src/incidents/service.js';
import { renderCommandAnswer } from '../../src/slack/render/command-reply.js';
import { memoryStores, type MemoryStores } from '../../src/store/memory/index.js';
import { manualClock, type ManualClock } from '../support/clock.js';
import { notification } from '../support/fixtures.js';

const REOPEN_WINDOW_MS = 30 * 60_000;
const REMIND_AFTER_MS = 15 * 60_000;

interface World {
  clock: ManualClock;
  stores: MemoryStores;
  incidents: IncidentService;
  /** Incident ids the service said changed, in order. */
  changed: string[];
}

function world(): World {
  const clock = manualClock();
  const stores = memoryStores({ clock: clock.now, reopenWindowMs: REOPEN_WINDOW_MS });
  return { clock, stores, ...replica(stores, clock) };
}

/** A process on the stores, recording which incidents it said changed. */
function replica(stores: MemoryStores, clock: ManualClock): { incidents: IncidentService; changed: string[] } {
  const changed: string[] = [];
  const incidents = new IncidentService(stores.incidents, {
    serviceLabel: 'service',
    channelFor: (service) => (service === 'checkout' ? 'C0CHECKOUT' : 'C0INCIDENTS'),
    now: clock.date,
  });
  incidents.onChange((id) => changed.push(id));
  return { incidents, changed };
}

function firing(group = 'HighErrorRate', fingerprints = ['a'], service = 'payment-service') {
  return notification({ group, service, alerts: fingerprints.map((fingerprint) => ({ fingerprint })) });
}

function resolved(group = 'HighErrorRate', fingerprints = ['a']) {
  return notification({ group, alerts: fingerprints.map((fingerprint) => ({ fingerprint, status: 'resolved' as const })) });
}

describe('IncidentService intake', () => {
  it('opens one incident per group, in its service’s channel, and tells its listeners', async () => {
    const w = world();
    expect(await w.incidents.ingest(firing('HighErrorRate', ['a'], 'checkout'))).toEqual({ incidentId: '1', changed: true });
    expect(await w.incidents.get('1')).toMatchObject({ id: '1', version: 1, state: 'firing', service: 'checkout', channel: 'C0CHECKOUT' });
    expect((await w.incidents.timeline('1')).map((e) => e.kind)).toEqual(['opened']);
    expect(w.changed).toEqual(['1']);

    expect(await w.incidents.ingest(firing('DiskFull'))).toEqual({ incidentId: '2', changed: true });
    expect((await w.incidents.listOpen()).incidents.map((i) => i.id)).toEqual(['1', '2']);
  });

  it('changes nothing and tells no one for a repeated notification', async () => {
    const w = world();
    await w.incidents.ingest(firing());
    expect(await w.incidents.ingest(firing())).toEqual({ incidentId: '1', changed: false });
    expect((await w.incidents.get('1')).version).toBe(1);
    expect(w.changed).toEqual(['1']);
  });

  it('opens nothing for a group whose first notification has nothing firing', async () => {
    const w = world();
    expect(await w.incidents.ingest(resolved())).toEqual({ incidentId: undefined, changed: false });
    expect(await w.stores.incidents.listOpen(10)).toEqual([]);
    expect(w.changed).toEqual([]);
  });

  it('resolves when every alert resolved, reopens the same incident within the reopen window, and opens a new one after it', async () => {
    const w = world();
    await w.incidents.ingest(firing('HighErrorRate', ['a', 'b']));
    await w.incidents.ingest(resolved('HighErrorRate', ['a']));
    expect((await w.incidents.get('1')).state).toBe('firing');
    await w.incidents.ingest(resolved('HighErrorRate', ['a', 'b']));
    expect(await w.incidents.get('1')).toMatchObject({ state: 'resolved', resolvedBy: 'alertmanager' });
    expect(await w.incidents.listOpen()).toEqual({ incidents: [], total: 0 });

    w.clock.advance(REOPEN_WINDOW_MS - 60_000);
    const again = notification({ group: 'HighErrorRate', alerts: [{ fingerprint: 'a', startsAt: '2026-11-22T10:29:00.000Z' }] });
    expect(await w.incidents.ingest(again)).toEqual({ incidentId: '1', changed: true });
    expect((await w.incidents.get('1')).state).toBe('firing');
    expect((await w.incidents.timeline('1')).map((e) => e.kind)).toEqual([
      'opened',
      'alert_resolved',
      'alert_resolved',
      'resolved',
      'retro',
      'alert_firing',
      'reopened',
    ]);

    await w.incidents.ingest(resolved('HighErrorRate', ['a']));
    w.clock.advance(REOPEN_WINDOW_MS + 1_000);
    const later = notification({ group: 'HighErrorRate', alerts: [{ fingerprint: 'a', startsAt: '2026-11-22T11:30:00.000Z' }] });
    expect(await w.incidents.ingest(later)).toEqual({ incidentId: '2', changed: true });
    expect((await w.incidents.get('1')).state).toBe('resolved');
  });

  it('numbers incidents without a gap when an HA pair delivers a group’s first notification many times at once', async () => {
    const w = world();
    const pair = [w, replica(w.stores, w.clock)];
    const duplicates = await Promise.all(Array.from({ length: 10 }, (_, i) => pair[i % 2]?.incidents.ingest(firing('HighErrorRate', ['a']))));
    expect(duplicates.map((r) => r?.incidentId)).toEqual(Array.from({ length: 10 }, () => '1'));
    expect(duplicates.filter((r) => r?.changed)).toHaveLength(1);

    expect(await w.incidents.ingest(firing('DiskFull'))).toEqual({ incidentId: '2', changed: true });
    expect((await w.stores.incidents.listOpen(10)).map((i) => i.id).sort()).toEqual(['1', '2']);
  });

  it('two processes merging the same group at once open one incident, and each later merge sees the other’s', async () => {
    const w = world();
    const a = replica(w.stores, w.clock);
    const b = replica(w.stores, w.clock);
    const opened = await Promise.all([a.incidents.ingest(firing('HighErrorRate', ['a'])), b.incidents.ingest(firing('HighErrorRate', ['a']))]);
    expect(opened.map((r) => r.incidentId)).toEqual(['1', '1']);
    expect(opened.filter((r) => r.changed)).toHaveLength(1);

    // Each remembers the version it last wrote; the other's commit moved it, and the guess is read again.
    await b.incidents.ingest(firing('HighErrorRate', ['a', 'b']));
    expect(await a.incidents.ingest(firing('HighErrorRate', ['a', 'b', 'c']))).toEqual({ incidentId: '1', changed: true });
    expect(Object.keys((await a.incidents.get('1')).alerts).sort()).toEqual(['a', 'b', 'c']);
    expect(await a.incidents.ingest(firing('HighErrorRate', ['a', 'b', 'c']))).toEqual({ incidentId: '1', changed: false });
    expect((await w.stores.incidents.listOpen(10)).map((i) => i.id)).toEqual(['1']);
  });
});

describe('IncidentService transitions', () => {
  it('acknowledges once, by whom, then resolves; each change is on the timeline and told', async () => {
    const w = world();
    await w.incidents.ingest(firing());
    expect(await w.incidents.acknowledge('1', 'U0ALICE')).toMatchObject({ state: 'acknowledged', acknowledgedBy: 'U0ALICE', version: 2 });
    await expect(w.incidents.acknowledge('1', 'U0BOB')).rejects.toBeInstanceOf(InvalidTransitionError);
    expect(await w.incidents.resolve('1', 'U0BOB')).toMatchObject({ state: 'resolved', resolvedBy: 'U0BOB', version: 3 });
    await expect(w.incidents.resolve('1', 'U0BOB')).rejects.toBeInstanceOf(InvalidTransitionError);

    const timeline = await w.incidents.timeline('1');
    expect(timeline.map((e) => [e.kind, e.actor])).toEqual([
      ['opened', 'alertmanager'],
      ['acknowledged', 'U0ALICE'],
      ['resolved', 'U0BOB'],
      ['retro', 'bot'],
    ]);
    expect(await w.stores.incidents.get('1')).toMatchObject({ state: 'resolved', version: 3 });
    expect(w.changed).toEqual(['1', '1', '1']);
  });

  it('of two people acknowledging at once, one wins and the other is refused', async () => {
    const w = world();
    await w.incidents.ingest(firing());
    const clicks = await Promise.allSettled([w.incidents.acknowledge('1', 'U0ALICE'), w.incidents.acknowledge('1', 'U0BOB')]);
    expect(clicks.filter((c) => c.status === 'fulfilled')).toHaveLength(1);
    const refused = clicks.find((c) => c.status === 'rejected');
    expect(refused?.reason).toBeInstanceOf(InvalidTransitionError);
    expect((await w.incidents.timeline('1')).filter((e) => e.kind === 'acknowledged')).toHaveLength(1);
  });

  it('names an incident that is not stored', async () => {
    const w = world();
    await expect(w.incidents.get('42')).rejects.toBeInstanceOf(IncidentNotFoundError);
    await expect(w.incidents.acknowledge('42', 'U0ALICE')).rejects.toBeInstanceOf(IncidentNotFoundError);
  });

  it('finds the open incident of a service, newest first', async () => {
    const w = world();
    await w.incidents.ingest(firing('HighErrorRate', ['a'], 'checkout'));
    await w.incidents.ingest(firing('DiskFull', ['a'], 'checkout'));
    await w.incidents.ingest(firing('Latency', ['a'], 'payment-service'));
    expect((await w.incidents.openIncidentFor('checkout'))?.id).toBe('2');
    expect(await w.incidents.openIncidentFor('search')).toBeUndefined();
  });
});

describe('/incident list with hundreds open', () => {
  it('shows the first 20 of all open, most severe and oldest first, and says how many there are', async () => {
    const w = world();
    const severities = ['warning', 'critical', 'info'];
    for (let n = 1; n <= 300; n += 1) {
      w.clock.advance(1_000);
      await w.incidents.ingest(notification({ group: `Alert${n}`, alerts: [{ fingerprint: `f${n}`, severity: severities[n % 3] }] }));
    }
    const deps = { incidents: w.incidents } as unknown as CommandDeps;
    const answer = await incidentCommand.handle({ userId: 'U0LISTER', channelId: 'C0INCIDENTS', text: 'list' }, deps);
    if (answer.kind !== 'incident_list') throw new Error(`answered ${answer.kind}`);
    expect(answer.total).toBe(300);
    // The criticals are incidents 1, 4, 7, …: the oldest 20 of them.
    expect(answer.incidents.map((i) => i.id)).toEqual(Array.from({ length: 20 }, (_, k) => String(1 + 3 * k)));
    const text = renderCommandAnswer(answer);
    expect(text.split('\n')[0]).toBe('*Open incidents (20 of 300, most severe and oldest first)*');
    expect(text).toContain('*INC-1* firing · critical');
  });
});

describe('IncidentService reminders', () => {
  /** A reminder per incident on one replica, once, as the bot claims it: a lease for the retention period. */
  const claimOnce = (w: World) => async (id: string) => (await w.stores.incidents.lease(`reminder:${id}`, 24 * 3_600_000)) !== undefined;
  const oncallOf = (service: string | undefined) => (service === 'payment-service' ? 'S0ONCALL' : undefined);
  const reminders = async (w: World, id: string) => (await w.incidents.timeline(id)).filter((e) => e.kind === 'reminder');

  it('reminds once about each incident still firing unacknowledged after the delay, whichever replica sweeps', async () => {
    const w = world();
    await w.incidents.ingest(firing('HighErrorRate', ['a'], 'payment-service'));
    await w.incidents.ingest(firing('DiskFull', ['a'], 'checkout'));
    await w.incidents.ingest(firing('Latency', ['a'], 'payment-service'));
    await w.incidents.acknowledge('3', 'U0ALICE');
    w.clock.advance(REMIND_AFTER_MS - 1_000);
    expect(await w.incidents.remindUnacknowledged(REMIND_AFTER_MS, oncallOf, claimOnce(w))).toBe(0);

    w.clock.advance(2_000);
    await w.incidents.ingest(firing('Fresh', ['a'], 'payment-service'));
    w.changed.length = 0;
    expect(await w.incidents.remindUnacknowledged(REMIND_AFTER_MS, oncallOf, claimOnce(w))).toBe(2);
    expect(w.changed.sort()).toEqual(['1', '2']);
    expect(await reminders(w, '1')).toEqual([expect.objectContaining({ actor: 'bot' })]);
    expect(await reminders(w, '2')).toHaveLength(1);
    expect(await reminders(w, '3')).toEqual([]);
    expect(await reminders(w, '4')).toEqual([]);

    const other = replica(w.stores, w.clock);
    w.clock.advance(60_000);
    expect(await other.incidents.remindUnacknowledged(REMIND_AFTER_MS, oncallOf, claimOnce(w))).toBe(0);
    expect(await w.incidents.remindUnacknowledged(REMIND_AFTER_MS, oncallOf, claimOnce(w))).toBe(0);
    expect(await reminders(w, '1')).toHaveLength(1);
  });
});
