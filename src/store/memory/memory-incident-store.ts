import type { Incident, IncidentState, TimelineEntry } from '../../incidents/incident.js';
import {
  STATS_INDEX_MS,
  type AuditEntry,
  type GroupPointerMode,
  type IncidentCommit,
  type IncidentCreate,
  type IncidentStore,
  type MessageCopy,
  type MessageRefStore,
  type SlackMessageRef,
} from '../../incidents/store.js';
import { COPY_KEYS } from '../message-copies.js';
import type { MemoryKeyspace } from './keyspace.js';
import { increment, MemoryBase } from './memory-base.js';
import { locatorKeys } from '../locator-keys.js';
import { openIndexScore } from '../open-order.js';

/** The incident hash: the document as JSON, as in Redis, so a caller never holds the stored object. */
interface IncidentHash {
  version: number;
  state: IncidentState;
  doc: string;
}

/** Open incidents by id, scored by openIndexScore (the twin of a sorted set). */
type OpenIndex = Map<string, number>;

/** Open incidents counted by state (the twin of a hash of counters). */
type OpenCounts = Partial<Record<IncidentState, number>>;

const AUDIT_MAX_LEN = 100_000;

export interface MemoryIncidentStoreOptions {
  reopenWindowMs: number;
  retentionMs: number;
}

/** The twin of RedisStore: the same keys, compare-and-set and expiries, in memory. */
export class MemoryIncidentStore extends MemoryBase implements IncidentStore, MessageRefStore {
  constructor(
    keyspace: MemoryKeyspace,
    private readonly options: MemoryIncidentStoreOptions,
  ) {
    super(keyspace);
  }

  async ping(): Promise<void> {}

  async currentForGroup(groupKey: string): Promise<Incident | undefined> {
    const id = this.keyspace.read<string>(groupPointer(groupKey));
    return id === undefined ? undefined : this.get(id);
  }

  async get(id: string): Promise<Incident | undefined> {
    const hash = this.keyspace.read<IncidentHash>(`incident:${id}`);
    return hash && (JSON.parse(hash.doc) as Incident);
  }

  async commit({ incident, expectedVersion, entries, pointer }: IncidentCommit): Promise<boolean> {
    return this.write(incident, incident.id, expectedVersion, entries, pointer.mode, pointer.mode === 'cas' ? pointer.expected : '') !== undefined;
  }

  async create({ incident, entries, expectedPointer }: IncidentCreate): Promise<Incident | undefined> {
    const id = this.write(incident, '', 0, entries, 'cas', expectedPointer);
    return id === undefined ? undefined : { ...incident, id, version: 1 };
  }

  /** The twin of COMMIT_SCRIPT in redis-store.ts, step by step: the id written, or undefined when a compare-and-set failed. */
  private write(
    incident: Incident,
    givenId: string,
    expectedVersion: number,
    entries: readonly TimelineEntry[],
    mode: GroupPointerMode['mode'],
    expectedPointer: string,
  ): string | undefined {
    const pointerKey = groupPointer(incident.groupKey);
    const holder = this.keyspace.read<string>(pointerKey);
    if (mode === 'cas' && (holder ?? '') !== expectedPointer) return undefined;
    let id = givenId;
    if (id === '') id = increment(this.keyspace, 'incident:seq');
    else if ((this.keyspace.read<IncidentHash>(`incident:${id}`)?.version ?? 0) !== expectedVersion) return undefined;
    const hashKey = `incident:${id}`;

    this.countOpenChange(id, incident.state);
    const version = expectedVersion + 1;
    const hash: IncidentHash = { version, state: incident.state, doc: JSON.stringify({ ...incident, id, version }) };
    this.keyspace.update<IncidentHash>(
      hashKey,
      () => hash,
      (stored) => Object.assign(stored, hash),
    );
    const timelineKey = `incident:${id}:timeline`;
    this.push(timelineKey, entries);
    this.noteChange('incidents:changed', id, this.keyspace.now(), this.options.retentionMs);
    this.keyspace.update<OpenIndex>(
      'incidents:opened',
      () => new Map(),
      (opened) => {
        opened.set(id, Date.parse(incident.openedAt));
        for (const [other, at] of opened) if (at < this.keyspace.now() - STATS_INDEX_MS) opened.delete(other);
      },
    );
    const ownsPointer = mode === 'cas' || holder === id;
    if (incident.state === 'resolved') {
      this.keyspace.update<OpenIndex>(
        'incidents:open',
        () => new Map(),
        (open) => open.delete(id),
      );
      this.keyspace.expire(hashKey, this.options.retentionMs);
      this.keyspace.expire(timelineKey, this.options.retentionMs);
      if (ownsPointer) this.keyspace.write(pointerKey, id, this.options.reopenWindowMs);
    } else {
      this.keyspace.update<OpenIndex>(
        'incidents:open',
        () => new Map(),
        (open) => open.set(id, openIndexScore(incident)),
      );
      this.keyspace.persist(hashKey);
      this.keyspace.persist(timelineKey);
      if (ownsPointer) this.keyspace.write(pointerKey, id);
    }
    return id;
  }

