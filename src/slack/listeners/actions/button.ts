import type { App, BlockButtonAction } from '@slack/bolt';
import type { Logger } from 'pino';
import type { z } from 'zod';
import type { IncidentService } from '../../../incidents/service.js';
import { parseButtonValue } from '../../contract.js';
import { audited } from '../audit.js';

const STALE_BUTTON = 'This button is from a message this version of the bot cannot read any more. Use `/incident list` to find the incident.';

export interface ButtonSpec<T> {
  actionId: string;
  value: z.ZodType<T>;
  /** The incident the click is about, for the audit trail. */
  incidentOf?: (value: T) => string | undefined;
  /** Does what the click asks; a returned sentence is shown to the clicker alone. */
  run: (value: T, userId: string) => Promise<string | undefined>;
}

/**
 * Answers a click on a view (the App Home tab): such a click has no message and no
 * response_url, so the view itself shows the outcome and the sentence for the clicker.
 */
export type ViewClickAnswer = (userId: string, text: string | undefined) => Promise<void>;

/**
 * One button listener: ack at once, read the value (an unreadable one gets a clear
 * ephemeral answer), do the work audited, and tell the clicker when it was refused.
 */
export function registerButton<T>(app: App, incidents: IncidentService, log: Logger, spec: ButtonSpec<T>, inView?: ViewClickAnswer): void {
  app.action<BlockButtonAction>({ type: 'block_actions', action_id: spec.actionId }, async ({ ack, body, action, respond }) => {
    await ack();
    const value = parseButtonValue(spec.value, action.value);
    const fromView = (body.container as { type?: unknown } | undefined)?.type === 'view';
    const say = async (text: string | undefined) => {
      if (!fromView) await respond({ response_type: 'ephemeral', replace_original: false, text: text ?? '' });
      else if (inView) await inView(body.user.id, text);
      else log.warn({ actionId: spec.actionId, user: body.user.id, answer: text }, 'click on a view this button is not answered on; the answer is dropped');
    };
    if (value === undefined) {
      log.warn({ actionId: spec.actionId, user: body.user.id }, 'button with an unreadable value');
      await incidents
        .audit({ actor: body.user.id, action: spec.actionId, outcome: 'refused', error: 'unreadable button value' })
        .catch((error: unknown) => log.error({ err: error }, 'audit entry not written'));
      await say(STALE_BUTTON);
      return;
    }
    let reply: string | undefined;
    const incidentId = spec.incidentOf?.(value);
    const failure = await audited(incidents, log, { actor: body.user.id, action: spec.actionId, ...(incidentId ? { incidentId } : {}) }, async () => {
      reply = await spec.run(value, body.user.id);
    });
    const text = failure ?? reply;
    // A view shows the outcome even when there is nothing to say: its buttons must match the state.
    if (text || fromView) await say(text);
  });
}
