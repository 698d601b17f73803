/**
 * The App Home tab of one person: what needs them first (approvals waiting for them), then
 * open incidents, running actions and the kill switch. Pure: the facts come from
 * src/slack/views/home-tab.ts, and the buttons are the channel's own (same action_ids and
 * values), so the listeners that answer them in a channel answer them here too.
 */
import { describeAction, displayActionId, type Action, type ActionEntry } from '../../actions/action.js';
import type { KillSwitch } from '../../actions/store.js';
import { displayId, severityOf, severityRank, startedAt, titleOf, type Incident } from '../../incidents/incident.js';
import { ACTION_IDS, automationButtonValue } from '../contract.js';
import { actionButtons } from './action-message.js';
import type { Block, ButtonElement } from './block-kit.js';
import { escapeText } from './escape.js';
import { MAX_CONTEXT_TEXT, MAX_SECTION_TEXT, truncate } from './limits.js';
import { mention } from './mention.js';
import { renderActionEntry } from './timeline.js';
import { messageLink } from './permalink.js';

/** Slack refuses a home view with more blocks (https://docs.slack.dev/reference/views). */
export const MAX_HOME_BLOCKS = 100;
/**
 * How many of each list are shown. With two blocks per approval and one per incident or
 * action, the worst case is 11 fixed blocks + 2×20 + 30 + 15 = 96, under MAX_HOME_BLOCKS.
 */
export const HOME_LIMITS = { approvals: 20, incidents: 30, running: 15 } as const;

export interface HomeIncident {
  incident: Incident;
  /** The incident's message, once it is posted. */
  message?: { channel: string; ts: string };
}

export interface HomeRunning {
  action: Action;
  /** Its latest timeline entry: the step it is at. */
  step?: ActionEntry;
}

export interface HomeFacts {
  userId: string;
  /** Open incidents, any order; `totalIncidents` counts those not given too. */
  incidents: readonly HomeIncident[];
  totalIncidents: number;
  running: readonly HomeRunning[];
  /** Requests this person may approve and has not yet. */
  approvals: readonly Action[];
  killSwitch: KillSwitch | undefined;
  /** Whether this person may pause and resume automation. */
  mayPause: boolean;
  /** What the bot answered to this person's last click on the tab. */
  notice?: string;
}

export interface HomeView {
  type: 'home';
  blocks: Block[];
}

/** "3d 4h", "2h 5m", "7m", "under a minute". */
export function formatAge(ms: number): string {
  const minutes = Math.floor(Math.max(0, ms) / 60_000);
  if (minutes < 1) return 'under a minute';
  const days = Math.floor(minutes / 1440);
  const hours = Math.floor((minutes % 1440) / 60);
  if (days > 0) return `${days}d ${hours}h`;
  if (hours > 0) return `${hours}h ${minutes % 60}m`;
  return `${minutes}m`;
}

const section = (text: string): Block => ({ type: 'section', text: { type: 'mrkdwn', text: truncate(text, MAX_SECTION_TEXT) } });
const context = (text: string): Block => ({ type: 'context', elements: [{ type: 'mrkdwn', text: truncate(text, MAX_CONTEXT_TEXT) }] });
const header = (text: string): Block => ({ type: 'header', text: { type: 'plain_text', text } });
const more = (omitted: number): Block[] => (omitted > 0 ? [context(`_…and ${omitted} more._`)] : []);

/** Most severe first, then the oldest: the order `/incident list` uses. */
export function incidentOrder(a: Incident, b: Incident): number {
  return severityRank(b) - severityRank(a) || Date.parse(startedAt(a)) - Date.parse(startedAt(b));
}

function incidentLine({ incident, message }: HomeIncident, now: Date): string {
  const name = `*${displayId(incident.id)}* ${escapeText(titleOf(incident))}`;
  const linked = message ? `<${messageLink(message.channel, message.ts)}|${name}>` : name;
  const age = formatAge(now.getTime() - Date.parse(startedAt(incident)));
  return `${linked} · ${escapeText(severityOf(incident))} · ${incident.state} · ${age} · ${escapeText(incident.service ?? 'unknown service')}`;
}

