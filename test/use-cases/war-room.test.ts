/**
 * WarRooms over the memory stores and a stand-in for the Slack channels: the claim, the
 * names tried, the invitees, rooms by severity and closing, without a bot. Slack around it
 * is tested end to end in test/integration/war-room.test.ts.
 */
import { describe, expect, it } from 'vitest';
import type { IncidentRoom } from '../../src/incidents/incident.js';
import { IncidentService } from '../../src/incidents/service.js';
import { WarRooms, type RoomChannels } from '../../src/incidents/war-room.js';
import { MemoryRoomCreations, memoryStores } from '../../src/store/memory/index.js';
import { manualClock } from '../support/clock.js';
import { commitIncident } from '../support/commit-incident.js';
import { notification } from '../support/fixtures.js';

/** Channels by name; `taken` names belong to someone else. */
class Channels implements RoomChannels {
  readonly created: string[] = [];
  readonly invited: string[][] = [];
  readonly archived: string[] = [];
  constructor(private readonly taken: ReadonlySet<string> = new Set()) {}
  async create(name: string): Promise<IncidentRoom | 'taken'> {
    if (this.taken.has(name)) return 'taken';
    this.created.push(name);
    return { channel: `C0ROOM${this.created.length}`, name };
  }
  async setTopic(): Promise<void> {}
  async invite(_channel: string, users: readonly string[]): Promise<void> {
    this.invited.push([...users]);
  }
  async archive(channel: string): Promise<void> {
    this.archived.push(channel);
  }
}

async function world(channels = new Channels(), severity = 'critical') {
  const clock = manualClock();
  const stores = memoryStores({ clock: clock.now });
  const bound: string[] = [];
  const creations = new MemoryRoomCreations(stores.keyspace, 86_400_000);
  const incidents = new IncidentService(stores.incidents, { serviceLabel: 'service', channelFor: () => 'C0INCIDENTS', now: clock.date });
  const rooms = new WarRooms({
    incidents,
    channels,
    lease: (name, ttlMs) => stores.incidents.lease(name, ttlMs),
    creations,
    oncallMembers: async (service) => (service === 'checkout' ? ['U0ON1', 'U0ALICE'] : []),
    autoSeverities: (service) => (service === 'checkout' ? ['critical'] : undefined),
    created: async (room, incidentId) => void bound.push(`${room.channel}:${incidentId}`),
  });
  const { incidentId } = await incidents.ingest(notification({ group: 'g1', service: 'checkout', alerts: [{ fingerprint: 'a', severity }] }));
  if (!incidentId) throw new Error('no incident');
  return { stores, incidents, rooms, channels, bound, creations, id: incidentId };
}

