/**
 * Talking to a test bot the way Slack does, and reading what it answered.
 *
 * Requests go through Bolt's real HTTP receiver, signed with the test signing secret. The
 * answers are read where Slack would get them: what the bot posted to the response_url
 * (ephemeral replies) and the Web API calls the fake Slack recorded (messages, updates,
 * thread replies).
 *
 * Every helper takes the rig ({ slack, bot }) at each call instead of binding one bot up
 * front, so a test that replaces its bot (a restart on the same key prefix) talks to the
 * current one.
 */
import { afterAll, afterEach, beforeAll, expect } from 'vitest';
import { SIGNING_SECRET, startTestBot, type TestBot, type TestBotOptions } from './bot.js';
import { FakeSlack, type SlackCall } from './fake-slack.js';
import { notification, uniqueGroup } from './fixtures.js';
import {
  appHomeOpenedEvent,
  buttonClickForm,
  messageShortcutForm,
  postSignedJson,
  postToSlackEndpoint,
  reactionAddedEvent,
  type ShortcutMessage,
  slashCommandForm,
  viewButtonClickForm,
} from './slack-signing.js';
import { found } from './wait.js';

export interface SlackRig {
  slack: FakeSlack;
  bot: TestBot;
  /** How long to wait for an answer on the response_url; unset, FakeSlack.waitForCalls' 5 s. */
  replyTimeoutMs?: number;
}

/**
 * A rig over variables that a beforeAll assigns later (or a test replaces): read at each
 * call, so the helpers always talk to the current Slack and bot.
 */
export function lateRig(slack: () => FakeSlack, bot: () => TestBot, replyTimeoutMs?: number): SlackRig {
  return {
    get slack() {
      return slack();
    },
    get bot() {
      return bot();
    },
    ...(replyTimeoutMs === undefined ? {} : { replyTimeoutMs }),
  };
}

/** A message the bot posted: where it is, and the call that posted it. */
export interface Message {
  channel: string;
  ts: string;
  post: SlackCall;
}

/** The message whose button is clicked, as Slack names it in the click. */
export interface ClickedMessage {
  channel: string;
  ts: string;
}

/**
 * One fake Slack and one bot for all the tests of the calling file, started in beforeAll and
 * stopped in afterAll. Sharing is safe because each test opens its own incidents and counts
 * calls and audit entries from a mark it took itself. Read `slack` and `bot` inside tests
 * and hooks only: they exist once beforeAll has run. A test during which the bot called a
 * Slack method the fake does not know fails.
 */
export function rigForFile(opts: Omit<TestBotOptions, 'slack'> = {}): SlackRig {
  let slack: FakeSlack | undefined;
  let bot: TestBot | undefined;
  beforeAll(async () => {
    slack = await FakeSlack.start();
    bot = await startTestBot({ ...opts, slack });
  });
  afterEach(() => slack?.assertNoUnexpectedCalls());
  afterAll(async () => {
    await bot?.stop();
    await slack?.close();
  });
  return {
    get slack(): FakeSlack {
      if (!slack) throw new Error('rigForFile(): the fake Slack is only there once beforeAll has run');
      return slack;
    },
    get bot(): TestBot {
      if (!bot) throw new Error('rigForFile(): the bot is only there once beforeAll has run');
      return bot;
    },
  };
}

// ---------------------------------------------------------------- requests

/** POSTs a form to the bot's /slack/events, signed correctly; resolves with the HTTP status. */
export async function postSigned(r: SlackRig, form: Record<string, string>): Promise<number> {
  const res = await postToSlackEndpoint(r.bot.url, form, SIGNING_SECRET);
  // The body is never read; cancelling it releases the connection.
  await res.body?.cancel();
  return res.status;
}

/**
 * Runs `send` and resolves with its result and the first answer posted to a response_url
 * after it. The answers are counted before sending, so the answer found is this request's
 * even when earlier requests of the file were answered before. `send` gets that count, to
 * name its response_url after it.
 */
export async function withReply<T>(r: SlackRig, send: (repliesBefore: number) => Promise<T>): Promise<{ result: T; reply: Record<string, unknown> }> {
  const before = r.slack.callsTo('response_url').length;
  const result = await send(before);
  const calls = await r.slack.waitForCalls('response_url', before + 1, r.replyTimeoutMs);
  return { result, reply: calls[before]?.params ?? {} };
}

/** A signed slash command, which must get 200; resolves with what the bot posted to its response_url. */
export async function slash(r: SlackRig, command: string, text: string, userId = 'U0ALICE'): Promise<Record<string, unknown>> {
  const { reply } = await withReply(r, async (n) => {
    expect(await postSigned(r, slashCommandForm(command, text, r.slack.responseUrl(`cmd-${n}`), userId))).toBe(200);
  });
  return reply;
}

/** A signed click by `userId` on a button of the message `on`; resolves with the HTTP status. */
export function click(r: SlackRig, actionId: string, value: string, userId: string, on?: ClickedMessage): Promise<number> {
  const n = r.slack.callsTo('response_url').length;
  return postSigned(r, buttonClickForm(actionId, value, r.slack.responseUrl(`click-${n}`), userId, on));
}

/** A click, which must get 200; resolves with the (ephemeral) answer posted to its response_url. */
export async function clickForReply(r: SlackRig, actionId: string, value: string, userId: string, on?: ClickedMessage): Promise<Record<string, unknown>> {
  const { reply } = await withReply(r, async () => {
    expect(await click(r, actionId, value, userId, on)).toBe(200);
  });
  return reply;
}

