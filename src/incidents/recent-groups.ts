import type { Incident } from './incident.js';

/**
 * Groups whose last committed incident this process remembers (a bounded, oldest-first cache):
 * the groups notified lately, not every open incident (10,000 documents held 100+ MB).
 */
const REMEMBERED_GROUPS = 1_000;

/**
 * The incident this process last committed per group. A notification is merged against it
 * first, saving the read on the webhook's hot path; the compare-and-set still checks it
 * against Redis, and a stale guess is simply read again.
 */
export class RecentGroups {
  private readonly incidents = new Map<string, Incident>();

  get(groupKey: string): Incident | undefined {
    return this.incidents.get(groupKey);
  }

  forget(groupKey: string): void {
    this.incidents.delete(groupKey);
  }

  remember(groupKey: string, incident: Incident): void {
    this.incidents.delete(groupKey);
    // A resolved incident is rarely notified again; reading it then costs one round trip.
    if (incident.state === 'resolved') return;
    this.incidents.set(groupKey, incident);
    if (this.incidents.size > REMEMBERED_GROUPS) {
      const oldest = this.incidents.keys().next().value;
      if (oldest !== undefined) this.incidents.delete(oldest);
    }
  }
}
