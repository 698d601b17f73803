import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { WebhookPayload } from '../../src/alerts/schema.js';

const here = dirname(fileURLToPath(import.meta.url));

/** Bodies captured from a real Alertmanager 0.25, kept in the repo beside the tests. */
export function fixture(name: 'alertmanager-0.25-firing' | 'alertmanager-0.25-resolved'): WebhookPayload {
  return JSON.parse(readFileSync(join(here, '..', 'fixtures', `${name}.json`), 'utf8')) as WebhookPayload;
}

let counter = 0;

/** A notification like Alertmanager's, for a group of `firing`/`resolved` alerts. */
export function notification(opts: {
  group?: string;
  service?: string;
  alerts: Array<{
    fingerprint: string;
    status?: 'firing' | 'resolved';
    startsAt?: string;
    instance?: string;
    severity?: string;
    summary?: string;
    /** More labels, as node_exporter's alerts carry (mountpoint, device, …). */
    labels?: Record<string, string>;
  }>;
}): WebhookPayload {
  counter += 1;
  const service = opts.service ?? 'payment-service';
  const alertname = opts.group ?? 'HighErrorRate';
  const alerts = opts.alerts.map((a) => ({
    status: a.status ?? 'firing',
    labels: { alertname, service, severity: a.severity ?? 'critical', ...(a.instance ? { instance: a.instance } : {}), ...a.labels },
    annotations: { summary: a.summary ?? `${alertname} on ${service}`, runbook_url: 'https://runbooks.example.com/x' },
    startsAt: a.startsAt ?? '2026-11-21T23:15:32.666Z',
    endsAt: a.status === 'resolved' ? '2026-11-21T23:30:00Z' : '0001-01-01T00:00:00Z',
    generatorURL: 'http://prometheus.example.com/graph?g0.expr=x',
    fingerprint: a.fingerprint,
  }));
  return {
    version: '4',
    groupKey: `{}:{alertname="${alertname}", service="${service}"}`,
    truncatedAlerts: 0,
    status: alerts.some((a) => a.status === 'firing') ? 'firing' : 'resolved',
    receiver: 'bot',
    groupLabels: { alertname, service },
    commonLabels: { alertname, service },
    commonAnnotations: {},
    externalURL: 'http://alertmanager.example.com:9093',
    alerts,
  };
}

export const uniqueGroup = () => {
  counter += 1;
  return `Test${Date.now()}${counter}`;
};
