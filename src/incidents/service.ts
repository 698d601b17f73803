import { IncidentNotFoundError } from '../errors.js';
import {
  ALERTMANAGER_ACTOR,
  type FactEntry,
  type Incident,
  type IncidentRoom,
  type IncidentSilence,
  type Outcome,
  type SeverityLevel,
  type TimelineEntry,
  type UnstampedFact,
} from './incident.js';
import { RecentGroups } from './recent-groups.js';
import { archiveRoom, recordRoom, roomGone } from './room.js';
import { setCommander, setSeverity, takeLead } from './roles.js';
import { clearSilence, resolveSilenced, showSilence } from './silence.js';
import { applyNotification, openIncident, type AlertNotification, type NotificationContext } from './notification.js';
import { OPEN_SCAN_LIMIT, type AuditEntry, type IncidentStore } from './store.js';
import type { Verification } from '../verify/rollback-verification.js';
import { milestonesReached, type ResponseMilestone } from './response-times.js';
import { acknowledge, beginMitigation, endMitigation, resolveByUser, showVerification } from './transitions.js';

export interface IncidentServiceOptions {
  serviceLabel: string;
  channelFor: (service: string | undefined) => string;
  now?: () => Date;
}

export interface OpenIncidents {
  incidents: Incident[];
  total: number;
}

/** A change this process committed reached a milestone of the response (see milestonesReached). */
export interface MilestoneEvent {
  milestone: ResponseMilestone;
  incident: Incident;
}

export interface IngestResult {
  incidentId: string | undefined;
  changed: boolean;
}

/** Another writer kept winning the compare-and-set; practically only under a pathological storm. */
const MAX_COMMIT_ATTEMPTS = 20;
/** The id a new incident carries until the store numbers it on creation. */
const UNNUMBERED = '';

/**
 * Use cases on incidents: read, decide with the pure domain functions, commit atomically,
 * then tell listeners (the Slack publisher) which incident changed.
 */
export class IncidentService {
  private readonly listeners: Array<(incidentId: string) => void> = [];
  private readonly commitListeners: Array<(before: Incident, after: Incident) => void> = [];
  private readonly now: () => Date;
  private readonly lastCommitted = new RecentGroups();

  constructor(
    private readonly store: IncidentStore,
    private readonly options: IncidentServiceOptions,
  ) {
    this.now = options.now ?? (() => new Date());
  }

  onChange(listener: (incidentId: string) => void): void {
    this.listeners.push(listener);
  }

  private notify(incidentId: string): void {
    for (const listener of this.listeners) listener(incidentId);
  }

  /** Told once per incident and milestone, on the replica whose commit reached it. */
  onMilestone(listener: (event: MilestoneEvent) => void): void {
    this.onCommit((before, after) => {
      for (const milestone of milestonesReached(before, after)) listener({ milestone, incident: after });
    });
  }

  /** Told of each change this process committed, before and after it (a war room invites a newly named commander). */
  readonly onCommit = (listener: (before: Incident, after: Incident) => void): void => void this.commitListeners.push(listener);

  private context(): NotificationContext {
    return { now: this.now(), serviceLabel: this.options.serviceLabel, channelFor: this.options.channelFor };
  }

  /** Merges one alert notification; duplicates change nothing and notify no one. */
  async ingest(notification: AlertNotification): Promise<IngestResult> {
    const remembered = this.lastCommitted.get(notification.groupKey);
    for (let attempt = 0; attempt < MAX_COMMIT_ATTEMPTS; attempt += 1) {
      const guess = attempt === 0 ? remembered : undefined;
      const current = guess ?? (await this.store.currentForGroup(notification.groupKey));
      if (!current) {
        const created = await this.create(notification);
        if (created === 'lost') continue;
        return created;
      }
      const outcome = applyNotification(current, notification, this.context());
      // Only Redis can say a notification changes nothing: a remembered incident may be stale.
      if (!outcome.changed && guess) continue;
      if (!outcome.changed) return { incidentId: outcome.incident.id, changed: false };
      const committed = await this.store.commit({
        incident: outcome.incident,
        expectedVersion: current.version,
        entries: outcome.entries,
        pointer: { mode: 'cas', expected: current.id },
      });
      if (committed) {
        for (const listener of this.commitListeners) listener(current, outcome.incident);
        return this.committed(notification.groupKey, { ...outcome.incident, version: current.version + 1 });
      }
      this.lastCommitted.forget(notification.groupKey);
    }
    throw new Error(`Gave up merging a notification for group ${notification.groupKey} after ${MAX_COMMIT_ATTEMPTS} conflicting writes`);
  }

