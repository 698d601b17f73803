/**
 * How an alert notification merges into an incident. Pure: no SDK, no I/O.
 *
 * Alerts are tracked by fingerprint; a notification yields the facts it caused. One that
 * changes nothing (an HA duplicate, a repeat, a retry) yields `changed: false`, so nothing
 * is written and nothing is posted.
 */
import { retroDue } from './retro.js';
import { ALERTMANAGER_ACTOR, firingAlerts, type AlertsFact, type FactEntry, type Incident, type Outcome, type TrackedAlert } from './incident.js';

/** What an incident needs of a notification, whoever sent it (src/alerts maps Alertmanager's to it). */
export interface AlertNotification {
  /** Alerts of one group share one incident while it is open. */
  groupKey: string;
  /** Alerts the sender left out of this notification. */
  truncatedAlerts: number;
  groupLabels: Record<string, string>;
  commonLabels: Record<string, string>;
  commonAnnotations: Record<string, string>;
  externalURL: string;
  alerts: readonly TrackedAlert[];
}

export interface NotificationContext {
  now: Date;
  serviceLabel: string;
  /** Where a new incident of this service is posted. */
  channelFor: (service: string | undefined) => string;
}

/** How many alerts a timeline entry names; the rest are counted. */
const NAMED_ALERTS = 5;

/** A copy in a fixed key order: stored alerts are compared by their JSON. */
export function toTracked(alert: TrackedAlert): TrackedAlert {
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

function alertsFact(alerts: readonly TrackedAlert[]): AlertsFact {
  return {
    alerts: alerts.slice(0, NAMED_ALERTS).map(({ labels: { alertname, instance } }) => ({
      ...(alertname === undefined ? {} : { alertname }),
      ...(instance ? { instance } : {}),
    })),
    total: alerts.length,
  };
}

/**
 * Decides what one alert of a notification means against what is stored.
 * A resolved alert only fires again with a later startsAt: an older "firing" is a
 * delayed delivery from the other Alertmanager of an HA pair, not a new problem.
 */
function mergeAlert(prev: TrackedAlert | undefined, next: TrackedAlert): { alert: TrackedAlert; kind?: 'alert_firing' | 'alert_resolved' } {
  if (!prev) return { alert: next, ...(next.status === 'firing' ? { kind: 'alert_firing' as const } : {}) };
  if (prev.status === 'firing' && next.status === 'resolved') return { alert: next, kind: 'alert_resolved' };
  if (prev.status === 'resolved' && next.status === 'firing') {
    return Date.parse(next.startsAt) > Date.parse(prev.startsAt) ? { alert: next, kind: 'alert_firing' } : { alert: prev };
  }
  return { alert: next };
}

export function serviceOf(notification: AlertNotification, serviceLabel: string): string | undefined {
  return (
    notification.commonLabels[serviceLabel] ??
    notification.groupLabels[serviceLabel] ??
    notification.alerts.find((a) => a.labels[serviceLabel])?.labels[serviceLabel]
  );
}

/** A notification with nothing firing never opens an incident (a late "resolved" for an expired one). */
export function hasFiring(notification: AlertNotification): boolean {
  return notification.alerts.some((a) => a.status === 'firing');
}

/** Opens a new incident from a notification; undefined when nothing in it is firing. */
export function openIncident(id: string, notification: AlertNotification, ctx: NotificationContext): Outcome | undefined {
  if (!hasFiring(notification)) return undefined;
  const service = serviceOf(notification, ctx.serviceLabel);
  const at = ctx.now.toISOString();
  const blank: Incident = {
    id,
    version: 0,
    groupKey: notification.groupKey,
    state: 'firing',
    service,
    channel: ctx.channelFor(service),
    groupLabels: notification.groupLabels,
    commonAnnotations: notification.commonAnnotations,
    externalURL: notification.externalURL,
    alerts: {},
    truncatedAlerts: notification.truncatedAlerts,
    openedAt: at,
    updatedAt: at,
  };
  const merged = applyNotification(blank, notification, ctx);
  const opened: FactEntry = {
    at,
    kind: 'opened',
    actor: ALERTMANAGER_ACTOR,
    ...(service === undefined ? {} : { service }),
    ...alertsFact(firingAlerts(merged.incident)),
  };
  return { incident: merged.incident, entries: [opened], changed: true };
}

/** Merges a notification into an existing incident (reopening it when something fires again). */
export function applyNotification(current: Incident, notification: AlertNotification, ctx: NotificationContext): Outcome {
  const at = ctx.now.toISOString();
  const alerts = { ...current.alerts };
  const fired: TrackedAlert[] = [];
  const resolved: TrackedAlert[] = [];
  let changed = false;

  for (const raw of notification.alerts) {
    const next = toTracked(raw);
    const prev = alerts[next.fingerprint];
    const { alert, kind } = mergeAlert(prev, next);
    if (prev && sameAlert(prev, alert)) continue;
    alerts[next.fingerprint] = alert;
    changed = true;
    if (kind === 'alert_firing') fired.push(alert);
    if (kind === 'alert_resolved') resolved.push(alert);
  }
  if (notification.truncatedAlerts !== current.truncatedAlerts) changed = true;
  if (!changed) return { incident: current, entries: [], changed: false };

  const incident: Incident = {
    ...current,
    alerts,
    truncatedAlerts: notification.truncatedAlerts,
    commonAnnotations: notification.commonAnnotations,
    externalURL: notification.externalURL || current.externalURL,
    updatedAt: at,
  };
  const entries: FactEntry[] = [];
  const isNew = current.version === 0;
  if (!isNew && fired.length > 0) entries.push({ at, kind: 'alert_firing', actor: ALERTMANAGER_ACTOR, ...alertsFact(fired) });
  if (resolved.length > 0) entries.push({ at, kind: 'alert_resolved', actor: ALERTMANAGER_ACTOR, ...alertsFact(resolved) });

  const stillFiring = firingAlerts(incident).length;
  if (current.state === 'resolved' && fired.length > 0) {
    incident.state = 'firing';
    delete incident.resolvedAt;
    delete incident.resolvedBy;
    delete incident.acknowledgedBy;
    entries.push({ at, kind: 'reopened', actor: ALERTMANAGER_ACTOR });
  } else if (current.state !== 'resolved' && stillFiring === 0) {
    incident.state = 'resolved';
    incident.resolvedAt = at;
    incident.resolvedBy = ALERTMANAGER_ACTOR;
    incident.firstResolvedAt ??= at;
    entries.push({ at, kind: 'resolved', actor: ALERTMANAGER_ACTOR }, ...retroDue(current, at));
  }
  return { incident, entries, changed: true };
}
