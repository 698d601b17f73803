import type { SlackMessageRef } from '../../incidents/store.js';

/** What a roll-up says about one incident it counts, kept when the incident joins. */
export interface FloodEntry {
  incidentId: string;
  alertname: string;
  severity: string;
  /** The incident's severity rank: higher is more severe. */
  rank: number;
  /** Critical incidents still get their own message during a flood, before the others. */
  critical: boolean;
  service?: string;
}

export interface FloodNote {
  /** The flood that counts the incident already; then nothing was noted. */
  memberOf?: string;
  /** Incidents first seen in the channel within the window, this one included. */
  newInWindow: number;
  /** The channel's flood, if one lasts. */
  current?: string;
}

export interface FloodCount {
  alertname: string;
  severity: string;
  count: number;
}

/**
 * A flood keeps what a roll-up says of its most severe incidents only, this many: the others
 * are counted, not listed, so a flood of ten thousand holds no ten thousand entries.
 */
export const MOST_SEVERE_KEPT = 20;

/** One flood as its roll-up shows it; `version` grows with every incident it counts. */
export interface FloodSummary {
  id: string;
  channel: string;
  startedAt: number;
  version: number;
  total: number;
  /** The most counted kinds of alert (then by alertname and severity), up to the number asked for. */
  counts: FloodCount[];
  /** How many kinds of alert the flood counts in all, listed or not. */
  kinds: number;
  /** The most severe incidents, then the earliest, up to the number asked for (at most MOST_SEVERE_KEPT). */
  worst: FloodEntry[];
}

export interface FloodStanding {
  startedAt: number;
  /** The roll-up message, once posted. */
  rollup?: SlackMessageRef;
  /** Critical incidents of the flood whose own message is not posted yet. */
  criticalsWaiting: number;
}

/**
 * Where each channel's flood is kept, shared by every replica: the window of new incidents,
 * the flood that counts them, its roll-up message and the critical incidents it still owes
 * a message of their own. Each step is atomic, and doing one twice changes nothing.
 */
export interface FloodStore {
  /** Notes the incident as new in its channel at `now` (the first time only) and counts the window ending then. */
  note(channel: string, entry: FloodEntry, now: number, windowMs: number): Promise<FloodNote>;
  /**
   * Counts the incident in the channel's flood and answers that flood's id. With `begin`, a
   * channel without one starts it, counting the window's incidents too; without, undefined.
   */
  join(channel: string, entry: FloodEntry, now: number, begin: boolean): Promise<string | undefined>;
  /** The channel's flood `floodId` is over; a later one starts afresh with a new roll-up. */
  end(channel: string, floodId: string): Promise<void>;
  /** The flood that counts the incident, if any. */
  membership(incidentId: string): Promise<string | undefined>;
  /** Lists `worst` incidents and `kinds` kinds of alert (all when left out); the rest only counted. */
  summary(floodId: string, worst: number, kinds?: number): Promise<FloodSummary | undefined>;
  /** The flood's version alone, for the sweep: cheap however many kinds it counts. */
  version(floodId: string): Promise<number | undefined>;
  /** What an incident of the flood waits on before its own first post. */
  standing(floodId: string): Promise<FloodStanding | undefined>;
  /** The incident's own message is posted; it no longer holds the others back. */
  posted(floodId: string, incidentId: string): Promise<void>;
  getRollupRef(floodId: string): Promise<SlackMessageRef | undefined>;
  setRollupRef(floodId: string, ref: SlackMessageRef): Promise<void>;
  /** Floods that counted an incident at or after `since` (ms), for the reconciler's sweep. */
  changedSince(since: number): Promise<string[]>;
  lease(name: string, ttlMs: number): Promise<(() => Promise<void>) | undefined>;
}