  /** Opens the group's first incident; the store numbers it only if no duplicate opened one first. */
  private async create(notification: AlertNotification): Promise<IngestResult | 'lost'> {
    const outcome = openIncident(UNNUMBERED, notification, this.context());
    if (!outcome) return { incidentId: undefined, changed: false };
    const created = await this.store.create({ incident: outcome.incident, entries: outcome.entries, expectedPointer: '' });
    return created ? this.committed(notification.groupKey, created) : 'lost';
  }

  private committed(groupKey: string, incident: Incident): IngestResult {
    this.lastCommitted.remember(groupKey, incident);
    this.notify(incident.id);
    return { incidentId: incident.id, changed: true };
  }

  async get(id: string): Promise<Incident> {
    const incident = await this.store.get(id);
    if (!incident) throw new IncidentNotFoundError(id);
    return incident;
  }

  timeline(id: string): Promise<TimelineEntry[]> {
    return this.store.timeline(id);
  }

  /** The first `limit` open incidents (most severe, then oldest) and how many are open in all. */
  async listOpen(limit = 20): Promise<OpenIncidents> {
    const [incidents, total] = await Promise.all([this.store.listOpen(limit), this.store.countOpen()]);
    return { incidents, total };
  }

  acknowledge(id: string, userId: string): Promise<Incident> {
    return this.change(id, (incident) => acknowledge(incident, userId, this.now()));
  }

  resolve(id: string, userId: string): Promise<Incident> {
    return this.change(id, (incident) => resolveByUser(incident, userId, this.now()));
  }

  /** The audit trail: every click and command, whatever its outcome. */
  async audit(entry: Omit<AuditEntry, 'at'>): Promise<void> {
    await this.store.audit({ at: this.now().toISOString(), ...entry });
  }

  /** A timeline entry that changes no state (someone looked, or was refused). */
  async note(incidentId: string, entry: UnstampedFact): Promise<void> {
    await this.store.appendTimeline(incidentId, [{ at: this.now().toISOString(), ...entry }]);
  }

  /**
   * Reminds once per incident that nobody acknowledged it within `afterMs`, mentioning the
   * service's on-call group. `claim` makes the reminder happen on one replica, once.
   */
  async remindUnacknowledged(
    afterMs: number,
    oncallOf: (service: string | undefined) => string | undefined,
    claim: (incidentId: string) => Promise<boolean>,
  ): Promise<number> {
    const cutoff = this.now().getTime() - afterMs;
    let reminded = 0;
    for (const incident of await this.store.listOpen(OPEN_SCAN_LIMIT)) {
      if (incident.state !== 'firing' || Date.parse(incident.openedAt) > cutoff) continue;
      if (!(await claim(incident.id))) continue;
      const oncall = oncallOf(incident.service);
      const minutes = Math.round((this.now().getTime() - Date.parse(incident.openedAt)) / 60_000);
      await this.note(incident.id, { kind: 'reminder', actor: 'bot', incidentId: incident.id, minutes, ...(oncall ? { oncall } : {}) });
      this.notify(incident.id);
      reminded += 1;
    }
    return reminded;
  }

  /** The newest open incident of a service, if any. */
  async openIncidentFor(service: string): Promise<Incident | undefined> {
    const ofService = (await this.store.listOpen(OPEN_SCAN_LIMIT)).filter((incident) => incident.service === service);
    const newer = (a: Incident, b: Incident) => a.openedAt > b.openedAt || (a.openedAt === b.openedAt && Number(a.id) > Number(b.id));
    return ofService.reduce<Incident | undefined>((newest, incident) => (!newest || newer(incident, newest) ? incident : newest), undefined);
  }

