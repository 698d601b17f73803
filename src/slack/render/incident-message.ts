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
import { escapeMrkdwn, fitLines, MAX_ACTIONS_ELEMENTS, MAX_BLOCKS, MAX_FALLBACK_TEXT, MAX_HEADER_TEXT, MAX_SECTION_TEXT, truncate } from './limits.js';

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

function slackDate(iso: string): string {
  const epoch = Math.floor(Date.parse(iso) / 1000);
  return Number.isFinite(epoch) ? `<!date^${epoch}^{date_short_pretty} {time}|${iso}>` : escapeMrkdwn(iso);
}

/** Slack links break on "|" and ">"; a URL that is not http(s) is not linked at all. */
function link(url: string | undefined, label: string): string | undefined {
  if (!url || !/^https?:\/\//i.test(url)) return undefined;
  return `<${url.replace(/\|/g, '%7C').replace(/>/g, '%3E')}|${label}>`;
}

export function silenceUrl(incident: Incident): string | undefined {
  if (!incident.externalURL) return undefined;
  const matchers = Object.entries(incident.groupLabels).map(([k, v]) => `${k}=${JSON.stringify(v)}`);
  return `${incident.externalURL.replace(/\/$/, '')}/#/silences/new?filter=${encodeURIComponent(`{${matchers.join(', ')}}`)}`;
}

function alertLine(alert: TrackedAlert): string {
  const icon = alert.status === 'firing' ? ':fire:' : ':white_check_mark:';
  const instance = alert.labels.instance;
  const where = instance ? ` \`${escapeMrkdwn(truncate(instance, ALERT_INSTANCE_CHARS, ''))}\`` : '';
  const what = alert.annotations.summary ?? alert.labels.alertname ?? alert.fingerprint;
  return `${icon}${where} ${escapeMrkdwn(truncate(what, ALERT_TEXT_CHARS, ''))}`;
}

function alertsSection(incident: Incident): Block {
  const alerts = Object.values(incident.alerts).sort((a, b) => (a.status === b.status ? 0 : a.status === 'firing' ? -1 : 1));
  const lines = alerts.slice(0, LISTED_ALERTS).map(alertLine);
  // Alerts past the listed ones, and those Alertmanager itself left out of the notification.
  const unlisted = alerts.length - lines.length + incident.truncatedAlerts;
  const more = (omitted: number): string | undefined => {
    const hidden = omitted + unlisted;
    return hidden > 0 ? `_…and ${hidden} more alert${hidden === 1 ? '' : 's'} not listed here_` : undefined;
  };
  return { type: 'section', text: mrkdwn(fitLines(lines, MAX_SECTION_TEXT, more)) };
}

const plain = (text: string): TextObject => ({ type: 'plain_text', text });

function runbookButton(incident: Incident, ref: RunbookActionRef): ButtonElement {
  return {
    type: 'button',
    action_id: ACTION_IDS.runbookRun,
    text: plain(ref.title),
    value: runbookButtonValue(incident.id, ref.runbookId, ref.actionId),
    ...(ref.confirm ? { confirm: { title: plain(ref.title), text: plain(ref.confirm), confirm: plain('Request'), deny: plain('Back') } } : {}),
  };
}

function buttons(incident: Incident, runbookActions: readonly RunbookActionRef[]): ButtonElement[] {
  if (incident.state === 'resolved') return [];
  const value = incidentButtonValue(incident.id);
  const list: ButtonElement[] = [];
  if (incident.state === 'firing') {
    list.push({ type: 'button', action_id: ACTION_IDS.incidentAck, text: { type: 'plain_text', text: 'Acknowledge' }, value, style: 'primary' });
  }
  list.push({ type: 'button', action_id: ACTION_IDS.incidentResolve, text: { type: 'plain_text', text: 'Resolve' }, value });
  for (const ref of runbookActions) list.push(runbookButton(incident, ref));
  return list.slice(0, MAX_ACTIONS_ELEMENTS);
}

/** The fallback text: notifications and screen readers show it, so it names the state. */
export function fallbackText(incident: Incident): string {
  const service = incident.service ? ` on ${incident.service}` : '';
  const firing = firingAlerts(incident).length;
  return truncate(`[${incident.state.toUpperCase()}] ${displayId(incident.id)} ${titleOf(incident)}${service}: ${firing} firing`, MAX_FALLBACK_TEXT);
}

/** Keeps a message within Slack's block count, replacing the overflow with a note. */
export function fitBlocks(blocks: Block[]): Block[] {
  if (blocks.length <= MAX_BLOCKS) return blocks;
  const kept = blocks.slice(0, MAX_BLOCKS - 1);
  return [...kept, { type: 'context', elements: [mrkdwn(`_${blocks.length - kept.length} more blocks were left out (Slack allows ${MAX_BLOCKS})_`)] }];
}

/** The incident message, as a pure function of the incident and its runbooks' actions. */
export function renderIncidentMessage(incident: Incident, runbookActions: readonly RunbookActionRef[] = []): SlackMessage {
  const firing = firingAlerts(incident).length;
  const total = Object.keys(incident.alerts).length;
  const service = incident.service ?? 'unknown service';
  const header = `${incident.state.toUpperCase()}: ${titleOf(incident)} (${service})`;
  const fields = [
    mrkdwn(`*Severity*\n${escapeMrkdwn(severityOf(incident))}`),
    mrkdwn(`*Service*\n${escapeMrkdwn(service)}`),
    mrkdwn(`*State*\n${STATE_ICON[incident.state]} ${incident.state}`),
    mrkdwn(`*Alerts*\n${firing} firing of ${total}`),
    mrkdwn(`*Started*\n${slackDate(startedAt(incident))}`),
  ];
  if (incident.acknowledgedBy) fields.push(mrkdwn(`*Acknowledged by*\n<@${incident.acknowledgedBy}>`));
  if (incident.state === 'resolved' && incident.resolvedAt) {
    const by = incident.resolvedBy && incident.resolvedBy !== 'alertmanager' ? ` by <@${incident.resolvedBy}>` : '';
    fields.push(mrkdwn(`*Resolved*\n${slackDate(incident.resolvedAt)}${by}`));
  }

  const firstAlert = firingAlerts(incident)[0] ?? Object.values(incident.alerts)[0];
  const links = [
    link(firstAlert?.generatorURL, 'Source'),
    link(incident.commonAnnotations.runbook_url ?? firstAlert?.annotations.runbook_url, 'Runbook'),
    link(silenceUrl(incident), 'Silence'),
  ].filter((l): l is string => l !== undefined);

  const summary = summaryOf(incident);
  const blocks: Block[] = [
    { type: 'header', text: { type: 'plain_text', text: truncate(`${STATE_ICON[incident.state]} ${header}`, MAX_HEADER_TEXT), emoji: true } },
    { type: 'section', fields },
  ];
  if (summary) blocks.push({ type: 'section', text: mrkdwn(truncate(escapeMrkdwn(summary), MAX_SECTION_TEXT)) });
  blocks.push(alertsSection(incident));
  blocks.push({ type: 'context', elements: [mrkdwn([displayId(incident.id), ...links].join('  ·  '))] });
  const actions = buttons(incident, runbookActions);
  if (actions.length > 0) blocks.push({ type: 'actions', block_id: `incident:${incident.id}`, elements: actions });
  return { text: fallbackText(incident), blocks: fitBlocks(blocks) };
}
