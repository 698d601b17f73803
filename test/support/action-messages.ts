/**
 * Finding an action's approval message and acting on it as a person would: the helpers
 * the fleet tests share. Every helper takes the rig at each call (see slack-session.ts).
 */
import { expect } from 'vitest';
import { buttonValue, click, type Message, type SlackRig } from './slack-session.js';
import { storedAction } from './stored.js';
import { found, waitFor } from './wait.js';

/** The action's message once its fallback text says `[STATE] ACT-<id> `, posted or updated. */
export function actionMessage(r: SlackRig, id: string, state: string): Promise<Message> {
  return found(
    () => {
      const calls = [...r.slack.callsTo('chat.postMessage'), ...r.slack.callsTo('chat.update')];
      const call = calls.find((c) => String(c.params.text).startsWith(`[${state}] ACT-${id} `));
      return call && { channel: String(call.params.channel), ts: String(call.result?.ts ?? call.params.ts), post: call };
    },
    { timeoutMs: 20_000, message: `no message of ACT-${id} in state ${state}` },
  );
}

/** Clicks Approve on the request as U0BOB, an approver who did not request it. */
export async function approve(r: SlackRig, id: string): Promise<void> {
  const message = await actionMessage(r, id, 'REQUESTED');
  expect(await click(r, 'action.approve', buttonValue(message.post, 'action.approve'), 'U0BOB', message)).toBe(200);
}

export function waitForState(r: SlackRig, id: string, state: string, timeoutMs = 30_000): Promise<unknown> {
  return waitFor(async () => (await storedAction(r, id)).state === state, { timeoutMs, message: `ACT-${id} never became ${state}` });
}

/** The id of the action a reply says was requested ("ACT-7 requested…"). */
export function requestedId(reply: Record<string, unknown>): string {
  const id = /ACT-(\d+) requested/.exec(String(reply.text))?.[1];
  if (!id) throw new Error(`nothing was requested: ${String(reply.text)}`);
  return id;
}
