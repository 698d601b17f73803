import type { App, BlockAction } from '@slack/bolt';
import type { Logger } from 'pino';
import type { IncidentService } from '../../../incidents/service.js';
import { KNOWN_ACTION_IDS } from '../../contract.js';
import { renderUnknownButton } from '../../render/command-usage.js';

/**
 * Old messages stay clickable for years: an action_id this version does not know gets a
 * clear answer instead of a silent timeout. Known ids are left to their own listener,
 * which acknowledges them.
 */
export function registerUnknownActions(app: App, incidents: IncidentService, log: Logger): void {
  app.action<BlockAction>({ type: 'block_actions', action_id: /.*/ }, async ({ ack, body, action, respond }) => {
    const actionId = 'action_id' in action ? action.action_id : '';
    if (KNOWN_ACTION_IDS.has(actionId)) return;
    await ack();
    log.warn({ actionId, user: body.user.id }, 'unknown action clicked');
    await incidents
      .audit({ actor: body.user.id, action: actionId, outcome: 'refused', error: 'unknown action_id' })
      .catch((error: unknown) => log.error({ err: error }, 'audit entry not written'));
    await respond({
      response_type: 'ephemeral',
      replace_original: false,
      text: renderUnknownButton(actionId),
    });
  });
}
