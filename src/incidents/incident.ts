/**
 * The incident model: plain types, the facts its timeline records, and pure queries.
 * No SDK, no I/O, no words for people (src/slack/render writes those).
 *
 * One incident per Alertmanager group (groupKey) while it is open; notification.ts merges
 * notifications into it and transitions.ts moves its state.
 */
import type { TransitionRefusal } from '../errors.js';
import type { ActionStep } from '../timeline/action-step.js';
import type { Verification } from '../verify/rollback-verification.js';

export type IncidentState = 'firing' | 'acknowledged' | 'mitigating' | 'resolved';
export type AlertStatus = 'firing' | 'resolved';

export interface TrackedAlert {
  fingerprint: string;
  status: AlertStatus;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  endsAt: string;
  generatorURL: string;
}

export interface Incident {
  id: string;
  version: number;
  groupKey: string;
  state: IncidentState;
  service: string | undefined;
  channel: string;
  groupLabels: Record<string, string>;
  commonAnnotations: Record<string, string>;
  externalURL: string;
  alerts: Record<string, TrackedAlert>;
  truncatedAlerts: number;
  openedAt: string;
  updatedAt: string;
  acknowledgedBy?: string;
  /** When it was first acknowledged; kept through later changes of state, for time to acknowledge. */
  acknowledgedAt?: string;
  resolvedAt?: string;
  resolvedBy?: string;
  /** When it first resolved; kept through a reopen, so its time to resolve is counted once. */
  firstResolvedAt?: string;
  /** The latest verification of a rollback of this incident's service: "monitoring" while it runs, then its verdict. */
  verification?: Verification & { actionId: string };
  /** The Alertmanager silence over this incident's group, while one is active. */
  silence?: IncidentSilence;
  /** Who leads the response (a Slack user id). */
  commander?: string;
  /** A person's override of the alerts' severity; severityOf answers it while set. */
  severityOverride?: SeverityLevel;
  /** The incident's own channel, once one is opened. */
  room?: IncidentRoom;
}

/** The severities a person may set; the ranks below know these and more. */
export type SeverityLevel = 'critical' | 'warning' | 'info';

/** A war room: a channel created for one incident, where a second copy of its message lives. */
export interface IncidentRoom {
  channel: string;
  name: string;
  /** Set once the room is no longer open: `/incident close` archived it, or Slack no longer has it (`gone`). */
  archived?: boolean;
  /** Archived or deleted by hand in Slack, or the bot removed from it: found when Slack refused a post there. */
  gone?: boolean;
}

/** A silence of the group in Alertmanager, as the incident knows it. */
export interface IncidentSilence {
  id: string;
  /** The Slack user id who made it, or `alertmanager` for one made in Alertmanager's own UI. */
  by: string;
  endsAt: string;
  /** Made "until resolved": expired by the bot when the incident resolves. */
  untilResolved: boolean;
}

export type TimelineKind =
  | 'opened'
  | 'alert_firing'
  | 'alert_resolved'
  | 'acknowledged'
  | 'resolved'
  | 'reopened'
  /** A person looked at or tried something that changed no state (kept for the audit trail). */
  | 'command'
  /** A step of an action (rollback) linked to this incident. */
  | 'action'
  /** Nobody acknowledged the incident in time; the on-call group was mentioned. */
  | 'reminder'
  /** A silence of the group made, expired, or refused. */
  | 'silence'
  /** Incident command: who leads, the severity a person set, notes, and messages captured from Slack. */
  | 'commander'
  | 'severity'
  | 'note'
  | 'captured'
  /** The incident's war room was opened or archived. */
  | 'room'
  /** A retrospective draft is due in the thread: the incident resolved, or someone asked again. */
  | 'retro'
  /** A follow-up for the retrospective; the draft filed in GitLab was edited or made. */
  | 'followup'
  | 'retro_filed';

/** An alert as a timeline entry names it. */
export interface AlertRef {
  alertname?: string;
  instance?: string;
}

/** Alerts that changed together: the first few named, and how many there were. */
export interface AlertsFact {
  alerts: AlertRef[];
  total: number;
}

/** What happened to an incident, as facts; its `kind` is the entry's kind. */
export type IncidentFact =
  | ({ kind: 'opened'; service?: string } & AlertsFact)
  | ({ kind: 'alert_firing' | 'alert_resolved' } & AlertsFact)
  | { kind: 'acknowledged' | 'reopened' }
  /** By Alertmanager when every alert resolved, or by a person while `stillFiring` alerts fire. */
  | { kind: 'resolved'; stillFiring?: number; whileSilenced?: boolean }
  | { kind: 'command'; verb: 'mitigating'; actionId: string }
  | { kind: 'command'; verb: 'viewed' }
  /** A person tried a change the incident's state did not allow (`attempted`: the button or command). */
  | { kind: 'command'; verb: 'refused'; attempted: string; refusal: TransitionRefusal }
  | { kind: 'action'; step: ActionStep }
  /** `oncall`: the service's on-call user group, when one is configured. */
  | { kind: 'reminder'; incidentId: string; oncall?: string; minutes: number }
  | SilenceFact
  | CommandFact
  /** The incident's war room was opened or archived. */
  | { kind: 'room'; verb: 'opened' | 'archived' | 'gone'; channel: string; name: string }
  | RetroFact;

