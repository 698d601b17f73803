import type { Incident, IncidentState, TimelineEntry } from './incident.js';

/** How a commit treats the group's pointer to its current incident. */
export type GroupPointerMode =
  /** The pointer must still hold `expected` ('' for none); the commit fails otherwise. */
  | { mode: 'cas'; expected: string }
  /** Refresh the pointer only if it still points at this incident. */
  | { mode: 'touch' };

export interface IncidentCommit {
  incident: Incident;
  /** The version read before the change; the commit fails if another writer moved it. */
  expectedVersion: number;
  entries: readonly TimelineEntry[];
  pointer: GroupPointerMode;
}

/** A new incident: numbered by the store, and only if it wins the group's pointer. */
export interface IncidentCreate {
  /** Its id is ignored: an id is taken only when the incident is created, so ids never skip. */
  incident: Incident;
  entries: readonly TimelineEntry[];
  /** What the group's pointer must still hold: '' for none, or the resolved incident this one follows. */
  expectedPointer: string;
}

export interface AuditEntry {
  at: string;
  actor: string;
  action: string;
  incidentId?: string;
  outcome: 'ok' | 'refused' | 'error';
  /** What the person typed or clicked, cut short. */
  detail?: string;
  /** Why it was refused or failed, as the person was told. */
  error?: string;
}

export interface SlackMessageRef {
  channel: string;
  ts: string;
  /** The version of the incident or action the message shows; absent on references stored before versions were kept. */
  version?: number;
  /**
   * The state the message shows (the incident's), so that a change keeping it (alert counts
   * only) can give way to one that changes it; absent where a change of state is all there is.
   */
  state?: string;
}

/** How far back the indexes by time (incidents by opening, actions by start) reach: the longest window of /incident stats. */
export const STATS_INDEX_MS = 90 * 86_400_000;

/** Open incidents a sweep or poll looks at, most severe first: more than any team has open at once. */
export const OPEN_SCAN_LIMIT = 500;

/** The port through which the incident layer reaches storage. */
export interface IncidentStore {
  ping(): Promise<void>;
  currentForGroup(groupKey: string): Promise<Incident | undefined>;
  get(id: string): Promise<Incident | undefined>;
  /** Atomic: document, timeline, open index and group pointer together, or nothing. */
  commit(change: IncidentCommit): Promise<boolean>;
  /** Atomic like commit, and takes the next id only when the pointer's compare-and-set holds; undefined when it did not. */
  create(change: IncidentCreate): Promise<Incident | undefined>;
  appendTimeline(id: string, entries: readonly TimelineEntry[]): Promise<void>;
  timeline(id: string, from?: number): Promise<TimelineEntry[]>;
  /** Open incidents, most severe first and oldest first within a severity, up to `limit`. */
  listOpen(limit: number): Promise<Incident[]>;
  /** How many incidents are open, without reading them. */
  countOpen(): Promise<number>;
  countOpenByState(): Promise<Record<IncidentState, number>>;
  /**
   * Incidents opened at or after `since` (ms), resolved ones too, oldest first, up to `limit`:
   * an index kept by the commit for STATS_INDEX_MS. A resolved incident past its retention is gone.
   */
  openedSince(since: number, limit: number): Promise<Incident[]>;
  audit(entry: AuditEntry): Promise<void>;
}

/**
 * Which copy of the incident's message: the one in the service's channel (with its thread),
 * or the one in its war room (with the room's own outbox of what is said there).
 */
export type MessageCopy = 'channel' | 'room';

/** Where the Slack adapter keeps what it posted, beside the incident; each copy has its own reference and cursor. */
export interface MessageRefStore {
  getMessageRef(incidentId: string, copy?: MessageCopy): Promise<SlackMessageRef | undefined>;
  setMessageRef(incidentId: string, ref: SlackMessageRef, copy?: MessageCopy): Promise<void>;
  threadCursor(incidentId: string, copy?: MessageCopy): Promise<number>;
  setThreadCursor(incidentId: string, cursor: number, copy?: MessageCopy): Promise<void>;
  /**
   * Incidents committed at or after `since` (ms), each noted by the commit itself, so that a
   * sweep finds a change nobody announced (the process died, or a retried webhook changed
   * nothing); notes older than the retention period are forgotten.
   */
  changedSince(since: number): Promise<string[]>;
  /** A short exclusive lease, for work that must not run on two replicas at once. */
  lease(name: string, ttlMs: number): Promise<(() => Promise<void>) | undefined>;
  /** A lease for work of several steps, kept by renewing it between them. */
  renewableLease(name: string, ttlMs: number): Promise<RenewableLease | undefined>;
  /**
   * How many entries of the incident's timeline were filed as its retrospective issue: the
   * filing of a `retro` entry below it is done, whatever became of its post in Slack.
   */
  retroFiledCursor(incidentId: string): Promise<number>;
  setRetroFiledCursor(incidentId: string, cursor: number): Promise<void>;
}

/** A lease its holder keeps only by renewing it: it lapses when the holder dies or hangs. */
export interface RenewableLease {
  /** Extends it to `ttlMs` from now; false once it was lost (it lapsed, and another holder may have it). */
  renew(ttlMs: number): Promise<boolean>;
  /** Ends it if it is still ours. */
  release(): Promise<void>;
}
