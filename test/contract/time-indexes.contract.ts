import { describe, expect, it } from 'vitest';
import type { Action } from '../../src/actions/action.js';
import type { Incident } from '../../src/incidents/incident.js';
import { actionDoc, entry, incidentDoc } from '../support/documents.js';
import { RETENTION_MS, type StoreFactory, type Stores } from './stores.js';

const HOUR_MS = 3_600_000;
/** Times relative to the wall clock: Redis trims the indexes by its own time, the twin by its clock, and both keep the last 90 days. */
const hoursAgo = (hours: number) => new Date(Date.now() - hours * HOUR_MS).toISOString();

async function commitIncident(s: Stores, incident: Incident, expectedVersion: number): Promise<Incident> {
  const pointer = expectedVersion === 0 ? ({ mode: 'cas', expected: '' } as const) : ({ mode: 'touch' } as const);
  expect(await s.incidents.commit({ incident, expectedVersion, entries: [entry('command', 'changed')], pointer })).toBe(true);
  return { ...incident, version: expectedVersion + 1 };
}

async function commitAction(s: Stores, action: Action, patch: Partial<Action>): Promise<Action> {
  const next = { ...action, ...patch };
  expect(await s.actions.commitAction({ action: next, expectedVersion: action.version, entry: { at: hoursAgo(0), actor: 'bot', text: next.state } })).toBe(
    true,
  );
  return { ...next, version: action.version + 1 };
}

export function timeIndexesContract(factory: StoreFactory): void {
  describe('incidents by opening, actions by start', () => {
    it('finds the incidents opened since a time, resolved ones too, oldest first and up to a limit, until a resolved one outlives its retention', async () => {
      const s = await factory.open();
      const old = await commitIncident(s, incidentDoc({ id: '1', openedAt: hoursAgo(30) }), 0);
      const resolved = await commitIncident(s, incidentDoc({ id: '2', openedAt: hoursAgo(3) }), 0);
      await commitIncident(s, incidentDoc({ id: '3', openedAt: hoursAgo(1) }), 0);
      await commitIncident(s, { ...resolved, state: 'resolved', resolvedAt: hoursAgo(2) }, resolved.version);
      // A later change of an older incident leaves it where it opened.
      await commitIncident(s, { ...old, state: 'acknowledged' }, old.version);

      const since = Date.now() - 24 * HOUR_MS;
      expect((await s.incidents.openedSince(since, 10)).map((i) => [i.id, i.state])).toEqual([
        ['2', 'resolved'],
        ['3', 'firing'],
      ]);
      expect((await s.incidents.openedSince(since, 1)).map((i) => i.id)).toEqual(['2']);
      expect((await s.incidents.openedSince(Date.now() - 48 * HOUR_MS, 10)).map((i) => i.id)).toEqual(['1', '2', '3']);

      await s.elapse(RETENTION_MS + 1);
      expect((await s.incidents.openedSince(since, 10)).map((i) => i.id)).toEqual(['3']);
    });

    it('finds the actions that started running since a time, ended ones too, and not those that never ran', async () => {
      const s = await factory.open();
      const request = (id: string) => commitAction(s, actionDoc({ id, requestedAt: hoursAgo(5) }), {});
      const first = await commitAction(s, await request('1'), { state: 'running', startedAt: hoursAgo(4) });
      await commitAction(s, first, { state: 'succeeded', finishedAt: hoursAgo(3) });
      await commitAction(s, await request('2'), { state: 'running', startedAt: hoursAgo(2) });
      await commitAction(s, await request('3'), { state: 'denied' });
      await commitAction(s, await request('4'), { state: 'running', startedAt: hoursAgo(30) });

      const since = Date.now() - 24 * HOUR_MS;
      expect((await s.actions.startedSince(since, 10)).map((a) => [a.id, a.state])).toEqual([
        ['1', 'succeeded'],
        ['2', 'running'],
      ]);
      expect((await s.actions.startedSince(since, 1)).map((a) => a.id)).toEqual(['1']);

      await s.elapse(RETENTION_MS + 1);
      expect((await s.actions.startedSince(since, 10)).map((a) => a.id)).toEqual(['2']);
    });
  });
}
