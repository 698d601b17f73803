import type { SlackMessageRef } from '../../incidents/store.js';
import { MOST_SEVERE_KEPT, type FloodEntry, type FloodNote, type FloodStanding, type FloodStore, type FloodSummary } from '../../slack/flood/flood-store.js';
import type { MemoryKeyspace } from './keyspace.js';
import { increment, MemoryBase } from './memory-base.js';

/** A channel's window: incidents by when they were first seen, with what a roll-up says of each. */
type Window = Map<string, { at: number; entry: FloodEntry }>;

/** The twin of the flood hash with its members, counts and critical incidents still waiting. */
interface Flood {
  channel: string;
  startedAt: number;
  total: number;
  /** The MOST_SEVERE_KEPT most severe only, as the members sorted set keeps them. */
  members: Map<string, { at: number; entry: FloodEntry }>;
  counts: Map<string, number>;
  criticals: Set<string>;
}

/** The twin of the members sorted set's order: most severe first, then earliest. */
const memberOrder = (a: { at: number; entry: FloodEntry }, b: { at: number; entry: FloodEntry }) => b.entry.rank - a.entry.rank || a.at - b.at;

/** The twin of RedisFloodStore: the same keys, steps and expiries, in memory. */
export class MemoryFloodStore extends MemoryBase implements FloodStore {
  constructor(
    keyspace: MemoryKeyspace,
    private readonly retentionMs: number,
  ) {
    super(keyspace);
  }

  async note(channel: string, entry: FloodEntry, now: number, windowMs: number): Promise<FloodNote> {
    const current = this.keyspace.read<string>(`flood:channel:${channel}`);
    const memberOf = this.keyspace.read<string>(`flood:incident:${entry.incidentId}`);
    if (memberOf !== undefined) return { memberOf, newInWindow: 0, ...(current ? { current } : {}) };
    const key = `flood:channel:${channel}:window`;
    let newInWindow = 0;
    this.keyspace.update<Window>(
      key,
      () => new Map(),
      (window) => {
        for (const [id, seen] of window) if (seen.at <= now - windowMs) window.delete(id);
        if (!window.has(entry.incidentId)) window.set(entry.incidentId, { at: now, entry: { ...entry } });
        newInWindow = window.size;
      },
    );
    this.keyspace.expire(key, windowMs);
    return { newInWindow, ...(current ? { current } : {}) };
  }

  async join(channel: string, entry: FloodEntry, now: number, begin: boolean): Promise<string | undefined> {
    const currentKey = `flood:channel:${channel}`;
    let id = this.keyspace.read<string>(currentKey);
    if (id === undefined) {
      if (!begin) return undefined;
      const fid = increment(this.keyspace, 'flood:seq');
      id = fid;
      this.keyspace.write(`flood:${fid}`, { channel, startedAt: now, total: 0, members: new Map(), counts: new Map(), criticals: new Set() } satisfies Flood);
      const window = this.keyspace.read<Window>(`flood:channel:${channel}:window`) ?? new Map();
      for (const [incidentId, seen] of [...window].sort(([, a], [, b]) => a.at - b.at)) this.add(fid, incidentId, seen.entry, seen.at);
    }
    this.add(id, entry.incidentId, entry, now);
    this.keyspace.write(currentKey, id, this.retentionMs);
    this.keyspace.expire(`flood:${id}`, this.retentionMs);
    this.keyspace.expire(`flood:${id}:message`, this.retentionMs);
    this.noteChange('flood:changed', id, now, this.retentionMs);
    return id;
  }

  /** Counts the incident once, in the flood that counted it first. */
  private add(floodId: string, incidentId: string, entry: FloodEntry, at: number): void {
    if (!this.keyspace.writeIfAbsent(`flood:incident:${incidentId}`, floodId, this.retentionMs)) return;
    const flood = this.keyspace.read<Flood>(`flood:${floodId}`);
    if (!flood) return;
    flood.total += 1;
    flood.members.set(incidentId, { at, entry: { ...entry } });
    if (flood.members.size > MOST_SEVERE_KEPT) {
      const [least] = [...flood.members].sort(([, a], [, b]) => memberOrder(b, a));
      if (least) flood.members.delete(least[0]);
    }
    const field = JSON.stringify([entry.alertname, entry.severity]);
    flood.counts.set(field, (flood.counts.get(field) ?? 0) + 1);
    if (entry.critical) flood.criticals.add(incidentId);
  }

  async end(channel: string, floodId: string): Promise<void> {
    if (this.keyspace.read<string>(`flood:channel:${channel}`) === floodId) this.keyspace.delete(`flood:channel:${channel}`);
  }

  async membership(incidentId: string): Promise<string | undefined> {
    return this.keyspace.read<string>(`flood:incident:${incidentId}`);
  }

  async summary(floodId: string, worst: number, kinds?: number): Promise<FloodSummary | undefined> {
    const flood = this.keyspace.read<Flood>(`flood:${floodId}`);
    if (!flood) return undefined;
    // The order of the top counts script: by count, then by the field's bytes.
    const byCount = [...flood.counts].sort(([fa, a], [fb, b]) => b - a || (fa < fb ? -1 : fa > fb ? 1 : 0));
    return {
      id: floodId,
      channel: flood.channel,
      startedAt: flood.startedAt,
      version: flood.total,
      total: flood.total,
      counts: byCount.slice(0, kinds ?? byCount.length).map(([field, count]) => {
        const [alertname = '', severity = ''] = JSON.parse(field) as string[];
        return { alertname, severity, count };
      }),
      kinds: flood.counts.size,
      worst: [...flood.members.values()]
        .sort(memberOrder)
        .slice(0, worst)
        .map(({ entry }) => ({ ...entry })),
    };
  }

  async version(floodId: string): Promise<number | undefined> {
    return this.keyspace.read<Flood>(`flood:${floodId}`)?.total;
  }

  async standing(floodId: string): Promise<FloodStanding | undefined> {
    const flood = this.keyspace.read<Flood>(`flood:${floodId}`);
    if (!flood) return undefined;
    const rollup = this.readMessageRef(`flood:${floodId}:message`);
    return { startedAt: flood.startedAt, criticalsWaiting: flood.criticals.size, ...(rollup ? { rollup } : {}) };
  }

  async posted(floodId: string, incidentId: string): Promise<void> {
    this.keyspace.read<Flood>(`flood:${floodId}`)?.criticals.delete(incidentId);
  }

  async getRollupRef(floodId: string): Promise<SlackMessageRef | undefined> {
    return this.readMessageRef(`flood:${floodId}:message`);
  }

  async setRollupRef(floodId: string, ref: SlackMessageRef): Promise<void> {
    this.writeMessageRef(`flood:${floodId}:message`, ref, this.retentionMs);
  }

  async changedSince(since: number): Promise<string[]> {
    return this.changesSince('flood:changed', since);
  }
}
