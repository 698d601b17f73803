import { displayActionId, type ActionEntry } from '../../actions/action.js';
import { displayId, type TimelineEntry } from '../../incidents/incident.js';
import { escapeText } from './escape.js';
import { fitLatestLines, MAX_FALLBACK_TEXT } from './limits.js';
import { renderActionEntry, renderTimelineEntry } from './timeline.js';

/**
 * Entries one reply shows at most, the newest: a burst (hundreds of refused clicks while
 * Slack was slow) is counted, not pasted. The timeline in Redis keeps every one.
 */
const REPLY_ENTRIES = 20;

/** When it happened, in each reader's own time zone. */
function time(iso: string): string {
  const ms = Date.parse(iso);
  return Number.isFinite(ms) ? `<!date^${Math.floor(ms / 1000)}^{time_secs}|${new Date(ms).toISOString()}>` : escapeText(iso);
}

const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;

/** Several timeline entries in one reply: one line each, oldest first, older ones counted when there are too many. */
export function renderThreadReply(entries: readonly TimelineEntry[], incidentId: string): string {
  const lines = entries.map((e) => `${time(e.at)} ${renderTimelineEntry(e)}`);
  return fitLatestLines(
    lines,
    MAX_FALLBACK_TEXT,
    REPLY_ENTRIES,
    (n) => `_${plural(n, 'earlier entry', 'earlier entries')} not shown here; \`/incident show ${displayId(incidentId)}\` lists them_`,
  );
}

/** New steps of an action, replied in its approval message's thread. */
export function renderActionReply(entries: readonly ActionEntry[], actionId: string): string {
  return fitLatestLines(
    entries.map(renderActionEntry),
    MAX_FALLBACK_TEXT,
    REPLY_ENTRIES,
    (n) => `_${plural(n, 'earlier step', 'earlier steps')} of ${displayActionId(actionId)} not shown here_`,
  );
}
