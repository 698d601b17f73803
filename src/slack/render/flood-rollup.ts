import { displayId } from '../../incidents/incident.js';
import type { FloodCount, FloodEntry, FloodSummary } from '../flood/flood-store.js';
import type { IndividualPosts } from '../flood/policy.js';
import type { Block, SlackMessage, TextObject } from './block-kit.js';
import { escapeText } from './escape.js';
import { fitMessage } from './fit-message.js';
import { fitLines, MAX_SECTION_TEXT, truncatePlain } from './limits.js';

/** Kinds of alert (alertname and severity) counted line by line before "and N more kinds"; the store picks them. */
export const LISTED_KINDS = 15;
/** Label values are cut to this, so that one long alertname cannot crowd the others out. */
const LABEL_CHARS = 80;

const mrkdwn = (text: string): TextObject => ({ type: 'mrkdwn', text });
const label = (text: string) => escapeText(truncatePlain(text, LABEL_CHARS));
const number = (n: number) => n.toLocaleString('en-US');
const plural = (n: number, one: string, many: string) => `${number(n)} ${n === 1 ? one : many}`;

function slackTime(ms: number): string {
  const iso = new Date(ms).toISOString();
  return `<!date^${Math.floor(ms / 1000)}^{date_short_pretty} {time}|${iso}>`;
}

const WHAT_GETS_A_MESSAGE: Record<IndividualPosts, string> = {
  'critical-only': 'Critical incidents still get a message of their own; the others are counted here only.',
  'critical-first': 'Critical incidents get a message of their own first; the others follow as fast as Slack allows.',
};

function countsSection(counts: readonly FloodCount[], kinds: number): Block {
  const sorted = [...counts].sort((a, b) => b.count - a.count || a.alertname.localeCompare(b.alertname) || a.severity.localeCompare(b.severity));
  const lines = sorted.slice(0, LISTED_KINDS).map((c) => `• *${label(c.alertname)}* · ${label(c.severity)}: ${number(c.count)}`);
  const unlisted = Math.max(kinds, sorted.length) - lines.length;
  const more = (omitted: number) => (omitted + unlisted > 0 ? `_…and ${plural(omitted + unlisted, 'more kind', 'more kinds')} of alert_` : undefined);
  return { type: 'section', text: mrkdwn(fitLines(['*By alert and severity*', ...lines], MAX_SECTION_TEXT, more)) };
}

function worstSection(worst: readonly FloodEntry[], total: number): Block {
  const lines = worst.map((e) => `• *${displayId(e.incidentId)}* ${label(e.severity)} · ${label(e.alertname)}${e.service ? ` · ${label(e.service)}` : ''}`);
  const more = (omitted: number) => {
    const rest = total - lines.length + omitted;
    return rest > 0 ? `_…and ${plural(rest, 'more incident', 'more incidents')} in this flood_` : undefined;
  };
  return { type: 'section', text: mrkdwn(fitLines(['*Most severe*', ...lines], MAX_SECTION_TEXT, more)) };
}

/**
 * The one message that stands for a flood of incidents in a channel, kept up to date in
 * place: how many, of which kinds, the most severe by id, and how to reach every one.
 */
export function renderFloodRollup(flood: FloodSummary, individualPosts: IndividualPosts): SlackMessage {
  const headline = `Alert flood: ${plural(flood.total, 'new incident', 'new incidents')} in this channel`;
  const blocks: Block[] = [
    { type: 'header', text: { type: 'plain_text', text: `:rotating_light: ${headline}`, emoji: true } },
    {
      type: 'section',
      text: mrkdwn(
        `Since ${slackTime(flood.startedAt)} more incidents opened here than Slack can show one by one, so this message counts them as they come. ${WHAT_GETS_A_MESSAGE[individualPosts]}`,
      ),
    },
    countsSection(flood.counts, flood.kinds),
    worstSection(flood.worst, flood.total),
    {
      type: 'context',
      elements: [mrkdwn('Every incident stays reachable: `/incident show &lt;id&gt;` for one, `/incident list` for all open ones, most severe first.')],
    },
  ];
  return fitMessage({ text: `${headline} (roll-up, kept up to date)`, blocks });
}
