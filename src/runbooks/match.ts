/**
 * Which runbooks apply to an alert or an incident. Pure: no I/O, no SDK.
 */
import type { TrackedAlert } from '../incidents/incident.js';
import { anchoredRegex } from './regex.js';
import type { LabelMatcher, Runbook, RunbookActionKind } from './schema.js';

/** What matching needs of an alert. */
export type AlertLabels = Pick<TrackedAlert, 'status' | 'labels'>;

/** What matching needs of an incident: its alerts (an Incident fits as it is). */
export interface IncidentAlerts {
  alerts: Readonly<Record<string, AlertLabels>> | readonly AlertLabels[];
}

/** One button an incident's message can offer. */
export interface RunbookActionRef {
  runbookId: string;
  actionId: string;
  /** The button label. */
  title: string;
  kind: RunbookActionKind;
  /** Text for a confirmation dialog, when the runbook asks for one. */
  confirm?: string;
  /**
   * rollback only: the service to roll back. The action's own `service`, else the one value
   * of the service label among the matching alerts; undefined when they name none or several,
   * and then the actions layer must ask or refuse rather than guess.
   */
  service?: string;
}

export interface MatchOptions {
  /** The alert label that names the service (SERVICE_LABEL). Default: `service`. */
  serviceLabel?: string;
}

/**
 * As in Prometheus, a label the alert does not have has the value "". Own labels only: an
 * alert without a `constructor` label must not lend it Object's.
 */
function labelValue(labels: Readonly<Record<string, string>>, name: string): string {
  return (Object.hasOwn(labels, name) ? labels[name] : undefined) ?? '';
}

export function matcherHolds(matcher: LabelMatcher, labels: Readonly<Record<string, string>>): boolean {
  const value = labelValue(labels, matcher.label);
  return 'regex' in matcher ? anchoredRegex(matcher.regex).test(value) : value === matcher.equals;
}

/** True when every matcher of the runbook holds for these labels (AND). */
export function runbookMatches(runbook: Runbook, labels: Readonly<Record<string, string>>): boolean {
  return runbook.match.every((matcher) => matcherHolds(matcher, labels));
}

/** The runbooks whose matchers all hold for these labels, in the given order. */
export function matchingRunbooks(runbooks: readonly Runbook[], labels: Readonly<Record<string, string>>): Runbook[] {
  return runbooks.filter((runbook) => runbookMatches(runbook, labels));
}

/** The alerts an incident is matched on: the firing ones, or all of them when none fires. */
function alertPool(incident: IncidentAlerts): AlertLabels[] {
  const all = Object.values(incident.alerts);
  const firing = all.filter((alert) => alert.status === 'firing');
  return firing.length > 0 ? firing : all;
}

/**
 * The runbook actions an incident offers: a runbook applies when any of the incident's
 * firing alerts (or, when none fires, any of its alerts) satisfies all its matchers.
 * Each (runbook, action) appears once, in runbook order and then action order.
 */
export function runbookActionsFor(runbooks: readonly Runbook[], incident: IncidentAlerts, options: MatchOptions = {}): RunbookActionRef[] {
  const serviceLabel = options.serviceLabel ?? 'service';
  const pool = alertPool(incident);
  const refs: RunbookActionRef[] = [];
  const seen = new Set<string>();
  for (const runbook of runbooks) {
    const matched = matchingIn(runbook, pool);
    if (matched.length === 0) continue;
    for (const action of runbook.actions) {
      const key = JSON.stringify([runbook.id, action.id]);
      if (seen.has(key)) continue;
      seen.add(key);
      const ref: RunbookActionRef = { runbookId: runbook.id, actionId: action.id, title: action.title, kind: action.kind };
      if (action.confirm !== undefined) ref.confirm = action.confirm;
      if (action.kind === 'rollback') {
        const service = action.service ?? onlyValue(matched, serviceLabel);
        if (service !== undefined) ref.service = service;
      }
      refs.push(ref);
    }
  }
  return refs;
}

/** The alerts of the incident a runbook applies to (firing ones first, as for buttons). */
export function matchedAlerts(runbook: Runbook, incident: IncidentAlerts): AlertLabels[] {
  return matchingIn(runbook, alertPool(incident));
}

function matchingIn(runbook: Runbook, pool: readonly AlertLabels[]): AlertLabels[] {
  return pool.filter((alert) => runbookMatches(runbook, alert.labels));
}

/** The labels every one of the alerts has with the same value, as Alertmanager's commonLabels. */
export function commonLabels(alerts: readonly AlertLabels[]): Record<string, string> {
  const [first, ...rest] = alerts;
  if (!first) return {};
  return Object.fromEntries(Object.entries(first.labels).filter(([name, value]) => rest.every((alert) => alert.labels[name] === value)));
}

/** The labels some of the alerts have and others lack or have with another value, sorted. */
export function disagreeingLabels(alerts: readonly AlertLabels[]): string[] {
  const common = commonLabels(alerts);
  const names = new Set(alerts.flatMap((alert) => Object.keys(alert.labels)));
  return [...names].filter((name) => !Object.hasOwn(common, name)).sort();
}

/** The one non-empty value of `label` among the alerts, or undefined for none or several. */
export function onlyValue(alerts: readonly AlertLabels[], label: string): string | undefined {
  const values = new Set(alerts.map((alert) => labelValue(alert.labels, label)).filter((value) => value !== ''));
  return values.size === 1 ? [...values][0] : undefined;
}
