import type { App, ReceiverEvent } from '@slack/bolt';
import type { Logger } from 'pino';
import { renderUnanswerable, renderUnanswerableModal } from '../render/interaction-refusal.js';
import { type Refusal, triage } from './payload-triage.js';

/** How long an answer on a response_url may take before it is given up (and logged). */
const RESPOND_TIMEOUT_MS = 5_000;

/**
 * The acknowledgement itself carries the answer when there is no response_url: a form's
 * modal is replaced by one saying so, a menu gets no options, anything else a text.
 */
function acknowledgement(refusal: Refusal): unknown {
  if (refusal.responseUrl) return undefined;
  if (refusal.interaction === 'view_submission') return { response_action: 'update', view: renderUnanswerableModal(refusal.what) };
  if (refusal.interaction === 'block_suggestion') return { options: [] };
  return renderUnanswerable(refusal.what);
}

async function answer(event: ReceiverEvent, refusal: Refusal, log: Logger): Promise<void> {
  await event.ack(acknowledgement(refusal));
  log.warn({ interaction: refusal.interaction, refused: refusal.what.kind, user: refusal.user }, 'interaction the bot cannot act on: answered, nothing done');
  if (!refusal.responseUrl) return;
  const res = await fetch(refusal.responseUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json; charset=utf-8' },
    body: JSON.stringify({ response_type: 'ephemeral', replace_original: false, text: renderUnanswerable(refusal.what) }),
    signal: AbortSignal.timeout(RESPOND_TIMEOUT_MS),
  });
  await res.body?.cancel();
  if (!res.ok) log.warn({ status: res.status, interaction: refusal.interaction }, 'answer to an interaction the bot cannot act on was refused by Slack');
}

/**
 * Puts the triage in front of Bolt's routing, for both receivers: a payload the listeners
 * can act on goes on to Bolt; any other is acknowledged at once and answered here, and
 * nothing is stored for it.
 */
export function answerUnanswerable(app: App, commands: ReadonlySet<string>, log: Logger): void {
  const route = app.processEvent.bind(app);
  app.processEvent = async (event) => {
    const verdict = triage(event.body, commands);
    if (verdict.to === 'listeners') return route(event);
    await answer(event, verdict, log).catch((error: unknown) => log.error({ err: error, interaction: verdict.interaction }, 'interaction not answered'));
  };
}