/**
 * Incident command. `severity`: `previous` is what severityOf said before (an alert's label
 * or an earlier override). `captured`: a message added to the timeline; its entry's `at` and
 * `actor` are the message's own time and author, `by` who added it. (No field is named
 * `text`: an entry with one is a legacy entry, shown as the words it holds.)
 */
export type CommandFact =
  | { kind: 'commander'; commander: string; previous?: string }
  | { kind: 'severity'; severity: SeverityLevel; previous: string }
  | { kind: 'note'; note: string }
  | { kind: 'captured'; message: string; by: string; channel: string; ts: string; permalink?: string };

/**
 * `retro`: the thread owes a retrospective draft here (recorded with the resolution itself, so
 * a crash before it is posted loses nothing); `followup`: something to do after the incident;
 * `retro_filed`: the draft lives in a GitLab issue too (the iid a regenerate edits).
 */
export type RetroFact =
  | { kind: 'retro'; reason: 'resolved' | 'regenerated' }
  | { kind: 'followup'; what: string }
  | { kind: 'retro_filed'; project: string; iid: number; url: string };

/**
 * `silenced`/`unsilenced` by a person (actor: their id) or seen in Alertmanager (actor:
 * `alertmanager`); `refused`: the actor may not silence this service; `failed`: Alertmanager
 * did not do it (`reason` as it said).
 */
export type SilenceFact =
  | { kind: 'silence'; verb: 'silenced'; silenceId: string; endsAt: string; untilResolved: boolean }
  | { kind: 'silence'; verb: 'unsilenced'; silenceId: string }
  | { kind: 'silence'; verb: 'refused' }
  | { kind: 'silence'; verb: 'failed'; reason: string };

/** `actor`: `alertmanager`, `bot`, or the Slack user id of the person who acted. */
export type FactEntry = { at: string; actor: string } & IncidentFact;

/** An entry stored by a release before entries were facts: its words, as they were shown. */
export interface LegacyTimelineEntry {
  at: string;
  kind: TimelineKind;
  actor: string;
  text: string;
}

export type TimelineEntry = FactEntry | LegacyTimelineEntry;

/** A fact about to be written, before it is stamped with the time. */
export type UnstampedFact = { actor: string } & IncidentFact;

export const ALERTMANAGER_ACTOR = 'alertmanager';

/** What a decision on an incident comes to: the incident after it, and the facts to record. */
export interface Outcome {
  incident: Incident;
  entries: FactEntry[];
  changed: boolean;
}

const SEVERITY_RANK: Record<string, number> = { critical: 4, page: 4, error: 3, high: 3, warning: 2, medium: 2, info: 1, low: 1 };

export function firingAlerts(incident: Incident): TrackedAlert[] {
  return Object.values(incident.alerts).filter((a) => a.status === 'firing');
}

/** A person's override, else the most severe `severity` label among firing alerts (or all alerts once resolved). */
export function severityOf(incident: Incident): string {
  if (incident.severityOverride) return incident.severityOverride;
  const firing = firingAlerts(incident);
  const pool = firing.length > 0 ? firing : Object.values(incident.alerts);
  let best = 'unknown';
  for (const alert of pool) {
    const severity = alert.labels.severity;
    if (severity && (SEVERITY_RANK[severity] ?? 0) > (SEVERITY_RANK[best] ?? -1)) best = severity;
  }
  return best;
}

/** The most severe firing alert's rank: 0 when no alert says, up to MAX_SEVERITY_RANK. */
export function severityRank(incident: Incident): number {
  return SEVERITY_RANK[severityOf(incident)] ?? 0;
}

export const MAX_SEVERITY_RANK = 4;

/** When the problem began: the earliest startsAt among the alerts, else when the incident opened. */
export function startedAt(incident: Incident): string {
  const starts = Object.values(incident.alerts)
    .map((a) => a.startsAt)
    .filter((t) => Number.isFinite(Date.parse(t)))
    .sort((a, b) => Date.parse(a) - Date.parse(b));
  return starts[0] ?? incident.openedAt;
}

export function titleOf(incident: Incident): string {
  const first = Object.values(incident.alerts)[0];
  return incident.groupLabels.alertname ?? first?.labels.alertname ?? 'Alert';
}

export function summaryOf(incident: Incident): string {
  const first = firingAlerts(incident)[0] ?? Object.values(incident.alerts)[0];
  return incident.commonAnnotations.summary ?? first?.annotations.summary ?? incident.commonAnnotations.description ?? first?.annotations.description ?? '';
}

/** Accepts "17", "#17" or "INC-17"; returns the bare id. */
export function parseIncidentId(text: string): string | undefined {
  const match = /^(?:#|inc-)?(\d{1,12})$/i.exec(text.trim());
  return match?.[1] === undefined ? undefined : String(Number(match[1]));
}

export function displayId(id: string): string {
  return `INC-${id}`;
}
