import type { TimelineEntry } from '../../incidents/incident.js';
import { MAX_FALLBACK_TEXT, truncate } from './limits.js';
import { renderTimelineEntry } from './timeline.js';

/** Several timeline entries in one reply: one line each, oldest first. */
export function renderThreadReply(entries: readonly TimelineEntry[]): string {
  return truncate(
    entries.map((e) => `<!date^${Math.floor(Date.parse(e.at) / 1000)}^{time_secs}|${e.at}> ${renderTimelineEntry(e)}`).join('\n'),
    MAX_FALLBACK_TEXT,
  );
}
