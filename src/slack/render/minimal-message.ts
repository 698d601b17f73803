/**
 * What is sent when Slack refuses a message anyway (`invalid_blocks`, `msg_too_long`, …):
 * the least a person needs, built only from the bot's own words and short escaped names,
 * so that it is taken where the whole message was not. The incident or action is never
 * shown nowhere; its whole story stays one command away.
 */
import { displayActionId, type Action } from '../../actions/action.js';
import { displayId, type Incident } from '../../incidents/incident.js';
import { actionButtons } from './action-message.js';
import type { ButtonElement, SlackMessage } from './block-kit.js';
import { escapeText } from './escape.js';
import { fitMessage } from './fit-message.js';
import { incidentButtons } from './incident-message.js';
import { truncatePlain } from './limits.js';

/** A name in the minimal form is cut short: a long one may be what Slack refused. */
const NAME_CHARS = 80;

const name = (text: string | undefined, missing: string) => (text ? escapeText(truncatePlain(text, NAME_CHARS)) : missing);

function minimal(text: string, line: string, buttons: ButtonElement[]): SlackMessage {
  return fitMessage({
    text,
    blocks: [{ type: 'section', text: { type: 'mrkdwn', text: line } }, ...(buttons.length > 0 ? [{ type: 'actions' as const, elements: buttons }] : [])],
  });
}

/** The incident in brief: its state, id and service, its own buttons (not its runbooks'), and how to see the rest. */
export function renderMinimalIncidentMessage(incident: Incident): SlackMessage {
  const id = displayId(incident.id);
  const state = incident.state.toUpperCase();
  const service = name(incident.service, 'an unlabelled service');
  const line = `*${state}* ${id} on ${service}\nSlack refused the full message; \`/incident show ${id}\` shows the alerts and the timeline.`;
  return minimal(`[${state}] ${id} on ${service} (shown in brief: /incident show ${id})`, line, incidentButtons(incident, []));
}

/** The action in brief: its state, id and service, and the buttons its state offers. */
export function renderMinimalActionMessage(action: Action): SlackMessage {
  const id = displayActionId(action.id);
  const state = action.state.toUpperCase();
  const service = name(action.service, 'no service');
  const where = action.incidentId ? `; \`/incident show ${displayId(action.incidentId)}\` shows its steps` : '; its steps are in this thread';
  const line = `*${state}* ${id} for ${service}\nSlack refused the full message${where}.`;
  return minimal(`[${state}] ${id} for ${service}`, line, actionButtons(action));
}

/** A reply Slack refused, in brief: how many entries it held and where to read them. */
export function renderMinimalReply(entries: number, incidentId: string | undefined): string {
  const where = incidentId ? `\`/incident show ${displayId(incidentId)}\` lists them` : 'the approval message above shows where it stands';
  return `_Slack refused a reply of ${entries} ${entries === 1 ? 'entry' : 'entries'}; ${where}._`;
}
