/**
 * The sample alerts the page fires, as Alertmanager 0.25 sends them: each body is the
 * notification a real Alertmanager sent (alertmanager-0.25-firing.json, beside this file)
 * with its labels and annotations changed. A resolve sends every group fired so far again,
 * resolved, as Alertmanager does with send_resolved.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';

const RECORDED = JSON.parse(readFileSync(new URL('./alertmanager-0.25-firing.json', import.meta.url), 'utf8')) as Record<string, unknown>;
const ZERO_TIME = '0001-01-01T00:00:00Z';

export interface SampleAlert {
  labels: Record<string, string>;
  summary: string;
}

/** One alert group: the labels Alertmanager grouped by (alertname, service, and the instance for some) and its alerts. */
export interface SampleGroup {
  by: { alertname: string; service: string; instance?: string };
  alerts: SampleAlert[];
}

export const SCENARIOS = {
  fire: {
    title: 'Fire: HighErrorRate on payment-service',
    groups: [
      {
        by: { alertname: 'HighErrorRate', service: 'payment-service' },
        alerts: [{ labels: { severity: 'critical', instance: 'pay-1' }, summary: '5xx rate > 5% on payment-service since the last deploy' }],
      },
    ],
  },
  storm: {
    title: 'Storm: 8 alert groups at once',
    groups: [
      ...['checkout-1', 'checkout-2', 'checkout-3'].map((instance) => ({
        by: { alertname: 'InstanceDown', service: 'checkout', instance },
        alerts: [{ labels: { severity: 'critical', instance }, summary: `${instance} has not answered scrapes for 2 minutes` }],
      })),
      {
        by: { alertname: 'HighLatency', service: 'checkout' },
        alerts: ['checkout-1', 'checkout-2', 'checkout-3'].map((instance) => ({
          labels: { severity: 'warning', instance },
          summary: `p99 latency above 800ms on ${instance}`,
        })),
      },
      ...['db-1', 'db-2', 'cache-1', 'batch-1'].map((instance) => ({
        by: { alertname: 'DiskFilling', service: 'storage', instance },
        alerts: [{ labels: { severity: 'warning', instance }, summary: `/var on ${instance} will be full within 4 hours` }],
      })),
    ],
  },
} satisfies Record<string, { title: string; groups: SampleGroup[] }>;

export type ScenarioName = keyof typeof SCENARIOS | 'resolve';

function fingerprint(labels: Record<string, string>): string {
  return createHash('sha256')
    .update(JSON.stringify(Object.entries(labels).sort()))
    .digest('hex')
    .slice(0, 16);
}

/** The webhook body Alertmanager sends for `group`, firing or resolved. */
export function notificationOf(group: SampleGroup, status: 'firing' | 'resolved', startsAt: string, now: Date = new Date()): Record<string, unknown> {
  const groupLabels: Record<string, string> = { ...group.by };
  const alerts = group.alerts.map((alert) => {
    const labels = { ...groupLabels, env: 'prod', ...alert.labels };
    return {
      status,
      labels,
      annotations: { summary: alert.summary, runbook_url: `https://runbooks.example.com/${group.by.service}` },
      startsAt,
      endsAt: status === 'resolved' ? now.toISOString() : ZERO_TIME,
      generatorURL: 'http://prometheus.example.com/graph?g0.expr=demo',
      fingerprint: fingerprint(labels),
    };
  });
  const common = alerts.length === 1 ? alerts[0] : undefined;
  const commonLabels = common ? common.labels : { ...groupLabels, env: 'prod' };
  return {
    ...RECORDED,
    status,
    alerts,
    groupLabels,
    commonLabels,
    commonAnnotations: common ? common.annotations : {},
    groupKey: `{}:{${Object.entries(groupLabels)
      .map(([name, value]) => `${name}="${value}"`)
      .join(', ')}}`,
    truncatedAlerts: 0,
  };
}
