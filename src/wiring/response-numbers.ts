/**
 * The numbers people are judged by: the response-time histograms, observed from the incident
 * service's milestones, and the store reads behind `/incident stats`.
 */
import { responseStats, type ResponseStatsSource } from '../actions/response-stats.js';
import type { ActionStore } from '../actions/store.js';
import { severityOf } from '../incidents/incident.js';
import { responseTimes } from '../incidents/response-times.js';
import type { IncidentService } from '../incidents/service.js';
import type { IncidentStore } from '../incidents/store.js';
import type { Metrics } from '../metrics.js';

/** The label of incidents without a service label. */
const NO_SERVICE = 'unknown';
/**
 * Incidents (and actions) one `/incident stats` reads at most: a bound on the work and memory
 * of one command; a team with more in its window is told the numbers cover part of it.
 */
export const STATS_READ_LIMIT = 5_000;

/** The severities a person may set, whose series exist from start-up for every service of the catalogue. */
const KNOWN_SEVERITIES = ['critical', 'warning', 'info'];

/**
 * Observes each incident's times once, on this replica when its commit reached the milestone.
 * The series of the catalogue's services start at zero, as every series of /metrics does; an
 * alert's other service or severity labels make theirs with their first incident.
 */
export function observeResponseTimes(
  incidents: IncidentService,
  metrics: Pick<Metrics, 'timeToAcknowledge' | 'timeToResolve'>,
  services: readonly string[],
): void {
  for (const service of services)
    for (const severity of KNOWN_SEVERITIES) {
      metrics.timeToAcknowledge.zero({ service, severity });
      metrics.timeToResolve.zero({ service, severity });
    }
  incidents.onMilestone(({ milestone, incident }) => {
    const labels = { service: incident.service ?? NO_SERVICE, severity: severityOf(incident) };
    const times = responseTimes(incident);
    const seconds = milestone === 'acknowledged' ? times.acknowledgeSeconds : times.resolveSeconds;
    if (seconds === undefined) return;
    (milestone === 'acknowledged' ? metrics.timeToAcknowledge : metrics.timeToResolve).observe(labels, seconds);
  });
}

export function responseStatsSource(
  stores: { incidents: Pick<IncidentStore, 'openedSince'>; actions: Pick<ActionStore, 'startedSince'> },
  now: () => number = Date.now,
): ResponseStatsSource {
  return {
    last: async (windowMs) => {
      const since = now() - windowMs;
      const [incidents, actions] = await Promise.all([
        stores.incidents.openedSince(since, STATS_READ_LIMIT),
        stores.actions.startedSince(since, STATS_READ_LIMIT),
      ]);
      const truncated = incidents.length >= STATS_READ_LIMIT || actions.length >= STATS_READ_LIMIT;
      return responseStats({ incidents, actions, since, windowMs, truncated });
    },
  };
}
