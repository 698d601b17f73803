/**
 * The incident domain: plain types and pure functions. No SDK, no I/O.
 *
 * One incident per Alertmanager group (groupKey) while it is open. Alerts are tracked by
 * fingerprint; a notification is merged into the incident and yields the timeline entries
 * it caused. A notification that changes nothing (an HA duplicate, a repeat, a retry)
 * yields `changed: false`, so nothing is written and nothing is posted.
 */
import type { WebhookPayload } from '../alerts/schema.js';
import { InvalidTransitionError } from '../errors.js';

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
  resolvedAt?: string;
  resolvedBy?: string;
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
  | 'reminder';

export interface TimelineEntry {
  at: string;
  kind: TimelineKind;
  /** `alertmanager`, or the Slack user id of the person who acted. */
  actor: string;
  text: string;
}

export const ALERTMANAGER_ACTOR = 'alertmanager';

const TRANSITIONS: Record<IncidentState, readonly IncidentState[]> = {
  firing: ['acknowledged', 'mitigating', 'resolved'],
  acknowledged: ['mitigating', 'resolved'],
  mitigating: ['acknowledged', 'resolved'],
  resolved: ['firing'],
};

export function canTransition(from: IncidentState, to: IncidentState): boolean {
  return TRANSITIONS[from].includes(to);
}

export interface NotificationContext {
  now: Date;
  serviceLabel: string;
  /** Where a new incident of this service is posted. */
  channelFor: (service: string | undefined) => string;
}

export interface Outcome {
  incident: Incident;
  entries: TimelineEntry[];
  changed: boolean;
}

const SEVERITY_RANK: Record<string, number> = { critical: 4, page: 4, error: 3, high: 3, warning: 2, medium: 2, info: 1, low: 1 };

export function firingAlerts(incident: Incident): TrackedAlert[] {
  return Object.values(incident.alerts).filter((a) => a.status === 'firing');
}

/** The most severe `severity` label among firing alerts (or all alerts once resolved). */
export function severityOf(incident: Incident): string {
  const firing = firingAlerts(incident);
  const pool = firing.length > 0 ? firing : Object.values(incident.alerts);
  let best = 'unknown';
  for (const alert of pool) {
    const severity = alert.labels.severity;
    if (severity && (SEVERITY_RANK[severity] ?? 0) > (SEVERITY_RANK[best] ?? -1)) best = severity;
  }
  return best;
}

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
  return (
    incident.commonAnnotations.summary ??
    first?.annotations.summary ??
    incident.commonAnnotations.description ??
    first?.annotations.description ??
    ''
  );
}

function toTracked(alert: WebhookPayload['alerts'][number]): TrackedAlert {
  return {
    fingerprint: alert.fingerprint,
    status: alert.status,
    labels: alert.labels,
    annotations: alert.annotations,
    startsAt: alert.startsAt,
    endsAt: alert.endsAt,
    generatorURL: alert.generatorURL,
  };
}

function sameAlert(a: TrackedAlert, b: TrackedAlert): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

function alertName(alert: TrackedAlert): string {
  const where = alert.labels.instance ? ` on ${alert.labels.instance}` : '';
  return `${alert.labels.alertname ?? 'alert'}${where}`;
}

/**
 * Decides what one alert of a notification means against what is stored.
 * A resolved alert only fires again with a later startsAt: an older "firing" is a
 * delayed delivery from the other Alertmanager of an HA pair, not a new problem.
 */
function mergeAlert(prev: TrackedAlert | undefined, next: TrackedAlert): { alert: TrackedAlert; kind?: TimelineKind } {
  if (!prev) return { alert: next, ...(next.status === 'firing' ? { kind: 'alert_firing' as const } : {}) };
  if (prev.status === 'firing' && next.status === 'resolved') return { alert: next, kind: 'alert_resolved' };
  if (prev.status === 'resolved' && next.status === 'firing') {
    return Date.parse(next.startsAt) > Date.parse(prev.startsAt) ? { alert: next, kind: 'alert_firing' } : { alert: prev };
  }
  return { alert: next };
}

function describeAlerts(kind: 'alert_firing' | 'alert_resolved', alerts: TrackedAlert[]): string {
  const names = alerts.slice(0, 5).map(alertName).join(', ');
  const more = alerts.length > 5 ? ` and ${alerts.length - 5} more` : '';
  const verb = kind === 'alert_firing' ? 'firing' : 'resolved';
  return `${alerts.length} alert${alerts.length === 1 ? '' : 's'} ${verb}: ${names}${more}`;
}

export function serviceOf(payload: WebhookPayload, serviceLabel: string): string | undefined {
  return (
    payload.commonLabels[serviceLabel] ??
    payload.groupLabels[serviceLabel] ??
    payload.alerts.find((a) => a.labels[serviceLabel])?.labels[serviceLabel]
  );
}

/** A notification with nothing firing never opens an incident (a late "resolved" for an expired one). */
export function hasFiring(payload: WebhookPayload): boolean {
  return payload.alerts.some((a) => a.status === 'firing');
}

