import type { Incident } from './incident.js';

/**
 * How long people took, in seconds from when the bot opened the incident (when it could first
 * tell anyone): to its first acknowledgement, and to its first resolution. Undefined where that
 * has not happened; an incident resolved without an acknowledgement has no time to acknowledge.
 * The impact window a retrospective shows starts earlier, when the first alert fired.
 *
 * Both are "first": an incident that reopens and resolves again keeps the time to its first
 * resolution, so that the histograms (observed once, when it first resolved), /incident stats
 * and the retrospective tell the same number. The reopen is on its timeline.
 */
export interface ResponseTimes {
  acknowledgeSeconds?: number;
  resolveSeconds?: number;
}

export function responseTimes(incident: Incident): ResponseTimes {
  const opened = Date.parse(incident.openedAt);
  const since = (at: string | undefined) => (at === undefined ? undefined : Math.max(0, (Date.parse(at) - opened) / 1000));
  const acknowledgeSeconds = since(incident.acknowledgedAt);
  // Incidents stored before firstResolvedAt was kept have only resolvedAt.
  const resolveSeconds = since(incident.firstResolvedAt ?? (incident.state === 'resolved' ? incident.resolvedAt : undefined));
  return {
    ...(acknowledgeSeconds === undefined ? {} : { acknowledgeSeconds }),
    ...(resolveSeconds === undefined ? {} : { resolveSeconds }),
  };
}

/** The moments that are measured, each once per incident. */
export type ResponseMilestone = 'acknowledged' | 'resolved';

/**
 * The milestones a committed change reached: the first acknowledgement, the first resolution.
 * A commit is a compare-and-set, so of all replicas exactly one commits the change that
 * reaches each, whoever made it (a person, Alertmanager, the silence poll).
 */
export function milestonesReached(before: Incident, after: Incident): ResponseMilestone[] {
  const reached: ResponseMilestone[] = [];
  if (before.acknowledgedAt === undefined && after.acknowledgedAt !== undefined) reached.push('acknowledged');
  if (before.firstResolvedAt === undefined && after.firstResolvedAt !== undefined) reached.push('resolved');
  return reached;
}
