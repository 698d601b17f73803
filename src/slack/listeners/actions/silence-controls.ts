import type { App, BlockStaticSelectAction } from '@slack/bolt';
import type { Logger } from 'pino';
import type { SilenceCommands } from '../../../../commands/command.js';
import type { SilenceOutcome, Silences } from '../../../alertmanager/silences.js';
import type { IncidentService } from '../../../incidents/service.js';
import type { SlackMessageRef } from '../../../incidents/store.js';
import { ACTION_IDS, IncidentButtonValue, parseButtonValue, SilenceOptionValue } from '../../contract.js';
import { SILENCE_UNAVAILABLE, silenceComment, silenceOutcomeText } from '../../render/silence.js';
import { messageLink } from '../../render/permalink.js';
import { audited } from '../audit.js';
import { registerButton } from './button.js';

const STALE_MENU = 'This menu is from a message this version of the bot cannot read any more. Use `/incident list` to find the incident.';

function outcomeText(outcome: SilenceOutcome | undefined): string | undefined {
  return outcome && silenceOutcomeText(outcome);
}

type MessageOf = (incidentId: string) => Promise<SlackMessageRef | undefined>;

/**
 * The link a silence's comment carries: the incident's own message, whichever copy (the
 * thread's or the war room's) was clicked and whether the menu or the command was used.
 */
async function incidentLink(messageOf: MessageOf, incidentId: string): Promise<string | undefined> {
  const ref = await messageOf(incidentId);
  return ref ? messageLink(ref.channel, ref.ts) : undefined;
}

/** The Silence… menu and the Unsilence button; without ALERTMANAGER_URL (`silences` undefined) an old one is answered plainly. */
export function registerSilenceControls(app: App, incidents: IncidentService, silences: Silences | undefined, messageOf: MessageOf, log: Logger): void {
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
      const link = await incidentLink(messageOf, value.incident);
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

/** `/incident silence` and `unsilence`: the menu's and the button's path, answered in the same words. */
export function silenceCommands(silences: Silences, incidents: IncidentService, messageOf: MessageOf): SilenceCommands {
  return {
    silence: async ({ incidentId, userId, userName, length, reason }) => {
      const link = await incidentLink(messageOf, incidentId);
      return silences.silence({ incidentId, userId, userName, choice: length, comment: (i) => silenceComment(i, link, reason) });
    },
    unsilence: async (incidentId, userId) => {
      const before = (await incidents.get(incidentId)).silence;
      const outcome = await silences.unsilence(incidentId, userId);
      return outcome ?? (before ? { kind: 'unsilenced', silenceId: before.id } : { kind: 'not_silenced' });
    },
  };
}
