/** Words and controls for an incident's Alertmanager silence. */
import type { SilenceCommandOutcome } from '../../../commands/command.js';
import { displayId, type Incident, type IncidentSilence, type SilenceFact } from '../../incidents/incident.js';
import { SILENCE_CHOICES, type SilenceChoice } from '../../incidents/silence.js';
import { ACTION_IDS, incidentButtonValue, silenceOptionValue } from '../contract.js';
import type { ButtonElement, StaticSelectElement } from './block-kit.js';
import { escapeText } from './escape.js';
import { mention } from './mention.js';

const CHOICE_TEXT: Record<SilenceChoice, string> = { '1h': '1h', '4h': '4h', '24h': '24h', until_resolved: 'until resolved' };

/** A time each reader sees in their own zone. */
function slackTime(iso: string): string {
  const ms = Date.parse(iso);
  if (!Number.isFinite(ms)) return escapeText(iso);
  return `<!date^${Math.floor(ms / 1000)}^{date_short_pretty} {time}|${new Date(ms).toISOString()}>`;
}

function who(actor: string): string {
  return actor === 'alertmanager' ? 'someone in Alertmanager' : mention(actor);
}

/** "silenced by X until T", as the message shows it. */
export function silenceLine(silence: IncidentSilence): string {
  const until = silence.untilResolved ? 'until the incident resolves' : `until ${slackTime(silence.endsAt)}`;
  return `:mute: Silenced in Alertmanager by ${who(silence.by)} ${until}`;
}

/** The menu while unsilenced, the Unsilence button while silenced; none once resolved. */
export function silenceControl(incident: Incident): ButtonElement | StaticSelectElement | undefined {
  if (incident.state === 'resolved') return undefined;
  if (incident.silence) {
    return {
      type: 'button',
      action_id: ACTION_IDS.incidentUnsilence,
      text: { type: 'plain_text', text: 'Unsilence' },
      value: incidentButtonValue(incident.id),
    };
  }
  return {
    type: 'static_select',
    action_id: ACTION_IDS.incidentSilence,
    placeholder: { type: 'plain_text', text: 'Silence…' },
    options: SILENCE_CHOICES.map((choice) => ({ text: { type: 'plain_text', text: CHOICE_TEXT[choice] }, value: silenceOptionValue(incident.id, choice) })),
  };
}

/** A silence entry of the timeline and thread. */
export function renderSilenceFact(actor: string, fact: SilenceFact): string {
  switch (fact.verb) {
    case 'silenced':
      return `Silenced in Alertmanager by ${who(actor)} ${fact.untilResolved ? 'until the incident resolves' : `until ${slackTime(fact.endsAt)}`} (silence \`${escapeText(fact.silenceId)}\`)`;
    case 'unsilenced':
      return actor === 'bot' ? `Silence \`${escapeText(fact.silenceId)}\` ended` : `Silence \`${escapeText(fact.silenceId)}\` expired by ${who(actor)}`;
    case 'refused':
      return `${mention(actor)} tried to silence the incident: refused (only the service's approvers and on-call group may)`;
    case 'failed':
      return `Silencing by ${mention(actor)} failed: ${escapeText(fact.reason)}`;
  }
}

export const SILENCE_REFUSED = "Only this service's approvers and its on-call group may silence its alerts.";
export const SILENCE_UNAVAILABLE = 'Silences are not set up on this bot (ALERTMANAGER_URL is unset).';
export const SILENCE_NO_LABELS = 'This incident has no group labels to silence by.';

/** What the clicker is told when Alertmanager did not do it. */
export function silenceFailedText(reason: string): string {
  return `Alertmanager did not make the change: ${escapeText(reason)}`;
}

/** The silence's comment in Alertmanager: which incident, where to find it, and why when someone said. */
export function silenceComment(incident: Incident, messageLink: string | undefined, reason?: string): string {
  return `${displayId(incident.id)} silenced from Slack${messageLink ? `: ${messageLink}` : ''}${reason ? ` (reason: ${reason})` : ''}`;
}

/** What the clicker is told once the silence is made. */
export function silencedText(silence: IncidentSilence): string {
  return silenceLine(silence);
}

export function alreadySilencedText(silence: IncidentSilence): string {
  return `Already silenced (silence \`${escapeText(silence.id)}\`); use Unsilence first to choose another length.`;
}

export const SILENCE_BUSY = 'Someone is silencing this incident right now; look at the message in a moment.';

/** What the person who chose, clicked or typed is told. */
export function silenceOutcomeText(outcome: SilenceCommandOutcome): string {
  switch (outcome.kind) {
    case 'silenced':
      return silencedText(outcome.silence);
    case 'refused':
      return SILENCE_REFUSED;
    case 'already':
      return alreadySilencedText(outcome.silence);
    case 'no_labels':
      return SILENCE_NO_LABELS;
    case 'busy':
      return SILENCE_BUSY;
    case 'failed':
      return silenceFailedText(outcome.reason);
    case 'unsilenced':
      return `Silence \`${escapeText(outcome.silenceId)}\` expired in Alertmanager.`;
    case 'not_silenced':
      return 'This incident has no silence to expire.';
  }
}
