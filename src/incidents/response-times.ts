import type { Incident } from './incident.js';

/**
 * How long people took, in seconds from when the bot opened the incident (when it could first
 * tell anyone): to its first acknowledgement, and to its resolution. Undefined where that has
 * not happened; an incident resolved without an acknowledgement has no time to acknowledge.
 * The impact window a retrospective shows starts earlier, when the first alert fired.
 */
export interface ResponseTimes {
  acknowledgeSeconds?: number;
  resolveSeconds?: number;
}

export function responseTimes(incident: Incident): ResponseTimes {
  const opened = Date.parse(incident.openedAt);
  const since = (at: string | undefined) => (at === undefined ? undefined : Math.max(0, (Date.parse(at) - opened) / 1000));
  const acknowledgeSeconds = since(incident.acknowledgedAt);
  const resolveSeconds = incident.state === 'resolved' ? since(incident.resolvedAt) : undefined;
  return {
    ...(acknowledgeSeconds === undefined ? {} : { acknowledgeSeconds }),
    ...(resolveSeconds === undefined ? {} : { resolveSeconds }),
  };
}
