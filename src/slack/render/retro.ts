/**
 * The retrospective draft in words: in Slack's mrkdwn when posted in the incident's thread,
 * in Markdown when uploaded there as a file (too long for a message) and filed as a GitLab
 * issue. Timeline entries and action steps are said by timeline.ts, so a new kind of fact
 * shows here too.
 */
import { formatDuration } from '../../config/duration.js';
import { displayActionId } from '../../actions/action.js';
import { displayId } from '../../incidents/incident.js';
import type { RetroActionSection, RetroDraft } from '../../incidents/retro.js';
import { escapeText, link } from './escape.js';
import { fleetEndText } from './fleet-report.js';
import { mention } from './mention.js';
import { renderActionStep, renderTimelineEntry } from './timeline.js';
import { verificationSummary } from './verification.js';

/** Where the draft was filed in GitLab, for its first line. */
export interface FiledIssue {
  url: string;
  project: string;
  iid: number;
}

/** `mrkdwn`: Slack's message syntax, which shows `**x**` and `#` headings as typed. */
export type RetroStyle = 'markdown' | 'mrkdwn';

/** The only words that differ between the styles; everything else is written once. */
interface Syntax {
  heading(level: 1 | 2 | 3, text: string): string;
  bold(text: string): string;
  task(text: string): string;
}

const SYNTAX: Record<RetroStyle, Syntax> = {
  markdown: { heading: (level, text) => `${'#'.repeat(level)} ${text}`, bold: (text) => `**${text}**`, task: (text) => `- [ ] ${text}` },
  mrkdwn: { heading: (_level, text) => `*${text}*`, bold: (text) => `*${text}*`, task: (text) => `• ☐ ${text}` },
};

function when(at: string): string {
  const t = Date.parse(at);
  return Number.isFinite(t)
    ? new Date(t)
        .toISOString()
        .replace('T', ' ')
        .replace(/\.\d{3}Z$/, ' UTC')
    : escapeText(at);
}

/** A field of one line: outside text with a newline in it would start a heading, a list or a quick action in GitLab. */
function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ');
}

function seconds(value: number | undefined, missing: string): string {
  return value === undefined ? missing : formatDuration(value * 1000);
}

function impactLine({ impact }: RetroDraft): string {
  if (!impact.to) return `${when(impact.from)} → still open`;
  const lasted = Math.max(0, Date.parse(impact.to) - Date.parse(impact.from));
  return `${when(impact.from)} → ${when(impact.to)}${Number.isFinite(lasted) ? ` (${formatDuration(lasted)})` : ''}`;
}

function actionBlock({ action, batches, finished, verifications }: RetroActionSection, syntax: Syntax): string[] {
  const lines = [syntax.heading(3, `${displayActionId(action.id)}: ${oneLine(escapeText(action.plan.title))} (${escapeText(action.state)})`)];
  lines.push(`- Requested by ${mention(action.requestedBy)}${action.reason ? `: ${oneLine(escapeText(action.reason))}` : ''}`);
  lines.push(`- Approved by ${action.approvedBy.length > 0 ? action.approvedBy.map(mention).join(', ') : 'nobody (no approval needed or given)'}`);
  lines.push('- Plan:', ...action.plan.summary.map((s) => `  - ${oneLine(escapeText(s))}`));
  const run = link(action.run?.url, 'the run');
  if (run) lines.push(`- Run: ${run}`);
  if (batches.length > 0) lines.push('- Batches:', ...batches.map((b) => `  - ${when(b.at)} ${oneLine(renderActionStep(b.actor, b.step))}`));
  const result = finished ? renderActionStep(finished.actor, finished.step) : resultOf(action.result);
  lines.push(`- Result: ${result === undefined ? 'none yet' : oneLine(result)}`);
  for (const v of verifications) lines.push(`- Verification: ${oneLine(verificationSummary(v))}`);
  return lines;
}

function resultOf(result: RetroActionSection['action']['result']): string | undefined {
  if (result === undefined) return undefined;
  return typeof result === 'string' ? escapeText(result) : escapeText(fleetEndText(result));
}

/** Starts with the incident's id and a colon: how the GitLab issue is found again (src/gitlab/retro-issues.ts). */
export function retroTitle(draft: RetroDraft): string {
  return `${displayId(draft.incidentId)}: retrospective of ${draft.title}`;
}

