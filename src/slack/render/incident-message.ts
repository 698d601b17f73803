import {
  displayId,
  firingAlerts,
  severityOf,
  startedAt,
  summaryOf,
  titleOf,
  type Incident,
  type IncidentState,
  type TrackedAlert,
} from '../../incidents/incident.js';
import type { RunbookActionRef } from '../../runbooks/match.js';
import { ACTION_IDS, incidentButtonValue, runbookButtonValue } from '../contract.js';
import type { Block, ButtonElement, SlackMessage, TextObject } from './block-kit.js';
import { escapeText, link, plainText } from './escape.js';
import { fitMessage } from './fit-message.js';
import { fitLines, MAX_ACTIONS_ELEMENTS, MAX_CONTEXT_TEXT, MAX_SECTION_TEXT, truncatePlain } from './limits.js';
import { mention } from './mention.js';
import { silenceControl, silenceLine } from './silence.js';
import { verificationLine } from './verification.js';
import { roomLine } from './war-room.js';

const STATE_ICON: Record<IncidentState, string> = {
  firing: ':red_circle:',
  acknowledged: ':large_orange_circle:',
  mitigating: ':large_blue_circle:',
  resolved: ':large_green_circle:',
};

/** How many alerts the message lists before it says "and N more". */
const LISTED_ALERTS = 20;
/** An alert's text is cut to this, so that one long summary cannot crowd the others out of the list. */
const ALERT_TEXT_CHARS = 200;
const ALERT_INSTANCE_CHARS = 100;

const mrkdwn = (text: string): TextObject => ({ type: 'mrkdwn', text });

/** A time each reader sees in their own zone; the fallback is written anew, since a lenient parse may have skipped words in it. */
function slackDate(iso: string): string {
  const ms = Date.parse(iso);
  if (!Number.isFinite(ms)) return escapeText(iso);
  return `<!date^${Math.floor(ms / 1000)}^{date_short_pretty} {time}|${new Date(ms).toISOString()}>`;
}

/** Alertmanager's new-silence page for the group; labels pass through plainText, as half a surrogate pair would make encodeURIComponent throw. */
export function silenceUrl(incident: Incident): string | undefined {
  if (!incident.externalURL) return undefined;
  const matchers = Object.entries(incident.groupLabels).map(([k, v]) => `${plainText(k)}=${JSON.stringify(plainText(v))}`);
  return `${incident.externalURL.replace(/\/$/, '')}/#/silences/new?filter=${encodeURIComponent(`{${matchers.join(', ')}}`)}`;
}

/** `shownSummary` is already in the message above the list: an alert line names its alert instead of repeating it. */
function alertLine(alert: TrackedAlert, shownSummary: string): string {
  const icon = alert.status === 'firing' ? ':fire:' : ':white_check_mark:';
  const instance = alert.labels.instance;
  const where = instance ? ` \`${escapeText(truncatePlain(instance, ALERT_INSTANCE_CHARS))}\`` : '';
  const summary = alert.annotations.summary === shownSummary ? undefined : alert.annotations.summary;
  const what = summary ?? alert.labels.alertname ?? alert.annotations.summary ?? alert.fingerprint;
  return `${icon}${where} ${escapeText(truncatePlain(what, ALERT_TEXT_CHARS))}`;
}

function alertsSection(incident: Incident, shownSummary: string): Block {
  const alerts = Object.values(incident.alerts).sort((a, b) => (a.status === b.status ? 0 : a.status === 'firing' ? -1 : 1));
  const lines = alerts.slice(0, LISTED_ALERTS).map((alert) => alertLine(alert, shownSummary));
  // Alerts past the listed ones, and those Alertmanager itself left out of the notification.
  const unlisted = alerts.length - lines.length + incident.truncatedAlerts;
  const more = (omitted: number): string | undefined => {
    const hidden = omitted + unlisted;
    return hidden > 0 ? `_…and ${hidden} more alert${hidden === 1 ? '' : 's'} not listed here_` : undefined;
  };
  return { type: 'section', text: mrkdwn(fitLines(lines, MAX_SECTION_TEXT, more)) };
}

/** Outside text in a plain_text object: Slack parses nothing there, so only control characters go. */
const plain = (text: string): TextObject => ({ type: 'plain_text', text: plainText(text) });

function runbookButton(incident: Incident, ref: RunbookActionRef): ButtonElement {
  return {
    type: 'button',
    action_id: ACTION_IDS.runbookRun,
    text: plain(ref.title),
    value: runbookButtonValue(incident.id, ref.runbookId, ref.actionId),
    ...(ref.confirm ? { confirm: { title: plain(ref.title), text: plain(ref.confirm), confirm: plain('Request'), deny: plain('Back') } } : {}),
  };
}

/** The buttons an incident's state offers: acknowledge, resolve, I'll lead (while nobody does), then its runbooks' actions. */
export function incidentButtons(incident: Incident, runbookActions: readonly RunbookActionRef[]): ButtonElement[] {
  if (incident.state === 'resolved') return [];
  const value = incidentButtonValue(incident.id);
  const list: ButtonElement[] = [];
  if (incident.state === 'firing') {
    list.push({ type: 'button', action_id: ACTION_IDS.incidentAck, text: { type: 'plain_text', text: 'Acknowledge' }, value, style: 'primary' });
  }
  list.push({ type: 'button', action_id: ACTION_IDS.incidentResolve, text: { type: 'plain_text', text: 'Resolve' }, value });
  // Once someone leads, a hand-over is said with /incident commander: a stray click must not take command.
  if (!incident.commander) list.push({ type: 'button', action_id: ACTION_IDS.incidentLead, text: { type: 'plain_text', text: "I'll lead" }, value });
  for (const ref of runbookActions) list.push(runbookButton(incident, ref));
  return list.slice(0, MAX_ACTIONS_ELEMENTS);
}

