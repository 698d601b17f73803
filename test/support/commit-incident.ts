import type { Incident, TimelineEntry } from '../../src/incidents/incident.js';
import type { IncidentStore } from '../../src/incidents/store.js';

/** Stores a change of the incident as the incident service would: the version it read, its entries; the incident as stored. */
export async function commitIncident(store: IncidentStore, incident: Incident, entries: TimelineEntry[]): Promise<Incident> {
  const current = await store.get(incident.id);
  const expectedVersion = current?.version ?? 0;
  const pointer = current ? ({ mode: 'touch' } as const) : ({ mode: 'cas', expected: '' } as const);
  if (!(await store.commit({ incident, expectedVersion, entries, pointer }))) throw new Error(`incident ${incident.id} changed under the test`);
  return { ...incident, version: expectedVersion + 1 };
}