/** The whole draft; `filed`: the GitLab issue it is also in. */
export function renderRetro(draft: RetroDraft, style: RetroStyle, filed?: FiledIssue): string {
  const syntax = SYNTAX[style];
  const { bold } = syntax;
  const id = displayId(draft.incidentId);
  const lines = [syntax.heading(1, `Retrospective draft: ${id} ${escapeText(draft.title)}`)];
  if (filed) lines.push(`Filed in GitLab: ${link(filed.url, `${filed.project}#${filed.iid}`) ?? escapeText(filed.url)}`);
  if (draft.summary) lines.push('', oneLine(escapeText(draft.summary)));
  lines.push(
    '',
    `- ${bold('Service:')} ${escapeText(draft.service ?? 'unknown service')}`,
    `- ${bold('Severity:')} ${escapeText(draft.severity)}`,
    `- ${bold('Commander:')} ${draft.commander ? mention(draft.commander) : 'none named'}`,
    `- ${bold('Impact window:')} ${impactLine(draft)}`,
    `- ${bold('Time to acknowledge:')} ${seconds(draft.acknowledgeSeconds, 'not acknowledged')}`,
    `- ${bold('Time to resolve:')} ${seconds(draft.resolveSeconds, draft.state === 'resolved' ? 'unknown' : 'not resolved yet')}`,
    '',
    syntax.heading(2, 'Timeline'),
    ...draft.timeline.map((e) => `- ${when(e.at)} ${oneLine(renderTimelineEntry(e))}`),
    '',
    syntax.heading(2, 'Actions'),
  );
  if (draft.actions.length === 0) lines.push('No action was linked to this incident.');
  for (const section of draft.actions) lines.push(...actionBlock(section, syntax), '');
  lines.push(syntax.heading(2, 'Follow-ups'));
  if (draft.followups.length === 0) lines.push(`None yet: add one with \`/incident followup ${id} &lt;what to do&gt;\`.`);
  // A task item, which GitLab shows as a checkbox.
  lines.push(...draft.followups.map((f) => syntax.task(`${oneLine(escapeText(f.text))} (${mention(f.by)})`)));
  return lines.join('\n');
}

/** Between a sigil and what follows it: GitLab shows nothing, and matches no reference across it. */
const ZWSP = '\u200b';

/**
 * Words GitLab would act on, made inert: `@name` (a mention, `@all` too), `#12`, `!3`, `$4`
 * (an issue, merge request or snippet, which also notes the cross-reference there), `&amp;5`
 * (an epic: `&5` once GitLab reads the entity), `~label`, `%milestone`. A zero-width space
 * after the sigil, because GitLab honours a backslash before a reference only since 14.0 and
 * never before a quick action, and the text reads the same.
 */
function inert(text: string): string {
  return text.replace(/([@~%])(?=[\w"])/g, `$1${ZWSP}`).replace(/([#!$]|&amp;)(?=\d)/g, `$1${ZWSP}`);
}

/**
 * Slack's own syntax in the draft, as GitLab Markdown: a link `<url|label>` as `[label](url)`,
 * a date as its fallback text, a person or group as their id in code (a Slack id is nobody
 * in GitLab, and must not mention a GitLab user of that name). Outside text has no raw `<`
 * (escape.ts), so every `<…>` here is the bot's; its entities (`&lt;`) read the same in GitLab.
 * All other text, a link's label included, is made inert, and a line starting with `/` is not
 * one: GitLab would run it as a quick action.
 */
export function slackToGitlabMarkdown(text: string): string {
  const converted = text
    .split(/(<[^<>]*>)/)
    .map((part, i) => {
      if (i % 2 === 0) return inert(part);
      const [target = '', label] = part.slice(1, -1).split('|', 2);
      if (target.startsWith('@')) return `\`${target}\``;
      if (target.startsWith('!subteam^')) return `\`@${target.slice('!subteam^'.length)}\``;
      if (target.startsWith('#')) return `\`${target}\``;
      if (target.startsWith('!date^')) return inert(label ?? '');
      if (target.startsWith('!')) return `\`@${target.slice(1)}\``;
      // Escaped and encoded so that neither part can end the link early and leave the rest as live text.
      const address = target.replace(/\(/g, '%28').replace(/\)/g, '%29');
      return label === undefined ? address : `[${inert(label).replace(/[[\]]/g, '\\$&')}](${address})`;
    })
    .join('');
  return converted.replace(/^([ \t]*)\//gm, `$1${ZWSP}/`);
}

/**
 * The draft as a Markdown document, read outside Slack: the GitLab issue's description, and
 * the file uploaded when the draft is too long for a message (Slack previews a file's text as
 * it is, so its links and mentions are written as Markdown there too).
 */
export function renderRetroMarkdown(draft: RetroDraft, filed?: FiledIssue): string {
  return slackToGitlabMarkdown(renderRetro(draft, 'markdown', filed));
}

export function retroFilename(incidentId: string): string {
  return `retrospective-${displayId(incidentId).toLowerCase()}.md`;
}

/** Above the uploaded file: what it is, and where it was filed. */
export function retroFileComment(draft: RetroDraft, filed?: FiledIssue): string {
  const where = filed ? ` Filed in GitLab: ${link(filed.url, `${filed.project}#${filed.iid}`) ?? escapeText(filed.url)}` : '';
  return `Retrospective draft of ${displayId(draft.incidentId)}, too long for a message: attached as Markdown.${where}`;
}