  /** An action started working on the incident. Named `{ actionId }`: the bare id, never a label like "ACT-4". */
  beginMitigation(id: string, { actionId }: { actionId: string }): Promise<Incident> {
    return this.change(id, (incident) => beginMitigation(incident, 'bot', actionId, this.now()));
  }

  endMitigation(id: string): Promise<Incident> {
    return this.change(id, (incident) => endMitigation(incident, this.now()));
  }

  /** A rollback's verification, shown on the incident: "monitoring", then the verdict (which ends the mitigation). */
  showVerification(id: string, actionId: string, verification: Verification): Promise<Incident> {
    return this.change(id, (incident) => showVerification(incident, actionId, verification, this.now()));
  }

  /** The group is silenced in Alertmanager (by a person here, or seen there). */
  showSilence(id: string, silence: IncidentSilence): Promise<Incident> {
    return this.change(id, (incident) => showSilence(incident, silence, this.now()));
  }

  /** The group's silence ended: expired by `actor`, or no longer active in Alertmanager. */
  clearSilence(id: string, actor: string): Promise<Incident> {
    return this.change(id, (incident) => clearSilence(incident, actor, this.now()));
  }

  /** No alert of the silenced group fires any more: Alertmanager will not say so itself. */
  resolveSilenced(id: string): Promise<Incident> {
    return this.change(id, (incident) => resolveSilenced(incident, ALERTMANAGER_ACTOR, this.now()));
  }

  /** `commander` leads, as `actor` said: a hand-over (`/incident commander`) replaces whoever led, `take` ("I'll lead") never does. */
  setCommander(id: string, commander: string, actor: string, how: 'handOver' | 'take' = 'handOver'): Promise<Incident> {
    return this.change(id, (incident) => (how === 'take' ? takeLead(incident, commander, this.now()) : setCommander(incident, commander, actor, this.now())));
  }

  setSeverity(id: string, severity: SeverityLevel, actor: string): Promise<Incident> {
    return this.change(id, (incident) => setSeverity(incident, severity, actor, this.now()));
  }

  /** An entry a person added (a note, a captured message), at `at` if it has its own time, else now; the incident must exist. */
  async addEntry(id: string, entry: UnstampedFact & { at?: string }): Promise<void> {
    await this.get(id);
    const stamped: FactEntry = { ...entry, at: entry.at ?? this.now().toISOString() };
    await this.store.appendTimeline(id, [stamped]);
    this.notify(id);
  }

  /** The incident's war room was created; the first recorded stays its only one. */
  recordRoom(id: string, room: IncidentRoom, actor: string): Promise<Incident> {
    return this.change(id, (incident) => recordRoom(incident, room, actor, this.now()));
  }

  archiveRoom(id: string, actor: string, goneFromSlack = false): Promise<Incident> {
    return this.change(id, (incident) => (goneFromSlack ? roomGone(incident, this.now()) : archiveRoom(incident, actor, this.now())));
  }

  /** Something outside this service (an action) added to the incident's timeline. */
  timelineChanged(id: string): void {
    this.notify(id);
  }

  /** Applies a decision; a decision of `undefined` means there is nothing to change. */
  private async change(id: string, decide: (incident: Incident) => Outcome | undefined): Promise<Incident> {
    for (let attempt = 0; attempt < MAX_COMMIT_ATTEMPTS; attempt += 1) {
      const current = await this.get(id);
      const outcome = decide(current);
      if (!outcome) return current;
      const committed = await this.store.commit({
        incident: outcome.incident,
        expectedVersion: current.version,
        entries: outcome.entries,
        pointer: { mode: 'touch' },
      });
      if (committed) {
        for (const listener of this.commitListeners) listener(current, outcome.incident);
        this.notify(id);
        return { ...outcome.incident, version: current.version + 1 };
      }
    }
    throw new Error(`Gave up changing incident ${id} after ${MAX_COMMIT_ATTEMPTS} conflicting writes`);
  }
}
