import { createHmac, randomBytes } from 'node:crypto';

export interface SignedRequestOptions {
  signingSecret: string;
  /** Seconds since the epoch; defaults to now. Older than five minutes is stale to Bolt. */
  timestamp?: number;
}

/** Signs a body the way Slack does (v0 HMAC-SHA256 over "v0:timestamp:body"). */
export function slackSignature(body: string, { signingSecret, timestamp = Math.floor(Date.now() / 1000) }: SignedRequestOptions) {
  const signature = `v0=${createHmac('sha256', signingSecret).update(`v0:${timestamp}:${body}`).digest('hex')}`;
  return { 'x-slack-signature': signature, 'x-slack-request-timestamp': String(timestamp) };
}

export type SigningMode = 'valid' | 'forged' | 'stale' | 'future' | 'unsigned';

/** POSTs a form body to /slack/events, signed correctly or in one of the ways the bot must refuse. */
export async function postToSlackEndpoint(
  baseUrl: string,
  form: Record<string, string>,
  signingSecret: string,
  mode: SigningMode = 'valid',
): Promise<Response> {
  const body = new URLSearchParams(form).toString();
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' };
  if (mode === 'valid') Object.assign(headers, slackSignature(body, { signingSecret }));
  if (mode === 'forged') Object.assign(headers, slackSignature(body, { signingSecret: `${signingSecret}-forged` }));
  if (mode === 'stale') Object.assign(headers, slackSignature(body, { signingSecret, timestamp: Math.floor(Date.now() / 1000) - 10 * 60 }));
  if (mode === 'future') Object.assign(headers, slackSignature(body, { signingSecret, timestamp: Math.floor(Date.now() / 1000) + 10 * 60 }));
  return fetch(`${baseUrl}/slack/events`, { method: 'POST', headers, body });
}

let interactions = 0;

/**
 * Slack gives every interaction a trigger_id of its own, so no two requests it signs are
 * the same; the bot refuses a signed request it has seen before as a replay.
 */
function triggerId(): string {
  interactions += 1;
  return `${interactions}.${Date.now()}.${randomBytes(6).toString('hex')}`;
}

export function slashCommandForm(command: string, text: string, responseUrl: string, userId = 'U0ALICE'): Record<string, string> {
  return {
    token: 'legacy-verification-token',
    team_id: 'T0TEAM',
    team_domain: 'example',
    channel_id: 'C0INCIDENTS',
    channel_name: 'incidents',
    user_id: userId,
    user_name: userId.toLowerCase(),
    command,
    text,
    api_app_id: 'A0APP',
    response_url: responseUrl,
    trigger_id: triggerId(),
  };
}

/** Where a message's control was used, as Slack names it in a block_actions payload, with the response_url it gives. */
type MessageSpot = { channel: string; ts: string };

function onMessage(on: MessageSpot, responseUrl: string): Record<string, unknown> {
  return {
    channel: { id: on.channel, name: 'incidents' },
    container: { type: 'message', message_ts: on.ts, channel_id: on.channel, is_ephemeral: false },
    message: { ts: on.ts, text: 'incident' },
    response_url: responseUrl,
  };
}

/** A block_actions payload: who acted (Slack adds `name` for a select), where (`spot`), and the one element used. */
function blockActionsForm(user: { id: string; name?: string }, spot: Record<string, unknown>, action: Record<string, unknown>): Record<string, string> {
  const payload = {
    type: 'block_actions',
    user: { id: user.id, username: user.id.toLowerCase(), ...(user.name ? { name: user.name } : {}), team_id: 'T0TEAM' },
    api_app_id: 'A0APP',
    token: 'legacy-verification-token',
    team: { id: 'T0TEAM', domain: 'example' },
    ...spot,
    trigger_id: triggerId(),
    actions: [{ ...action, action_ts: '1700000001.000000' }],
  };
  return { payload: JSON.stringify(payload) };
}

/**
 * A block_actions click on a button of the message `on` (its channel and ts, as Slack names
 * them in the payload). The bot reads neither the channel's name nor the message's text, so
 * those stay fixed.
 */
export function buttonClickForm(
  actionId: string,
  value: string,
  responseUrl: string,
  userId = 'U0ALICE',
  on: MessageSpot = { channel: 'C0INCIDENTS', ts: '1700000000.000001' },
): Record<string, string> {
  return blockActionsForm({ id: userId }, onMessage(on, responseUrl), {
    type: 'button',
    action_id: actionId,
    block_id: 'incident',
    value,
    text: { type: 'plain_text', text: 'x' },
  });
}

