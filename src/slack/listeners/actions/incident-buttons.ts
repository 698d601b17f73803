import type { App, BlockButtonAction } from '@slack/bolt';
import type { Logger } from 'pino';
import type { IncidentService } from '../../../incidents/service.js';
import { ACTION_IDS, parseIncidentButtonValue } from '../../contract.js';
import { audited } from '../audit.js';

const STALE_BUTTON = 'This button is from a message this version of the bot cannot read any more. Use `/incident list` to find the incident.';

/** The Acknowledge and Resolve buttons on an incident message. */
export function registerIncidentButtons(app: App, incidents: IncidentService, log: Logger): void {
  const handlers = {
    [ACTION_IDS.incidentAck]: (id: string, user: string) => incidents.acknowledge(id, user),
    [ACTION_IDS.incidentResolve]: (id: string, user: string) => incidents.resolve(id, user),
  };
  for (const [actionId, apply] of Object.entries(handlers)) {
    app.action<BlockButtonAction>({ type: 'block_actions', action_id: actionId }, async ({ ack, body, action, respond }) => {
      await ack();
      const value = parseIncidentButtonValue(action.value);
      if (!value) {
        log.warn({ actionId, user: body.user.id }, 'button with an unreadable value');
        await incidents
          .audit({ actor: body.user.id, action: actionId, outcome: 'refused', error: 'unreadable button value' })
          .catch((error: unknown) => log.error({ err: error }, 'audit entry not written'));
        await respond({ response_type: 'ephemeral', replace_original: false, text: STALE_BUTTON });
        return;
      }
      const failure = await audited(incidents, log, { actor: body.user.id, action: actionId, incidentId: value.incident }, async () => {
        await apply(value.incident, body.user.id);
      });
      if (failure) await respond({ response_type: 'ephemeral', replace_original: false, text: failure });
    });
  }
}
