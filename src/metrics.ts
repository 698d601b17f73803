import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { IncidentState } from './incidents/incident.js';

export interface GaugeSources {
  queueDepth: () => number;
  openByState: () => Promise<Record<IncidentState, number>>;
}

/** People answer in minutes and fix in minutes to hours: 30 s up to a day. */
const RESPONSE_BUCKETS = [30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 14_400, 28_800, 86_400];

/** One registry per app instance, so that tests can run several apps in one process. */
export function createMetrics() {
  const registry = new Registry();
  // Gauges are read from their sources at scrape time; the sources are bound once wired.
  let sources: GaugeSources | undefined;
  // Standard names (process_*, nodejs_*), so that stock dashboards and alerts find them.
  collectDefaultMetrics({ register: registry });
  const metrics = {
    registry,
    alertsReceived: new Counter({
      name: 'chatops_alerts_received_total',
      help: 'Alerts received in Alertmanager notifications, by alert status',
      labelNames: ['status'] as const,
      registers: [registry],
    }),
    webhookRequests: new Counter({
      name: 'chatops_webhook_requests_total',
      help: 'POST /alertmanager requests, by HTTP status code',
      labelNames: ['code'] as const,
      registers: [registry],
    }),
    webhookDuration: new Histogram({
      name: 'chatops_webhook_duration_seconds',
      help: 'Time to answer POST /alertmanager, by HTTP status code',
      labelNames: ['code'] as const,
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    }),
    slackCalls: new Counter({
      name: 'chatops_slack_api_calls_total',
      help: 'Slack Web API calls, by method and outcome (ok, rate_limited, transient, failed)',
      labelNames: ['method', 'outcome'] as const,
      registers: [registry],
    }),
    fleetHostRuns: new Counter({
      name: 'chatops_fleet_host_runs_total',
      help: 'Fleet commands run on a host (dry runs not counted), by outcome (ok, failed)',
      labelNames: ['outcome'] as const,
      registers: [registry],
    }),
    fleetRollouts: new Counter({
      name: 'chatops_fleet_rollouts_total',
      help: 'Fleet rollouts that ended, by how (succeeded, succeeded_with_failures, halted, paused)',
      labelNames: ['end'] as const,
      registers: [registry],
    }),
    timeToAcknowledge: new Histogram({
      name: 'chatops_incident_time_to_acknowledge_seconds',
      help: 'Seconds from an incident opening to its first acknowledgement, observed once per incident, by service and severity',
      labelNames: ['service', 'severity'] as const,
      buckets: RESPONSE_BUCKETS,
      registers: [registry],
    }),
    timeToResolve: new Histogram({
      name: 'chatops_incident_time_to_resolve_seconds',
      help: 'Seconds from an incident opening to its first resolution, observed once per incident, by service and severity',
      labelNames: ['service', 'severity'] as const,
      buckets: RESPONSE_BUCKETS,
      registers: [registry],
    }),
    slackDropped: new Counter({
      name: 'chatops_slack_deliveries_dropped_total',
      help: 'Slack deliveries given up after their last attempt or a permanent error',
      registers: [registry],
    }),
    slackQueueDepth: new Gauge({
      name: 'chatops_slack_queue_depth',
      help: 'Slack deliveries pending or in flight',
      registers: [registry],
      collect() {
        if (sources) this.set(sources.queueDepth());
      },
    }),
    incidentsByState: new Gauge({
      name: 'chatops_incidents',
      help: 'Open incidents by state, read from Redis at scrape time',
      labelNames: ['state'] as const,
      registers: [registry],
      async collect() {
        if (!sources) return;
        const counts = await sources.openByState();
        for (const [state, count] of Object.entries(counts)) this.set({ state }, count);
      },
    }),
    bindSources(bound: GaugeSources): void {
      sources = bound;
    },
  };
  zeroKnownSeries(metrics);
  return metrics;
}

/** The label values each series is known to take: given for the series to exist from start-up. */
const KNOWN = {
  alertStatus: ['firing', 'resolved'],
  webhookCode: ['200', '400', '401', '413', '500', '503'],
  slackMethod: ['chat.postMessage', 'chat.update'],
  slackOutcome: ['ok', 'rate_limited', 'transient', 'failed'],
  hostOutcome: ['ok', 'failed'],
  rolloutEnd: ['succeeded', 'succeeded_with_failures', 'halted', 'paused'],
} as const;

/**
 * Every series at zero from start-up: a rate() or an alert on a series that appears only
 * with its first event sees no change at that event, and absent() cannot tell "never" from "gone".
 */
function zeroKnownSeries(m: Metrics): void {
  for (const status of KNOWN.alertStatus) m.alertsReceived.inc({ status }, 0);
  for (const code of KNOWN.webhookCode) {
    m.webhookRequests.inc({ code }, 0);
    m.webhookDuration.zero({ code });
  }
  for (const method of KNOWN.slackMethod) for (const outcome of KNOWN.slackOutcome) m.slackCalls.inc({ method, outcome }, 0);
  for (const outcome of KNOWN.hostOutcome) m.fleetHostRuns.inc({ outcome }, 0);
  for (const end of KNOWN.rolloutEnd) m.fleetRollouts.inc({ end }, 0);
}

export type Metrics = ReturnType<typeof createMetrics>;