/** Opens a new incident from a notification; undefined when nothing in it is firing. */
export function openIncident(id: string, payload: WebhookPayload, ctx: NotificationContext): Outcome | undefined {
  if (!hasFiring(payload)) return undefined;
  const service = serviceOf(payload, ctx.serviceLabel);
  const at = ctx.now.toISOString();
  const blank: Incident = {
    id,
    version: 0,
    groupKey: payload.groupKey,
    state: 'firing',
    service,
    channel: ctx.channelFor(service),
    groupLabels: payload.groupLabels,
    commonAnnotations: payload.commonAnnotations,
    externalURL: payload.externalURL,
    alerts: {},
    truncatedAlerts: payload.truncatedAlerts,
    openedAt: at,
    updatedAt: at,
  };
  const merged = applyNotification(blank, payload, ctx);
  const firing = firingAlerts(merged.incident);
  const opened: TimelineEntry = {
    at,
    kind: 'opened',
    actor: ALERTMANAGER_ACTOR,
    text: `Incident opened for ${service ?? 'an unlabelled service'}: ${describeAlerts('alert_firing', firing)}`,
  };
  return { incident: merged.incident, entries: [opened], changed: true };
}

/** Merges a notification into an existing incident (reopening it when something fires again). */
export function applyNotification(current: Incident, payload: WebhookPayload, ctx: NotificationContext): Outcome {
  const at = ctx.now.toISOString();
  const alerts = { ...current.alerts };
  const fired: TrackedAlert[] = [];
  const resolved: TrackedAlert[] = [];
  let changed = false;

  for (const raw of payload.alerts) {
    const next = toTracked(raw);
    const prev = alerts[next.fingerprint];
    const { alert, kind } = mergeAlert(prev, next);
    if (prev && sameAlert(prev, alert)) continue;
    alerts[next.fingerprint] = alert;
    changed = true;
    if (kind === 'alert_firing') fired.push(alert);
    if (kind === 'alert_resolved') resolved.push(alert);
  }
  if (payload.truncatedAlerts !== current.truncatedAlerts) changed = true;
  if (!changed) return { incident: current, entries: [], changed: false };

  const incident: Incident = {
    ...current,
    alerts,
    truncatedAlerts: payload.truncatedAlerts,
    commonAnnotations: payload.commonAnnotations,
    externalURL: payload.externalURL || current.externalURL,
    updatedAt: at,
  };
  const entries: TimelineEntry[] = [];
  const isNew = current.version === 0;
  if (!isNew && fired.length > 0) entries.push({ at, kind: 'alert_firing', actor: ALERTMANAGER_ACTOR, text: describeAlerts('alert_firing', fired) });
  if (resolved.length > 0) entries.push({ at, kind: 'alert_resolved', actor: ALERTMANAGER_ACTOR, text: describeAlerts('alert_resolved', resolved) });

  const stillFiring = firingAlerts(incident).length;
  if (current.state === 'resolved' && fired.length > 0) {
    incident.state = 'firing';
    delete incident.resolvedAt;
    delete incident.resolvedBy;
    delete incident.acknowledgedBy;
    entries.push({ at, kind: 'reopened', actor: ALERTMANAGER_ACTOR, text: 'Incident reopened: alerts are firing again' });
  } else if (current.state !== 'resolved' && stillFiring === 0) {
    incident.state = 'resolved';
    incident.resolvedAt = at;
    incident.resolvedBy = ALERTMANAGER_ACTOR;
    entries.push({ at, kind: 'resolved', actor: ALERTMANAGER_ACTOR, text: 'Incident resolved: every alert of the group has resolved' });
  }
  return { incident, entries, changed: true };
}

function transition(current: Incident, to: IncidentState, now: Date): Incident {
  if (!canTransition(current.state, to)) {
    throw new InvalidTransitionError(`Incident ${current.id} is ${current.state}; it cannot become ${to}`);
  }
  return { ...current, state: to, updatedAt: now.toISOString() };
}

export function acknowledge(current: Incident, userId: string, now: Date): Outcome {
  if (current.state === 'acknowledged') {
    throw new InvalidTransitionError(`Incident ${current.id} is already acknowledged by <@${current.acknowledgedBy}>`);
  }
  const incident = { ...transition(current, 'acknowledged', now), acknowledgedBy: userId };
  return {
    incident,
    entries: [{ at: now.toISOString(), kind: 'acknowledged', actor: userId, text: `Acknowledged by <@${userId}>` }],
    changed: true,
  };
}

/** An action (a rollback) started working on the incident. */
export function beginMitigation(current: Incident, actor: string, note: string, now: Date): Outcome | undefined {
  if (current.state === 'mitigating' || current.state === 'resolved') return undefined;
  return { incident: transition(current, 'mitigating', now), entries: [{ at: now.toISOString(), kind: 'command', actor, text: note }], changed: true };
}

/** The action ended; the incident waits for its alerts (or a person) to resolve it. */
export function endMitigation(current: Incident, now: Date): Outcome | undefined {
  if (current.state !== 'mitigating') return undefined;
  return { incident: transition(current, 'acknowledged', now), entries: [], changed: true };
}

export function resolveByUser(current: Incident, userId: string, now: Date): Outcome {
  const incident = { ...transition(current, 'resolved', now), resolvedAt: now.toISOString(), resolvedBy: userId };
  const stillFiring = firingAlerts(current).length;
  const note = stillFiring > 0 ? ` (${stillFiring} alert${stillFiring === 1 ? ' is' : 's are'} still firing in Alertmanager)` : '';
  return {
    incident,
    entries: [{ at: now.toISOString(), kind: 'resolved', actor: userId, text: `Resolved by <@${userId}>${note}` }],
    changed: true,
  };
}

/** Accepts "17", "#17" or "INC-17"; returns the bare id. */
export function parseIncidentId(text: string): string | undefined {
  const match = /^(?:#|inc-)?(\d{1,12})$/i.exec(text.trim());
  return match?.[1] === undefined ? undefined : String(Number(match[1]));
}

export function displayId(id: string): string {
  return `INC-${id}`;
}
