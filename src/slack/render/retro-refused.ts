import { displayId } from '../../incidents/incident.js';
import { escapeText } from './escape.js';

/** Said in the thread in place of a draft Slack refused for good, so that the thread goes on and people know how to ask again. */
export function renderRetroRefused(incidentId: string, reason: string): string {
  const id = displayId(incidentId);
  return `The retrospective draft of ${id} could not be posted (Slack said: \`${escapeText(reason)}\`); \`/incident retro ${id}\` tries again.`;
}
