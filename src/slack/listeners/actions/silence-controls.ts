import type { App, BlockStaticSelectAction } from '@slack/bolt';
import type { Logger } from 'pino';
import type { SilenceOutcome, Silences } from '../../../alertmanager/silences.js';
import type { IncidentService } from '../../../incidents/service.js';
import { ACTION_IDS, IncidentButtonValue, parseButtonValue, SilenceOptionValue } from '../../contract.js';
import {
  alreadySilencedText,
  SILENCE_BUSY,
  SILENCE_NO_LABELS,
  SILENCE_REFUSED,
  SILENCE_UNAVAILABLE,
  silenceComment,
  silencedText,
  silenceFailedText,
} from '../../render/silence.js';
import { audited } from '../audit.js';
import { registerButton } from './button.js';

const STALE_MENU = 'This menu is from a message this version of the bot cannot read any more. Use `/incident list` to find the incident.';

function outcomeText(outcome: SilenceOutcome | undefined): string | undefined {
  switch (outcome?.kind) {
    case undefined:
      return undefined;
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
  }
}

/** Slack's permalink form, built from the click: no extra API call. */
function messageLink(body: BlockStaticSelectAction): string | undefined {
  const domain = body.team?.domain;
  const channel = body.container.channel_id as string | undefined;
  const ts = body.container.message_ts as string | undefined;
  return domain && channel && ts ? `https://${domain}.slack.com/archives/${channel}/p${ts.replace('.', '')}` : undefined;
}

/** The Silence… menu and the Unsilence button; without ALERTMANAGER_URL (`silences` undefined) an old one is answered plainly. */
export function registerSilenceControls(app: App, incidents: IncidentService, silences: Silences | undefined, log: Logger): void {
  app.action<BlockStaticSelectAction>({ type: 'block_actions', action_id: ACTION_IDS.incidentSilence }, async ({ ack, body, action, respond }) => {
    await ack();
    const say = (text: string) => respond({ response_type: 'ephemeral', replace_original: false, text });
    const value = parseButtonValue(SilenceOptionValue, action.selected_option.value);
    if (value === undefined) return void (await say(STALE_MENU));
    if (!silences) return void (await say(SILENCE_UNAVAILABLE));
    let reply: string | undefined;
    const userName = body.user.name ?? body.user.username ?? body.user.id;
    const interaction = { actor: body.user.id, action: ACTION_IDS.incidentSilence, incidentId: value.incident, detail: value.for };
    const failure = await audited(incidents, log, interaction, async () => {
      const link = messageLink(body);
      const outcome = await silences.silence({
        incidentId: value.incident,
        userId: body.user.id,
        userName,
        choice: value.for,
        comment: (i) => silenceComment(i, link),
      });
      reply = outcomeText(outcome);
    });
    const text = failure ?? reply;
    if (text) await say(text);
  });
  registerButton(app, incidents, log, {
    actionId: ACTION_IDS.incidentUnsilence,
    value: IncidentButtonValue,
    incidentOf: (value) => value.incident,
    run: async ({ incident }, userId) => (silences ? outcomeText(await silences.unsilence(incident, userId)) : SILENCE_UNAVAILABLE),
  });
}