/** `userId` opens the bot's Home tab (or its Messages tab): a signed app_home_opened event, which must get 200. */
export async function openHome(r: SlackRig, userId: string, tab: 'home' | 'messages' = 'home'): Promise<void> {
  const res = await postSignedJson(r.bot.url, appHomeOpenedEvent(userId, tab), SIGNING_SECRET);
  await res.body?.cancel();
  expect(res.status).toBe(200);
}

/** `userId` uses the message shortcut `callbackId` on `message`; resolves with the (ephemeral) answer posted to its response_url. */
export async function messageShortcut(r: SlackRig, callbackId: string, message: ShortcutMessage, userId = 'U0ALICE'): Promise<Record<string, unknown>> {
  const { reply } = await withReply(r, async (n) => {
    expect(await postSigned(r, messageShortcutForm(callbackId, message, r.slack.responseUrl(`shortcut-${n}`), userId))).toBe(200);
  });
  return reply;
}

/** `userId` reacts with `reaction` to the message `item`: a signed reaction_added event, which must get 200. */
export async function react(r: SlackRig, userId: string, reaction: string, item: { channel: string; ts: string }): Promise<void> {
  const res = await postSignedJson(r.bot.url, reactionAddedEvent(userId, reaction, item), SIGNING_SECRET);
  await res.body?.cancel();
  expect(res.status).toBe(200);
}

/** A signed click by `userId` on a button of their Home tab (no response_url); resolves with the HTTP status. */
export function clickInHome(r: SlackRig, actionId: string, value: string, userId: string): Promise<number> {
  return postSigned(r, viewButtonClickForm(actionId, value, userId));
}

// ---------------------------------------------------------------- messages

export function messageOf(post: SlackCall): Message {
  const ts = post.result?.ts;
  if (typeof ts !== 'string') throw new Error(`the fake Slack gave ${JSON.stringify(post.params.text)} no ts`);
  return { channel: String(post.params.channel), ts, post };
}

/** Messages posted outside threads: an incident has exactly one. */
export function topLevelPosts(r: SlackRig): SlackCall[] {
  return r.slack.callsTo('chat.postMessage').filter((c) => c.params.thread_ts === undefined);
}

export interface IncidentAlert {
  /** Default payment-service. */
  service?: string;
  /** The alert group; a fresh one by default, so a new incident opens. */
  group?: string;
  /** Default `<group>-a`; a test resolving the alert later sends the same. */
  fingerprint?: string;
  instance?: string;
}

export interface OpenedIncident extends Message {
  id: string;
  group: string;
  /** What the webhook answered: whether the notification changed anything. */
  changed: boolean;
}

/** Opens an incident through the Alertmanager webhook (one firing alert) and waits for its message. */
export async function openIncident(r: SlackRig, alert: IncidentAlert = {}): Promise<OpenedIncident> {
  const { service, group = uniqueGroup(), fingerprint = `${group}-a`, instance } = alert;
  const res = await r.bot.postWebhook(notification({ group, service, alerts: [{ fingerprint, instance }] }));
  expect(res.status).toBe(200);
  const { incident: id, changed } = (await res.json()) as { incident: string | null; changed: boolean };
  if (!id) throw new Error('the webhook opened no incident');
  const post = await found(() => topLevelPosts(r).find((c) => String(c.params.text).includes(`INC-${id} `)), {
    timeoutMs: 10_000,
    message: `no chat.postMessage for INC-${id}`,
  });
  return { id, group, changed, ...messageOf(post) };
}

/** The first update of the message `on` whose fallback text starts with `textStart`. */
export function updateOf(r: SlackRig, on: { ts: string }, textStart: string): Promise<SlackCall> {
  return found(() => r.slack.callsTo('chat.update').find((c) => c.params.ts === on.ts && String(c.params.text).startsWith(textStart)), {
    timeoutMs: 10_000,
    message: `no chat.update of ${on.ts} whose text starts with ${textStart}`,
  });
}

/** The first reply in the thread of the message `on` whose text contains `contains`. */
export function threadReply(r: SlackRig, on: { ts: string }, contains: string): Promise<SlackCall> {
  return found(() => r.slack.callsTo('chat.postMessage').find((c) => c.params.thread_ts === on.ts && String(c.params.text).includes(contains)), {
    timeoutMs: 10_000,
    message: `no thread reply under ${on.ts} containing ${contains}`,
  });
}

interface Block {
  type: string;
  elements?: Array<{ type: string; action_id?: string; value?: string }>;
}

/** The buttons of a posted or updated message, by action_id, in the order shown. */
export function buttonsOf(call: SlackCall): Map<string, string> {
  const buttons = new Map<string, string>();
  for (const block of (call.params.blocks ?? []) as Block[]) {
    if (block.type !== 'actions') continue;
    for (const element of block.elements ?? []) {
      if (element.type === 'button' && element.action_id) buttons.set(element.action_id, element.value ?? '');
    }
  }
  return buttons;
}

/** The value of a button, as a click on it would send; throws if the message has no such button. */
export function buttonValue(call: SlackCall, actionId: string): string {
  const value = buttonsOf(call).get(actionId);
  if (value === undefined) throw new Error(`the message has no ${actionId} button: ${JSON.stringify(call.params.blocks)}`);
  return value;
}

/** Every text of a message's blocks, one string, to look for what people see. */
export function blockText(call: SlackCall): string {
  const texts: string[] = [];
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) node.forEach(visit);
    else if (node && typeof node === 'object') {
      for (const [key, value] of Object.entries(node)) {
        if (key === 'text' && typeof value === 'string') texts.push(value);
        else visit(value);
      }
    }
  };
  visit(call.params.blocks);
  return texts.join('\n');
}
