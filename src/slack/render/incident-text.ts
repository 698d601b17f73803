import { displayId, firingAlerts, severityOf, titleOf, type Incident, type TimelineEntry } from '../../incidents/incident.js';
import { escapeText } from './escape.js';
import { MAX_FALLBACK_TEXT, truncate } from './limits.js';
import { renderTimelineEntry } from './timeline.js';

/** How many timeline entries `/incident show` prints, newest last. */
const SHOWN_TIMELINE = 30;

/** `incidents`: the first few of `total` open ones, most severe and oldest first. */
export function renderIncidentList(incidents: readonly Incident[], total: number): string {
  if (incidents.length === 0) return 'No open incidents. :tada:';
  const lines = incidents.map(
    (i) =>
      `• *${displayId(i.id)}* ${i.state} · ${escapeText(severityOf(i))} · ${escapeText(titleOf(i))} (${escapeText(i.service ?? 'unknown service')}) · ${firingAlerts(i).length} firing`,
  );
  const count = incidents.length < total ? `${incidents.length} of ${total.toLocaleString('en-US')}` : String(total);
  return truncate(`*Open incidents (${count}, most severe and oldest first)*\n${lines.join('\n')}`, MAX_FALLBACK_TEXT);
}

export function renderIncidentDetail(incident: Incident, timeline: readonly TimelineEntry[]): string {
  const head = [
    `*${displayId(incident.id)}* ${escapeText(titleOf(incident))} (${escapeText(incident.service ?? 'unknown service')})`,
    `State: *${incident.state}* · severity ${escapeText(severityOf(incident))} · ${firingAlerts(incident).length} of ${Object.keys(incident.alerts).length} alerts firing`,
    `Opened ${escapeText(incident.openedAt)}`,
  ];
  const shown = timeline.slice(-SHOWN_TIMELINE);
  const skipped = timeline.length - shown.length;
  const lines = shown.map((e) => `• ${escapeText(e.at)} ${e.kind}: ${renderTimelineEntry(e)}`);
  if (skipped > 0) lines.unshift(`_(${skipped} earlier entries not shown)_`);
  return truncate([...head, '*Timeline*', ...lines].join('\n'), MAX_FALLBACK_TEXT);
}
