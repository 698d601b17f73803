import { MAX_SEVERITY_RANK, severityOf, severityRank, titleOf, type Incident } from '../../incidents/incident.js';
import type { FloodEntry, FloodStore } from './flood-store.js';
import { firstPostOf, floodVerdict, type FirstPost, type FloodPolicy } from './policy.js';

/** What the incident publisher asks before an incident's first message, and tells after it. */
export interface FirstPostGate {
  /** Whether the incident's own first message goes now, waits, or is left to its flood's roll-up. */
  firstPost(incident: Incident): Promise<FirstPost>;
  /** Whether a roll-up shows the incident instead of a message of its own (its thread then waits on nothing). */
  shownByRollup(incident: Incident): Promise<boolean>;
  posted(incident: Incident): Promise<void>;
}

export interface FloodGateOptions {
  store: FloodStore;
  policy: FloodPolicy;
  /** Told when a flood counts one more incident, so its roll-up is brought up to date. */
  rollups: { changed(floodId: string): void };
  now?: () => number;
}

export function floodEntry(incident: Incident): FloodEntry {
  const rank = severityRank(incident);
  return {
    incidentId: incident.id,
    alertname: titleOf(incident),
    severity: severityOf(incident),
    rank,
    critical: rank >= MAX_SEVERITY_RANK,
    ...(incident.service ? { service: incident.service } : {}),
  };
}

/**
 * Counts each incident about to get its first message as new in its channel; when more are
 * new within the window than the channel can show one by one, they join the channel's flood,
 * whose roll-up counts them, and only some still get a message of their own (policy.ts).
 * Asked again on every retry, so an incident queued before the flood began joins it too.
 */
export class FloodGate implements FirstPostGate {
  private readonly now: () => number;

  constructor(private readonly options: FloodGateOptions) {
    this.now = options.now ?? Date.now;
  }

  async firstPost(incident: Incident): Promise<FirstPost> {
    const { store, policy, rollups } = this.options;
    const entry = floodEntry(incident);
    const now = this.now();
    const note = await store.note(incident.channel, entry, now, policy.windowMs);
    let floodId = note.memberOf;
    if (floodId === undefined) {
      const verdict = floodVerdict(note.newInWindow, policy.threshold, note.current !== undefined);
      if (verdict === 'ends' && note.current !== undefined) await store.end(incident.channel, note.current);
      if (verdict === 'calm' || verdict === 'ends') return 'post';
      floodId = await store.join(incident.channel, entry, now, verdict === 'begins');
      // The flood ended on another replica between the note and the join.
      if (floodId === undefined) return 'post';
      rollups.changed(floodId);
    }
    return this.decide(floodId, entry, now);
  }

  async shownByRollup(incident: Incident): Promise<boolean> {
    const floodId = await this.options.store.membership(incident.id);
    return floodId !== undefined && (await this.decide(floodId, floodEntry(incident), this.now())) === 'rolled-up';
  }

  async posted(incident: Incident): Promise<void> {
    if (!floodEntry(incident).critical) return;
    const floodId = await this.options.store.membership(incident.id);
    if (floodId !== undefined) await this.options.store.posted(floodId, incident.id);
  }

  private async decide(floodId: string, entry: FloodEntry, now: number): Promise<FirstPost> {
    const standing = await this.options.store.standing(floodId);
    // A flood past its retention: nothing holds the incident back any more.
    if (!standing) return 'post';
    return firstPostOf(
      {
        critical: entry.critical,
        rollupShown: standing.rollup !== undefined,
        floodAgeMs: now - standing.startedAt,
        criticalsWaiting: standing.criticalsWaiting,
      },
      this.options.policy.individualPosts,
    );
  }
}