function approvalBlocks(action: Action): Block[] {
  // The channel's own Approve (or Approve anyway) and Deny; Cancel stays with the requester in the channel.
  const buttons = actionButtons(action).filter((b) => b.action_id !== ACTION_IDS.actionCancel);
  const approvals = `${action.approvedBy.length} of ${action.approvalsRequired} approvals`;
  return [
    section(
      `*${displayActionId(action.id)}*: ${escapeText(describeAction(action))} · requested by ${mention(action.requestedBy)} · ${approvals}\n${escapeText(action.reason || '(no reason given)')}`,
    ),
    { type: 'actions', block_id: `home-approval-${action.id}`, elements: buttons },
  ];
}

function killSwitchBlocks(paused: KillSwitch | undefined, mayPause: boolean): Block[] {
  const state = paused
    ? `:octagonal_sign: Automation is *paused* by ${mention(paused.by)} since ${escapeText(paused.at)}: ${escapeText(paused.reason)}`
    : ':large_green_circle: Automation is *running*: approved actions run.';
  const blocks = [section(state)];
  if (!mayPause) return blocks;
  const value = automationButtonValue();
  const button: ButtonElement = paused
    ? { type: 'button', action_id: ACTION_IDS.automationResume, text: { type: 'plain_text', text: 'Resume automation' }, value, style: 'primary' }
    : {
        type: 'button',
        action_id: ACTION_IDS.automationPause,
        text: { type: 'plain_text', text: 'Pause automation' },
        value,
        style: 'danger',
        confirm: {
          title: { type: 'plain_text', text: 'Pause all automation?' },
          text: { type: 'plain_text', text: 'Nothing new runs (approved actions are held, rollouts stop before their next batch) until someone resumes it.' },
          confirm: { type: 'plain_text', text: 'Pause' },
          deny: { type: 'plain_text', text: 'Keep running' },
        },
      };
  return [...blocks, { type: 'actions', block_id: 'home-kill-switch', elements: [button] }];
}

export function renderHomeView(facts: HomeFacts, now: Date): HomeView {
  const blocks: Block[] = [header('Incidents and actions')];
  if (facts.notice) blocks.push(context(facts.notice));

  const approvals = facts.approvals.slice(0, HOME_LIMITS.approvals);
  blocks.push(header(`Waiting for your approval (${facts.approvals.length})`));
  if (approvals.length === 0) blocks.push(context('Nothing waits for you.'));
  for (const action of approvals) blocks.push(...approvalBlocks(action));
  blocks.push(...more(facts.approvals.length - approvals.length));

  const incidents = [...facts.incidents].sort((a, b) => incidentOrder(a.incident, b.incident)).slice(0, HOME_LIMITS.incidents);
  const totalIncidents = Math.max(facts.totalIncidents, facts.incidents.length);
  blocks.push(header(`Open incidents (${totalIncidents})`));
  if (incidents.length === 0) blocks.push(context('No open incidents. :tada:'));
  for (const entry of incidents) blocks.push(section(incidentLine(entry, now)));
  blocks.push(...more(totalIncidents - incidents.length));

  const running = facts.running.slice(0, HOME_LIMITS.running);
  blocks.push(header(`Running actions (${facts.running.length})`));
  if (running.length === 0) blocks.push(context('No action is running.'));
  for (const { action, step } of running) {
    const at = step ? renderActionEntry(step) : 'started';
    blocks.push(section(`*${displayActionId(action.id)}*: ${escapeText(describeAction(action))}\n${at}`));
  }
  blocks.push(...more(facts.running.length - running.length));

  blocks.push(header('Kill switch'), ...killSwitchBlocks(facts.killSwitch, facts.mayPause));
  return { type: 'home', blocks };
}
