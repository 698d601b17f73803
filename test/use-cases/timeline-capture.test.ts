/**
 * TimelineCapture over the memory stores: the incident of a thread or a war room, a message
 * added once per incident by its author at its own time, and a claim given back when the
 * entry could not be written, so that trying again adds it.
 */
import { describe, expect, it } from 'vitest';
import { IncidentNotFoundError } from '../../src/errors.js';
import { CAPTURE_HOLD_MS, TimelineCapture } from '../../src/incidents/capture.js';
import { IncidentService } from '../../src/incidents/service.js';
import { MemoryIncidentLocator, memoryStores } from '../../src/store/memory/index.js';
import { manualClock } from '../support/clock.js';
import { notification } from '../support/fixtures.js';

const RETENTION_MS = 24 * 3_600_000;

async function world() {
  const clock = manualClock();
  const stores = memoryStores({ clock: clock.now, retentionMs: RETENTION_MS });
  const incidents = new IncidentService(stores.incidents, { serviceLabel: 'service', channelFor: () => 'C0INCIDENTS', now: clock.date });
  const { incidentId } = await incidents.ingest(notification({ group: 'g1', alerts: [{ fingerprint: 'a' }] }));
  if (!incidentId) throw new Error('no incident opened');
  await stores.incidents.setMessageRef(incidentId, { channel: 'C0INCIDENTS', ts: '1795341000.000100', version: 1 });
  const locator = new MemoryIncidentLocator(stores.keyspace, RETENTION_MS);
  return { clock, stores, incidents, incidentId, locator, capture: new TimelineCapture(incidents, locator, locator) };
}

const message = { channel: 'C0INCIDENTS', ts: '1795341500.123456', author: 'U0BOB', text: 'swapping' };

describe('TimelineCapture', () => {
  it("finds the incident by its message's thread, else by its war room", async () => {
    const { capture, incidentId, locator } = await world();
    expect(await capture.incidentOf('C0INCIDENTS', '1795341000.000100')).toBe(incidentId);
    expect(await capture.incidentOf('C0INCIDENTS', '1795341000.000200')).toBeUndefined();
    await locator.bindRoom('C0ROOM', incidentId);
    expect(await capture.incidentOf('C0ROOM', '1795341000.000200')).toBe(incidentId);
    expect(await capture.incidentOfRoom('C0INCIDENTS')).toBeUndefined();
  });

  it('adds a message once, at its own time by its author', async () => {
    const { capture, incidents, incidentId } = await world();
    expect(await capture.capture(incidentId, message, 'U0ALICE')).toBe('added');
    expect(await capture.capture(incidentId, message, 'U0CAROL')).toBe('already');
    const entries = (await incidents.timeline(incidentId)).filter((e) => e.kind === 'captured');
    expect(entries).toEqual([
      { at: '2026-11-22T09:58:20.123Z', actor: 'U0BOB', kind: 'captured', by: 'U0ALICE', message: 'swapping', channel: 'C0INCIDENTS', ts: message.ts },
    ]);
  });

  it('gives the claim back when the entry is not written, so that trying again adds it', async () => {
    const { capture, incidentId, locator, incidents } = await world();
    const failing = new TimelineCapture({ addEntry: () => Promise.reject(new Error('Redis went away')) }, locator, locator);
    await expect(failing.capture(incidentId, message, 'U0ALICE')).rejects.toThrow('Redis went away');
    expect(await capture.capture(incidentId, message, 'U0ALICE')).toBe('added');
    expect((await incidents.timeline(incidentId)).filter((e) => e.kind === 'captured')).toHaveLength(1);
  });

  it('adds a message again once the claim of a process that died before writing its entry has lapsed; never a written one', async () => {
    const { capture, incidentId, locator, incidents, clock } = await world();
    // The process claimed the message, then died: no entry, no release.
    expect(await locator.claimCapture(incidentId, message.channel, message.ts, CAPTURE_HOLD_MS)).toBe(true);
    expect(await capture.capture(incidentId, message, 'U0ALICE')).toBe('already');
    clock.advance(CAPTURE_HOLD_MS);
    expect(await capture.capture(incidentId, message, 'U0ALICE')).toBe('added');
    clock.advance(CAPTURE_HOLD_MS * 10);
    expect(await capture.capture(incidentId, message, 'U0CAROL')).toBe('already');
    expect((await incidents.timeline(incidentId)).filter((e) => e.kind === 'captured')).toHaveLength(1);
  });

  it('refuses a message of an incident that is not stored, and keeps it addable', async () => {
    const { capture } = await world();
    await expect(capture.capture('999', message, 'U0ALICE')).rejects.toBeInstanceOf(IncidentNotFoundError);
    await expect(capture.capture('999', message, 'U0ALICE')).rejects.toBeInstanceOf(IncidentNotFoundError);
  });

  it('says a message whose ts is not a time is unreadable, without claiming it', async () => {
    const { capture, incidentId } = await world();
    expect(await capture.capture(incidentId, { ...message, ts: 'nope' }, 'U0ALICE')).toBe('unreadable');
  });
});
