/**
 * Incidents and actions as the stores keep them, built whole so a test states only what it
 * is about. Plain data: no Slack, no Redis.
 */
import type { Action } from '../../src/actions/action.js';
import type { Incident, TimelineEntry } from '../../src/incidents/incident.js';

export function incidentDoc(overrides: Partial<Incident> = {}): Incident {
  const id = overrides.id ?? '1';
  return {
    id,
    version: 0,
    groupKey: `{}:{alertname="HighErrorRate", group="${id}"}`,
    state: 'firing',
    service: 'payment-service',
    channel: 'C0PAYMENTS',
    groupLabels: { alertname: 'HighErrorRate' },
    commonAnnotations: {},
    externalURL: 'http://alertmanager.example.com:9093',
    alerts: {
      [`${id}-a`]: {
        fingerprint: `${id}-a`,
        status: 'firing',
        labels: { alertname: 'HighErrorRate', service: 'payment-service' },
        annotations: { summary: 'error rate over 5%' },
        startsAt: '2026-11-21T23:15:32.666Z',
        endsAt: '0001-01-01T00:00:00Z',
        generatorURL: 'http://prometheus.example.com/graph?g0.expr=x',
      },
    },
    truncatedAlerts: 0,
    openedAt: '2026-11-22T10:00:00.000Z',
    updatedAt: '2026-11-22T10:00:00.000Z',
    ...overrides,
  };
}

export function actionDoc(overrides: Partial<Action> = {}): Action {
  const service = overrides.service ?? 'payment-service';
  return {
    id: '1',
    version: 0,
    kind: 'rollback',
    service,
    plan: { executor: 'gitlab', service, title: `roll back ${service}`, summary: ['environment: production'], params: { project: 'shop/payment-service' } },
    state: 'requested',
    requestedBy: 'U0ALICE',
    reason: 'error rate doubled',
    requestedAt: '2026-11-22T10:00:00.000Z',
    expiresAt: '2026-11-22T10:15:00.000Z',
    approvalsRequired: 1,
    approvedBy: [],
    forced: false,
    channel: 'C0PAYMENTS',
    ...overrides,
  };
}

/** A timeline entry in the words every release has stored. */
export function entry(kind: TimelineEntry['kind'], text: string, actor = 'alertmanager'): TimelineEntry {
  return { at: '2026-11-22T10:00:00.000Z', kind, actor, text };
}

/** The words an entry stored in words carries (the stores keep entries as they were written). */
export function wordsOf(entry: object): string | undefined {
  return 'text' in entry && typeof entry.text === 'string' ? entry.text : undefined;
}