describe('opening a war room', () => {
  it('is refused as busy while another holds the claim, and answers the room once it is recorded', async () => {
    const { stores, rooms, channels, bound, id } = await world();
    const release = await stores.incidents.lease(`room:${id}`, 60_000);
    expect(await rooms.open(id, 'U0ALICE')).toEqual({ kind: 'busy' });
    await release?.();
    const opened = await rooms.open(id, 'U0ALICE');
    expect(opened).toEqual({ kind: 'opened', room: { channel: 'C0ROOM1', name: `inc-${id}-checkout` } });
    expect(await rooms.open(id, 'U0BOB')).toEqual({ kind: 'already_open', room: { channel: 'C0ROOM1', name: `inc-${id}-checkout` } });
    expect(channels.created).toHaveLength(1);
    expect(bound).toEqual([`C0ROOM1:${id}`]);
  });

  it('remembers the channel as soon as Slack created it, and adopts the one a crashed attempt left instead of creating another', async () => {
    const first = await world();
    await first.rooms.open(first.id, 'U0ALICE');
    expect(await first.creations.recall(first.id)).toEqual({ channel: 'C0ROOM1', name: `inc-${first.id}-checkout` });

    const crashed = await world();
    await crashed.creations.remember(crashed.id, { channel: 'C0LEFT', name: `inc-${crashed.id}-checkout` });
    expect(await crashed.rooms.open(crashed.id, 'U0ALICE')).toEqual({ kind: 'opened', room: { channel: 'C0LEFT', name: `inc-${crashed.id}-checkout` } });
    expect(crashed.channels.created).toEqual([]);
    expect(crashed.channels.invited).toEqual([['U0ALICE', 'U0ON1']]);
  });

  it('invites the requester, the commander and the on-call group, each once', async () => {
    const { stores, incidents, rooms, channels, id } = await world();
    await commitIncident(stores.incidents, { ...(await incidents.get(id)), commander: 'U0LEAD' }, []);
    await rooms.open(id, 'U0ALICE');
    expect(channels.invited).toEqual([['U0ALICE', 'U0LEAD', 'U0ON1']]);
  });

  it('gives up with the last name tried when every suffix is taken', async () => {
    const names = new Set(['inc-1-checkout', ...Array.from({ length: 19 }, (_, i) => `inc-1-checkout-${i + 2}`)]);
    const { rooms, incidents, id } = await world(new Channels(names));
    expect(await rooms.open(id, 'U0ALICE')).toEqual({ kind: 'no_name', tried: 'inc-1-checkout-20' });
    expect((await incidents.get(id)).room).toBeUndefined();
  });

  it('opens by itself only at a severity the service names, once', async () => {
    const low = await world(new Channels(), 'warning');
    expect(await low.rooms.openIfDue(low.id)).toBeUndefined();
    const high = await world();
    expect((await high.rooms.openIfDue(high.id))?.kind).toBe('opened');
    expect(await high.rooms.openIfDue(high.id)).toBeUndefined();
    expect((await high.incidents.timeline(high.id)).filter((e) => e.kind === 'room')).toEqual([expect.objectContaining({ actor: 'bot', verb: 'opened' })]);
  });
});

describe('a room gone from Slack', () => {
  it('is not opened again by the severity rule, which would fight the people who removed it, but /incident room opens a new one', async () => {
    const { incidents, rooms, channels, id } = await world();
    expect((await rooms.openIfDue(id))?.kind).toBe('opened');
    await incidents.archiveRoom(id, 'bot', true);
    expect((await incidents.get(id)).room).toEqual({ channel: 'C0ROOM1', name: `inc-${id}-checkout`, archived: true, gone: true });
    expect(await rooms.openIfDue(id)).toBeUndefined();
    expect(await rooms.open(id, 'U0ALICE')).toEqual({ kind: 'opened', room: { channel: 'C0ROOM2', name: `inc-${id}-checkout` } });
    expect(channels.created).toEqual([`inc-${id}-checkout`, `inc-${id}-checkout`]);
    expect((await incidents.timeline(id)).filter((e) => e.kind === 'room').map((e) => 'verb' in e && e.verb)).toEqual(['opened', 'gone', 'opened']);
  });
});

describe('closing a war room', () => {
  it('waits for the incident to resolve, archives once, and says when there is none', async () => {
    const { incidents, rooms, channels, id } = await world();
    expect(await rooms.close(id, 'U0ALICE')).toEqual({ kind: 'no_room' });
    await rooms.open(id, 'U0ALICE');
    expect((await rooms.close(id, 'U0ALICE')).kind).toBe('not_resolved');
    await incidents.resolve(id, 'U0ALICE');
    expect((await rooms.close(id, 'U0ALICE')).kind).toBe('archived');
    expect((await rooms.close(id, 'U0ALICE')).kind).toBe('already_archived');
    expect(channels.archived).toEqual(['C0ROOM1']);
    // An archived room is not an open one: only the incident being resolved stops a new one.
    expect(await rooms.open(id, 'U0BOB')).toEqual({ kind: 'resolved' });
  });
});