/** A choice of `optionValue` in a static_select of the message `on`, by `user` (with the name Slack sends). */
export function selectChoiceForm(
  actionId: string,
  blockId: string,
  optionValue: string,
  responseUrl: string,
  user: { id: string; name: string },
  on: MessageSpot,
): Record<string, string> {
  return blockActionsForm(user, onMessage(on, responseUrl), {
    type: 'static_select',
    action_id: actionId,
    block_id: blockId,
    selected_option: { text: { type: 'plain_text', text: 'x' }, value: optionValue },
  });
}

/** POSTs a JSON body (an Events API callback) to /slack/events, signed correctly. */
export async function postSignedJson(baseUrl: string, body: unknown, signingSecret: string): Promise<Response> {
  const raw = JSON.stringify(body);
  const headers = { 'content-type': 'application/json', ...slackSignature(raw, { signingSecret }) };
  return fetch(`${baseUrl}/slack/events`, { method: 'POST', headers, body: raw });
}

/** `app_home_opened` as Slack sends it when `userId` opens the bot's `tab`; its event_id is new each time, as Slack's are. */
export function appHomeOpenedEvent(userId: string, tab: 'home' | 'messages' = 'home'): Record<string, unknown> {
  const id = triggerId();
  return {
    token: 'legacy-verification-token',
    team_id: 'T0TEAM',
    api_app_id: 'A0APP',
    event: { type: 'app_home_opened', user: userId, channel: `D0${userId.slice(1)}`, tab, event_ts: `${Math.floor(Date.now() / 1000)}.000100` },
    type: 'event_callback',
    event_id: `Ev${id.replace(/\W/g, '')}`,
    event_time: Math.floor(Date.now() / 1000),
    authorizations: [{ team_id: 'T0TEAM', user_id: 'U0BOT', is_bot: true }],
  };
}

/**
 * A block_actions click on a button of the bot's Home tab: Slack sends no channel, no
 * message and no response_url with it, only the view.
 */
export function viewButtonClickForm(actionId: string, value: string, userId: string, viewId = 'V0HOME'): Record<string, string> {
  const spot = {
    container: { type: 'view', view_id: viewId },
    view: { id: viewId, type: 'home', team_id: 'T0TEAM', blocks: [], app_id: 'A0APP', bot_id: 'B0BOT' },
  };
  return blockActionsForm({ id: userId }, spot, { type: 'button', action_id: actionId, block_id: 'home', value, text: { type: 'plain_text', text: 'x' } });
}

/** The message a message shortcut was used on, as Slack describes it in the payload. */
export interface ShortcutMessage {
  channel: string;
  ts: string;
  user: string;
  text: string;
  thread_ts?: string;
}

/** A message_action payload: `userId` used the message shortcut `callbackId` on `message`. */
export function messageShortcutForm(callbackId: string, message: ShortcutMessage, responseUrl: string, userId = 'U0ALICE'): Record<string, string> {
  const { channel, ...rest } = message;
  const payload = {
    type: 'message_action',
    token: 'legacy-verification-token',
    action_ts: `${Math.floor(Date.now() / 1000)}.000200`,
    team: { id: 'T0TEAM', domain: 'example' },
    user: { id: userId, username: userId.toLowerCase(), name: userId.toLowerCase(), team_id: 'T0TEAM' },
    channel: { id: channel, name: 'incidents' },
    is_enterprise_install: false,
    enterprise: null,
    callback_id: callbackId,
    trigger_id: triggerId(),
    response_url: responseUrl,
    message_ts: message.ts,
    message: { type: 'message', ...rest },
  };
  return { payload: JSON.stringify(payload) };
}

/** `reaction_added` as Slack sends it when `userId` reacts with `reaction` to the message `channel`/`ts` (written by `author`). */
export function reactionAddedEvent(userId: string, reaction: string, item: { channel: string; ts: string }, author = 'U0BOB'): Record<string, unknown> {
  const id = triggerId();
  return {
    token: 'legacy-verification-token',
    team_id: 'T0TEAM',
    api_app_id: 'A0APP',
    event: {
      type: 'reaction_added',
      user: userId,
      reaction,
      item_user: author,
      item: { type: 'message', channel: item.channel, ts: item.ts },
      event_ts: `${Math.floor(Date.now() / 1000)}.000300`,
    },
    type: 'event_callback',
    event_id: `Ev${id.replace(/\W/g, '')}`,
    event_time: Math.floor(Date.now() / 1000),
    authorizations: [{ team_id: 'T0TEAM', user_id: 'U0BOT', is_bot: true }],
  };
}