  async appendTimeline(id: string, entries: readonly TimelineEntry[]): Promise<void> {
    this.push(`incident:${id}:timeline`, entries);
  }

  async timeline(id: string, from = 0): Promise<TimelineEntry[]> {
    const lines = this.keyspace.read<string[]>(`incident:${id}:timeline`) ?? [];
    return lines.slice(from).map((line) => JSON.parse(line) as TimelineEntry);
  }

  async listOpen(limit: number): Promise<Incident[]> {
    const incidents: Incident[] = [];
    for (const id of this.openIds().slice(0, limit)) {
      const incident = await this.get(id);
      if (incident) incidents.push(incident);
    }
    return incidents;
  }

  /** Earliest opening first, equal ones in id order. */
  async openedSince(since: number, limit: number): Promise<Incident[]> {
    const ids = this.keyspace.rangeByScore('incidents:opened', since, limit);
    const incidents: Incident[] = [];
    for (const id of ids) {
      const incident = await this.get(id);
      if (incident) incidents.push(incident);
    }
    return incidents;
  }

  async countOpen(): Promise<number> {
    return this.keyspace.read<OpenIndex>('incidents:open')?.size ?? 0;
  }

  async countOpenByState(): Promise<Record<IncidentState, number>> {
    return { firing: 0, acknowledged: 0, mitigating: 0, resolved: 0, ...this.keyspace.read<OpenCounts>('incidents:open-counts') };
  }

  /** HINCRBY on the counts hash, as COMMIT_SCRIPT keeps it: out of the state it was open in, into the one it is open in now. */
  private countOpenChange(id: string, state: IncidentState): void {
    const was = this.keyspace.read<OpenIndex>('incidents:open')?.has(id) ? this.keyspace.read<IncidentHash>(`incident:${id}`)?.state : undefined;
    this.keyspace.update<OpenCounts>(
      'incidents:open-counts',
      () => ({ firing: 0, acknowledged: 0, mitigating: 0 }),
      (counts) => {
        if (was) counts[was] = (counts[was] ?? 0) - 1;
        if (state !== 'resolved') counts[state] = (counts[state] ?? 0) + 1;
      },
    );
  }

  async audit(entry: AuditEntry): Promise<void> {
    this.keyspace.update<AuditEntry[]>(
      'audit',
      () => [],
      (trail) => {
        trail.push({ ...entry });
        if (trail.length > AUDIT_MAX_LEN) trail.shift();
      },
    );
  }

  /** The audit trail, oldest first: what a reader of the Redis stream would see. */
  auditTrail(): AuditEntry[] {
    return [...(this.keyspace.read<AuditEntry[]>('audit') ?? [])];
  }

  async getMessageRef(incidentId: string, copy: MessageCopy = 'channel'): Promise<SlackMessageRef | undefined> {
    return this.readMessageRef(`incident:${incidentId}:${COPY_KEYS[copy].message}`);
  }

  async setMessageRef(incidentId: string, ref: SlackMessageRef, copy: MessageCopy = 'channel'): Promise<void> {
    this.writeMessageRef(`incident:${incidentId}:${COPY_KEYS[copy].message}`, ref, this.options.retentionMs);
    this.keyspace.write(locatorKeys.thread(ref.channel, ref.ts).join(':'), incidentId, this.options.retentionMs);
  }

  async threadCursor(incidentId: string, copy: MessageCopy = 'channel'): Promise<number> {
    return this.readCursor(`incident:${incidentId}:${COPY_KEYS[copy].cursor}`);
  }

  async setThreadCursor(incidentId: string, cursor: number, copy: MessageCopy = 'channel'): Promise<void> {
    this.writeCursor(`incident:${incidentId}:${COPY_KEYS[copy].cursor}`, cursor, this.options.retentionMs);
  }

  async retroFiledCursor(incidentId: string): Promise<number> {
    return this.readCursor(`incident:${incidentId}:retro-filed-cursor`);
  }

  async setRetroFiledCursor(incidentId: string, cursor: number): Promise<void> {
    this.writeCursor(`incident:${incidentId}:retro-filed-cursor`, cursor, this.options.retentionMs);
  }

  async changedSince(since: number): Promise<string[]> {
    return this.changesSince('incidents:changed', since);
  }

  /** RPUSH: nothing to push creates no key. */
  private push(key: string, entries: readonly TimelineEntry[]): void {
    if (entries.length === 0) return;
    this.keyspace.update<string[]>(
      key,
      () => [],
      (lines) => lines.push(...entries.map((entry) => JSON.stringify(entry))),
    );
  }

  /** Lowest score first; equal scores in id order, as ZRANGE gives them. */
  private openIds(): string[] {
    const open = this.keyspace.read<OpenIndex>('incidents:open') ?? new Map<string, number>();
    return [...open.entries()].sort(([a, x], [b, y]) => x - y || (a < b ? -1 : a > b ? 1 : 0)).map(([id]) => id);
  }
}

function groupPointer(groupKey: string): string {
  return `group:${groupKey}`;
}
