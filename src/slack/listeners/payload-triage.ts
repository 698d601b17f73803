import { z } from 'zod';
import { SHORTCUT_IDS } from '../contract.js';
import type { Unanswerable } from '../render/interaction-refusal.js';

/**
 * Which payloads reach the listeners. Bolt routes by shape: a payload it cannot type
 * (a click without actions) it drops unanswered, one whose user is missing makes it fail
 * with 500, and one no listener matches (a form, a shortcut, an unknown command) gets 404
 * after 3 s. Each of those is told apart here, before Bolt, so that it can be answered.
 */

/** The fields the click listeners read. */
const BlockActions = z.object({
  type: z.literal('block_actions'),
  user: z.object({ id: z.string().min(1) }),
  actions: z.array(z.object({ action_id: z.string().min(1) })).min(1),
});

/** The fields the command listeners read. */
const SlashCommand = z.object({ command: z.string(), user_id: z.string().min(1), text: z.string() });

/** The message shortcuts the listeners answer, by callback_id. */
const MessageAction = z.object({
  type: z.literal('message_action'),
  callback_id: z.enum(Object.values(SHORTCUT_IDS)),
  user: z.object({ id: z.string().min(1) }),
});

const ResponseUrl = z.object({ response_url: z.url({ protocol: /^https?$/ }) });

export interface Refusal {
  what: Unanswerable;
  /** The interaction's type as Slack named it, or what it was taken for; for the log. */
  interaction: string;
  /** Where an ephemeral answer goes, when the payload has one. */
  responseUrl?: string;
  /** Who sent it, when the payload says; for the log. */
  user?: string;
}

export type Triage = { to: 'listeners' } | ({ to: 'refusal' } & Refusal);

function userOf(body: Record<string, unknown>): string | undefined {
  const user = body.user as { id?: unknown } | undefined;
  const id = typeof body.user_id === 'string' ? body.user_id : user?.id;
  return typeof id === 'string' ? id : undefined;
}

/**
 * Where a payload goes: to the listeners when they can act on it, otherwise a refusal
 * saying why. Events (`event` set) and Slack's own checks go on: Bolt acknowledges them.
 */
export function triage(body: unknown, commands: ReadonlySet<string>): Triage {
  if (typeof body !== 'object' || body === null) return { to: 'refusal', what: { kind: 'no listener', interaction: 'unknown' }, interaction: 'unknown' };
  const payload = body as Record<string, unknown>;
  if (payload.event !== undefined) return { to: 'listeners' };
  const responseUrl = ResponseUrl.safeParse(payload).data?.response_url;
  const user = userOf(payload);
  const refusal = (what: Unanswerable, interaction: string): Triage => ({
    to: 'refusal',
    what,
    interaction,
    ...(responseUrl ? { responseUrl } : {}),
    ...(user ? { user } : {}),
  });
  if (payload.command !== undefined) {
    const command = SlashCommand.safeParse(payload);
    if (!command.success) return refusal({ kind: 'unreadable command' }, 'slash_command');
    if (!commands.has(command.data.command)) return refusal({ kind: 'unknown command', command: command.data.command, known: [...commands] }, 'slash_command');
    return { to: 'listeners' };
  }
  const type = typeof payload.type === 'string' ? payload.type : 'unknown';
  if (type === 'message_action' && MessageAction.safeParse(payload).success) return { to: 'listeners' };
  if (type === 'block_actions') return BlockActions.safeParse(payload).success ? { to: 'listeners' } : refusal({ kind: 'unreadable click' }, type);
  return refusal({ kind: 'no listener', interaction: type }, type);
}