function roomButton(incident: Incident): ButtonElement {
  return { type: 'button', action_id: ACTION_IDS.incidentRoom, text: { type: 'plain_text', text: 'Open war room' }, value: incidentButtonValue(incident.id) };
}

/** Words of a label in the fallback text: a notification shows one line, so a long one is cut. */
const FALLBACK_LABEL_CHARS = 200;

/** The fallback text: notifications and screen readers show it, so it names the state. */
export function fallbackText(incident: Incident): string {
  const label = (text: string) => escapeText(truncatePlain(text, FALLBACK_LABEL_CHARS));
  const service = incident.service ? ` on ${label(incident.service)}` : '';
  const firing = firingAlerts(incident).length;
  return `[${incident.state.toUpperCase()}] ${displayId(incident.id)} ${label(titleOf(incident))}${service}: ${firing} firing`;
}

/** The id and the links on one line when they fit in one context element, else one element each. */
function idAndLinks(parts: readonly string[]): TextObject[] {
  const line = parts.join('  ·  ');
  return line.length <= MAX_CONTEXT_TEXT ? [mrkdwn(line)] : parts.map(mrkdwn);
}

/** While a rollback of the service is being verified, the state says so. */
function monitoring(incident: Incident): string {
  return incident.verification?.state === 'monitoring' && incident.state !== 'resolved' ? ', monitoring' : '';
}

export interface IncidentMessageOptions {
  /** ALERTMANAGER_URL is set: the message offers the Silence… menu (or Unsilence). */
  silences?: boolean;
}

/** The incident message, as a pure function of the incident and its runbooks' actions. */
export function renderIncidentMessage(
  incident: Incident,
  runbookActions: readonly RunbookActionRef[] = [],
  options: IncidentMessageOptions = {},
): SlackMessage {
  const firing = firingAlerts(incident).length;
  const total = Object.keys(incident.alerts).length;
  const service = incident.service ?? 'unknown service';
  const header = `${incident.state.toUpperCase()}: ${titleOf(incident)} (${service})`;
  const fields = [
    mrkdwn(`*Severity*\n${escapeText(severityOf(incident))}${incident.severityOverride ? ' (set by hand)' : ''}`),
    mrkdwn(`*Service*\n${escapeText(service)}`),
    mrkdwn(`*State*\n${STATE_ICON[incident.state]} ${incident.state}${monitoring(incident)}`),
    mrkdwn(`*Alerts*\n${firing} firing of ${total}`),
    mrkdwn(`*Started*\n${slackDate(startedAt(incident))}`),
  ];
  if (incident.commander) fields.push(mrkdwn(`*Commander*\n${mention(incident.commander)}`));
  if (incident.acknowledgedBy) fields.push(mrkdwn(`*Acknowledged by*\n${mention(incident.acknowledgedBy)}`));
  if (incident.state === 'resolved' && incident.resolvedAt) {
    const by = incident.resolvedBy && incident.resolvedBy !== 'alertmanager' ? ` by ${mention(incident.resolvedBy)}` : '';
    fields.push(mrkdwn(`*Resolved*\n${slackDate(incident.resolvedAt)}${by}`));
  }

  const firstAlert = firingAlerts(incident)[0] ?? Object.values(incident.alerts)[0];
  const links = [
    link(firstAlert?.generatorURL, 'Source'),
    link(incident.commonAnnotations.runbook_url ?? firstAlert?.annotations.runbook_url, 'Runbook'),
    link(silenceUrl(incident), 'Silence'),
    roomLine(incident),
  ].filter((l): l is string => l !== undefined);

  const shownSummary = summaryOf(incident);
  const summary = escapeText(shownSummary);
  const blocks: Block[] = [
    { type: 'header', text: { ...plain(`${STATE_ICON[incident.state]} ${header}`), emoji: true } },
    { type: 'section', fields },
  ];
  if (summary.trim()) blocks.push({ type: 'section', text: mrkdwn(summary) });
  blocks.push(alertsSection(incident, summary.trim() ? shownSummary : ''));
  if (incident.silence && incident.state !== 'resolved') blocks.push({ type: 'context', elements: [mrkdwn(silenceLine(incident.silence))] });
  if (incident.verification) blocks.push({ type: 'context', elements: [mrkdwn(verificationLine(incident.verification.actionId, incident.verification))] });
  blocks.push({ type: 'context', elements: idAndLinks([displayId(incident.id), ...links]) });
  const buttons = incidentButtons(incident, runbookActions);
  const control = options.silences ? silenceControl(incident) : undefined;
  const room = incident.state !== 'resolved' && !incident.room ? roomButton(incident) : undefined;
  // The silence control and the room go after Acknowledge and Resolve, before the runbooks' actions.
  const firstRunbook = buttons.findIndex((b) => b.action_id === ACTION_IDS.runbookRun);
  const at = firstRunbook === -1 ? buttons.length : firstRunbook;
  const between = [control, room].filter((e) => e !== undefined);
  const actions = [...buttons.slice(0, at), ...between, ...buttons.slice(at)].slice(0, MAX_ACTIONS_ELEMENTS);
  if (actions.length > 0) blocks.push({ type: 'actions', block_id: `incident:${incident.id}`, elements: actions });
  return fitMessage({ text: fallbackText(incident), blocks });
}
