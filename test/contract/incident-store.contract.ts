import { describe, expect, it } from 'vitest';
import type { Incident } from '../../src/incidents/incident.js';
import type { IncidentCommit } from '../../src/incidents/store.js';
import { entry, incidentDoc, wordsOf } from '../support/documents.js';
import { REOPEN_WINDOW_MS, RETENTION_MS, type StoreFactory, type Stores } from './stores.js';

/** Opens `incident` for its group as the webhook does: version 0, the group's pointer expected empty. */
async function open(s: Stores, incident: Incident, entries = [entry('opened', 'Incident opened')]): Promise<Incident> {
  expect(await s.incidents.commit({ incident, expectedVersion: 0, entries, pointer: { mode: 'cas', expected: '' } })).toBe(true);
  return { ...incident, version: 1 };
}

/** A change by a person (acknowledge, resolve): the version read, the pointer only touched. */
function change(incident: Incident, patch: Partial<Incident>, entries = [entry('command', 'changed', 'U0ALICE')]): IncidentCommit {
  return { incident: { ...incident, ...patch }, expectedVersion: incident.version, entries, pointer: { mode: 'touch' } };
}

export function incidentStoreContract(factory: StoreFactory): void {
  describe('incident store', () => {
    it('numbers incidents from 1 as they are created, and a create that loses the group takes no number', async () => {
      const s = await factory.open();
      const create = (groupKey: string) =>
        s.incidents.create({ incident: incidentDoc({ id: '', groupKey }), entries: [entry('opened', groupKey)], expectedPointer: '' });
      // An HA pair delivers the same group's first notification many times at once.
      const duplicates = await Promise.all(Array.from({ length: 8 }, () => create('{}:{alertname="DiskFull"}')));
      expect(duplicates.filter(Boolean).map((i) => i?.id)).toEqual(['1']);
      expect(duplicates.find(Boolean)).toMatchObject({ id: '1', version: 1 });
      expect(await s.incidents.get('1')).toMatchObject({ id: '1', version: 1, groupKey: '{}:{alertname="DiskFull"}' });
      expect((await s.incidents.currentForGroup('{}:{alertname="DiskFull"}'))?.id).toBe('1');
      expect((await s.incidents.timeline('1')).map(wordsOf)).toEqual(['{}:{alertname="DiskFull"}']);

      expect((await create('{}:{alertname="HighErrorRate"}'))?.id).toBe('2');
      expect((await s.incidents.listOpen(10)).map((i) => i.id).sort()).toEqual(['1', '2']);
    });

    it('stores a new incident only against version 0, and a change only against the version it read', async () => {
      const s = await factory.open();
      const stored = await open(s, incidentDoc({ id: '1' }));
      expect(await s.incidents.get('1')).toEqual(stored);

      expect(await s.incidents.commit({ ...change(stored, { state: 'acknowledged' }), expectedVersion: 0 })).toBe(false);
      expect(await s.incidents.commit(change(stored, { state: 'acknowledged', acknowledgedBy: 'U0ALICE' }))).toBe(true);
      expect(await s.incidents.get('1')).toEqual({ ...stored, state: 'acknowledged', acknowledgedBy: 'U0ALICE', version: 2 });
      expect(await s.incidents.commit(change(stored, { state: 'resolved' }))).toBe(false);
      expect((await s.incidents.get('1'))?.state).toBe('acknowledged');
    });

    it('of writers that read the same version, exactly one commits', async () => {
      const s = await factory.open();
      const stored = await open(s, incidentDoc({ id: '1' }));
      const writers = ['U0ALICE', 'U0BOB', 'U0CAROL', 'U0DAVE'].map((user) =>
        s.incidents.commit(change(stored, { state: 'acknowledged', acknowledgedBy: user }, [entry('acknowledged', `by ${user}`, user)])),
      );
      const won = await Promise.all(writers);
      expect(won.filter(Boolean)).toHaveLength(1);
      const winner = ['U0ALICE', 'U0BOB', 'U0CAROL', 'U0DAVE'][won.indexOf(true)];
      expect(await s.incidents.get('1')).toMatchObject({ version: 2, acknowledgedBy: winner });
      expect((await s.incidents.timeline('1')).map((e) => e.actor)).toEqual(['alertmanager', winner]);
    });

    it('a commit that loses writes nothing: no document, no timeline, no pointer, no open entry', async () => {
      const s = await factory.open();
      const first = await open(s, incidentDoc({ id: '1' }));
      const rival = incidentDoc({ id: '2', groupKey: first.groupKey });
      expect(
        await s.incidents.commit({ incident: rival, expectedVersion: 0, entries: [entry('opened', 'rival')], pointer: { mode: 'cas', expected: '' } }),
      ).toBe(false);
      expect(await s.incidents.get('2')).toBeUndefined();
      expect(await s.incidents.timeline('2')).toEqual([]);
      expect((await s.incidents.currentForGroup(first.groupKey))?.id).toBe('1');
      expect((await s.incidents.listOpen(10)).map((i) => i.id)).toEqual(['1']);
    });

    it('points a group at its incident only while the pointer holds what the writer read (compare-and-set)', async () => {
      const s = await factory.open();
      const groupKey = '{}:{alertname="DiskFull"}';
      expect(await s.incidents.currentForGroup(groupKey)).toBeUndefined();
      const first = await open(s, incidentDoc({ id: '1', groupKey }));
      expect(await s.incidents.currentForGroup(groupKey)).toEqual(first);

      // A writer that read an older pointer loses; one that read the current one wins.
      const next = incidentDoc({ id: '2', groupKey });
      expect(await s.incidents.commit({ incident: next, expectedVersion: 0, entries: [], pointer: { mode: 'cas', expected: 'none' } })).toBe(false);
      expect(await s.incidents.commit({ incident: next, expectedVersion: 0, entries: [], pointer: { mode: 'cas', expected: '1' } })).toBe(true);
      expect((await s.incidents.currentForGroup(groupKey))?.id).toBe('2');
    });

    it('a touch refreshes the group pointer only while it points at that incident', async () => {
      const s = await factory.open();
      const groupKey = '{}:{alertname="DiskFull"}';
      const older = await open(s, incidentDoc({ id: '1', groupKey }));
      await s.incidents.commit({ incident: incidentDoc({ id: '2', groupKey }), expectedVersion: 0, entries: [], pointer: { mode: 'cas', expected: '1' } });

      // The older incident is resolved by hand: the group stays with the newer one.
      expect(await s.incidents.commit(change(older, { state: 'resolved' }))).toBe(true);
      expect((await s.incidents.currentForGroup(groupKey))?.id).toBe('2');
      await s.elapse(REOPEN_WINDOW_MS + 1_000);
      expect((await s.incidents.currentForGroup(groupKey))?.id).toBe('2');
    });

    it('keeps the timeline in the order written and reads it from an offset', async () => {
      const s = await factory.open();
      const stored = await open(s, incidentDoc({ id: '1' }), [entry('opened', 'one'), entry('alert_firing', 'two')]);
      await s.incidents.appendTimeline('1', [entry('command', 'three', 'U0ALICE')]);
      await s.incidents.appendTimeline('1', []);
      await s.incidents.commit(change(stored, { state: 'acknowledged' }, [entry('acknowledged', 'four', 'U0BOB')]));

      expect((await s.incidents.timeline('1')).map(wordsOf)).toEqual(['one', 'two', 'three', 'four']);
      expect(await s.incidents.timeline('1', 2)).toEqual([entry('command', 'three', 'U0ALICE'), entry('acknowledged', 'four', 'U0BOB')]);
      expect(await s.incidents.timeline('1', 4)).toEqual([]);
      expect(await s.incidents.timeline('9')).toEqual([]);
    });

    it('lists open incidents most severe first, then oldest, up to the limit, and counts them by state', async () => {
      const s = await factory.open();
      const at = (minute: number) => `2026-11-22T10:${String(minute).padStart(2, '0')}:00.000Z`;
      const one = await open(s, incidentDoc({ id: '1', openedAt: at(1) }));
      const two = await open(s, incidentDoc({ id: '2', openedAt: at(2) }));
      await open(s, incidentDoc({ id: '3', openedAt: at(3) }));
      const four = await open(s, incidentDoc({ id: '4', openedAt: at(4) }));
      await s.incidents.commit(change(one, { state: 'acknowledged' }));
      await s.incidents.commit(change(two, { state: 'mitigating' }));
      await s.incidents.commit(change(four, { state: 'resolved' }));

      expect((await s.incidents.listOpen(10)).map((i) => i.id)).toEqual(['1', '2', '3']);
      expect((await s.incidents.listOpen(2)).map((i) => i.id)).toEqual(['1', '2']);
      expect(await s.incidents.countOpen()).toBe(3);
      expect(await s.incidents.countOpenByState()).toEqual({ firing: 1, acknowledged: 1, mitigating: 1, resolved: 0 });
    });

    it('keeps hundreds of open incidents in order as their severity changes, and counts them without reading them', async () => {
      const s = await factory.open();
      const severities = ['info', 'warning', 'critical', undefined] as const;
      const stored: Incident[] = [];
      for (let i = 1; i <= 300; i += 1) {
        const severity = severities[i % severities.length];
        const doc = incidentDoc({ id: String(i), openedAt: new Date(Date.UTC(2026, 10, 22, 10, 0, i)).toISOString() });
        const alert = Object.values(doc.alerts)[0];
        if (alert && severity) alert.labels = { ...alert.labels, severity };
        stored.push(await open(s, doc, []));
      }
      // Incident n is warning (n % 4 = 1), critical (2), unknown (3) or info (0). The oldest,
      // a warning, turns critical; the info ones resolve.
      const first = stored[0];
      if (!first) throw new Error('no incident stored');
      const escalated = Object.fromEntries(Object.entries(first.alerts).map(([k, a]) => [k, { ...a, labels: { ...a.labels, severity: 'critical' } }]));
      await s.incidents.commit(change(first, { alerts: escalated }));
      for (const incident of stored.filter((_, i) => i % 4 === 3)) await s.incidents.commit(change(incident, { state: 'resolved' }));

      // Critical oldest first, the escalated one by when it opened; then the oldest warnings left.
      const criticals = ['1', ...stored.filter((i) => Number(i.id) % 4 === 2).map((i) => i.id)];
      expect((await s.incidents.listOpen(criticals.length + 2)).map((i) => i.id)).toEqual([...criticals, '5', '9']);
      expect(await s.incidents.countOpen()).toBe(225);
      expect((await s.incidents.listOpen(1000)).map((i) => i.id)).not.toContain('4');
      expect(await s.incidents.countOpenByState()).toEqual({ firing: 225, acknowledged: 0, mitigating: 0, resolved: 0 });
    });

    it('keeps the open counts by state in step through every transition, a failed commit and a reopening', async () => {
      const s = await factory.open();
      const counts = (firing: number, acknowledged: number, mitigating: number) => ({ firing, acknowledged, mitigating, resolved: 0 });
      const one = await open(s, incidentDoc({ id: '1' }));
      const two = await open(s, incidentDoc({ id: '2' }));
      expect(await s.incidents.countOpenByState()).toEqual(counts(2, 0, 0));

      expect(await s.incidents.commit(change(one, { state: 'acknowledged' }))).toBe(true);
      expect(await s.incidents.countOpenByState()).toEqual(counts(1, 1, 0));
      // A writer that read an older version changes no count.
      expect(await s.incidents.commit(change(one, { state: 'mitigating' }))).toBe(false);
      expect(await s.incidents.countOpenByState()).toEqual(counts(1, 1, 0));
      const acked = { ...one, state: 'acknowledged' as const, version: 2 };
      expect(await s.incidents.commit(change(acked, { state: 'mitigating' }))).toBe(true);
      expect(await s.incidents.countOpenByState()).toEqual(counts(1, 0, 1));
      // An alert-count change keeps the state: counts stay.
      expect(await s.incidents.commit(change(two, { truncatedAlerts: 3 }))).toBe(true);
      expect(await s.incidents.countOpenByState()).toEqual(counts(1, 0, 1));

      const mitigating = { ...acked, state: 'mitigating' as const, version: 3 };
      expect(await s.incidents.commit(change(mitigating, { state: 'resolved' }))).toBe(true);
      expect(await s.incidents.countOpenByState()).toEqual(counts(1, 0, 0));
      const resolved = { ...mitigating, state: 'resolved' as const, version: 4 };
      expect(await s.incidents.commit(change(resolved, { state: 'resolved', updatedAt: '2026-11-22T11:00:00.000Z' }))).toBe(true);
      expect(await s.incidents.countOpenByState()).toEqual(counts(1, 0, 0));
      expect(await s.incidents.commit(change({ ...resolved, version: 5 }, { state: 'firing' }, [entry('reopened', 'again')]))).toBe(true);
      expect(await s.incidents.countOpenByState()).toEqual(counts(2, 0, 0));
      expect(await s.incidents.countOpen()).toBe(2);
    });

    it('a resolved incident leaves the open list; its group may reopen it for the reopen window, and it is kept for the retention period', async () => {
      const s = await factory.open();
      const stored = await open(s, incidentDoc({ id: '1' }));
      // Resolved by a person: the pointer is touched, and still points at the incident.
      expect(await s.incidents.commit(change(stored, { state: 'resolved' }))).toBe(true);
      expect(await s.incidents.listOpen(10)).toEqual([]);
      expect(await s.incidents.countOpenByState()).toEqual({ firing: 0, acknowledged: 0, mitigating: 0, resolved: 0 });

      await s.elapse(REOPEN_WINDOW_MS - 1_000);
      expect((await s.incidents.currentForGroup(stored.groupKey))?.state).toBe('resolved');
      await s.elapse(2_000);
      expect(await s.incidents.currentForGroup(stored.groupKey)).toBeUndefined();
      expect((await s.incidents.get('1'))?.state).toBe('resolved');
      expect(await s.incidents.timeline('1')).toHaveLength(2);

      await s.elapse(RETENTION_MS);
      expect(await s.incidents.get('1')).toBeUndefined();
      expect(await s.incidents.timeline('1')).toEqual([]);
    });

    it('reopening a resolved incident keeps it, its timeline and its group for good', async () => {
      const s = await factory.open();
      const stored = await open(s, incidentDoc({ id: '1' }));
      await s.incidents.commit({ ...change(stored, { state: 'resolved' }), pointer: { mode: 'cas', expected: '1' } });
      await s.elapse(REOPEN_WINDOW_MS / 2);
      const reopened = { ...stored, version: 2, state: 'resolved' as const };
      expect(
        await s.incidents.commit({ ...change(reopened, { state: 'firing' }, [entry('reopened', 'again')]), pointer: { mode: 'cas', expected: '1' } }),
      ).toBe(true);

      await s.elapse(RETENTION_MS + REOPEN_WINDOW_MS);
      expect((await s.incidents.currentForGroup(stored.groupKey))?.state).toBe('firing');
      expect((await s.incidents.timeline('1')).map((e) => e.kind)).toEqual(['opened', 'command', 'reopened']);
      expect((await s.incidents.listOpen(10)).map((i) => i.id)).toEqual(['1']);
    });

    it('keeps where the message was posted and how far its thread was replied, for the retention period', async () => {
      const s = await factory.open();
      expect(await s.incidents.getMessageRef('1')).toBeUndefined();
      expect(await s.incidents.threadCursor('1')).toBe(0);
      await s.incidents.setMessageRef('1', { channel: 'C0PAYMENTS', ts: '1700000000.000001' });
      await s.incidents.setThreadCursor('1', 3);
      await s.incidents.setThreadCursor('1', 5);
      expect(await s.incidents.getMessageRef('1')).toEqual({ channel: 'C0PAYMENTS', ts: '1700000000.000001' });
      expect(await s.incidents.threadCursor('1')).toBe(5);
      expect(await s.incidents.getMessageRef('2')).toBeUndefined();

      await s.elapse(RETENTION_MS + 1_000);
      expect(await s.incidents.getMessageRef('1')).toBeUndefined();
      expect(await s.incidents.threadCursor('1')).toBe(0);
    });

    it('keeps the war room copy of the message and its cursor apart from the channel copy', async () => {
      const s = await factory.open();
      await s.incidents.setMessageRef('1', { channel: 'C0PAYMENTS', ts: '1700000000.000001', version: 2 });
      await s.incidents.setThreadCursor('1', 4);
      expect(await s.incidents.getMessageRef('1', 'room')).toBeUndefined();
      expect(await s.incidents.threadCursor('1', 'room')).toBe(0);
      await s.incidents.setMessageRef('1', { channel: 'C0ROOM1', ts: '1700000000.000009', version: 3 }, 'room');
      await s.incidents.setThreadCursor('1', 7, 'room');
      expect(await s.incidents.getMessageRef('1', 'room')).toEqual({ channel: 'C0ROOM1', ts: '1700000000.000009', version: 3 });
      expect(await s.incidents.getMessageRef('1')).toEqual({ channel: 'C0PAYMENTS', ts: '1700000000.000001', version: 2 });
      expect([await s.incidents.threadCursor('1'), await s.incidents.threadCursor('1', 'room')]).toEqual([4, 7]);
      await s.elapse(RETENTION_MS + 1_000);
      expect(await s.incidents.getMessageRef('1', 'room')).toBeUndefined();
    });

    it('keeps how far the timeline was filed as the retrospective issue apart from the thread cursor, for the retention period', async () => {
      const s = await factory.open();
      expect(await s.incidents.retroFiledCursor('1')).toBe(0);
      await s.incidents.setThreadCursor('1', 4);
      await s.incidents.setRetroFiledCursor('1', 5);
      expect([await s.incidents.threadCursor('1'), await s.incidents.retroFiledCursor('1'), await s.incidents.retroFiledCursor('2')]).toEqual([4, 5, 0]);
      await s.elapse(RETENTION_MS + 1_000);
      expect(await s.incidents.retroFiledCursor('1')).toBe(0);
    });

    it('records on the message reference the incident version it shows; a reference stored without one reads without one', async () => {
      const s = await factory.open();
      await s.incidents.setMessageRef('1', { channel: 'C0PAYMENTS', ts: '1700000000.000001' });
      expect(await s.incidents.getMessageRef('1')).toEqual({ channel: 'C0PAYMENTS', ts: '1700000000.000001' });
      await s.incidents.setMessageRef('1', { channel: 'C0PAYMENTS', ts: '1700000000.000001', version: 3 });
      expect(await s.incidents.getMessageRef('1')).toEqual({ channel: 'C0PAYMENTS', ts: '1700000000.000001', version: 3 });
      await s.incidents.setMessageRef('1', { channel: 'C0PAYMENTS', ts: '1700000000.000001', version: 4 });
      expect((await s.incidents.getMessageRef('1'))?.version).toBe(4);
    });

    it('records the state the message shows, and a reference saved without one forgets it', async () => {
      const s = await factory.open();
      await s.incidents.setMessageRef('1', { channel: 'C0PAYMENTS', ts: '1700000000.000001', version: 2, state: 'firing' });
      expect(await s.incidents.getMessageRef('1')).toEqual({ channel: 'C0PAYMENTS', ts: '1700000000.000001', version: 2, state: 'firing' });
      await s.incidents.setMessageRef('1', { channel: 'C0PAYMENTS', ts: '1700000000.000001', version: 3 });
      expect(await s.incidents.getMessageRef('1')).toEqual({ channel: 'C0PAYMENTS', ts: '1700000000.000001', version: 3 });
    });

    it('notes every committed change for the reconciler, and a commit that loses notes nothing', async () => {
      const s = await factory.open();
      expect(await s.incidents.changedSince(0)).toEqual([]);
      const one = await open(s, incidentDoc({ id: '1' }));
      await open(s, incidentDoc({ id: '2' }));
      expect(await s.incidents.commit(change(one, { state: 'acknowledged' }))).toBe(true);
      expect((await s.incidents.changedSince(0)).sort()).toEqual(['1', '2']);

      const other = await factory.open();
      const three = await open(other, incidentDoc({ id: '3' }));
      expect(await other.incidents.commit({ ...change(three, { state: 'acknowledged' }), expectedVersion: 0 })).toBe(false);
      expect(await other.incidents.changedSince(0)).toEqual(['3']);
    });

    it('answers a ping and takes audit entries', async () => {
      const s = await factory.open();
      await expect(s.incidents.ping()).resolves.toBeUndefined();
      await expect(
        s.incidents.audit({ at: '2026-11-22T10:00:00.000Z', actor: 'U0ALICE', action: '/incident ack 1', incidentId: '1', outcome: 'ok' }),
      ).resolves.toBeUndefined();
    });
  });
}
