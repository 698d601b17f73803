/**
 * What every message the bot sends must be, whatever came in: taken by Slack (its Block Kit
 * limits, test/support/block-kit-limits.ts), and with no mention, link or date in it but
 * the bot's own. Outside text reaches Slack only escaped, so every `<…>` Slack would parse
 * must be one the bot wrote, naming only what the test gave the bot as its own.
 */
import { expect } from 'vitest';
import { slackRefusal } from './block-kit-limits.js';

/** What the bot itself may mention or link: the users, channels and groups the test names, and its own link labels. */
export interface OwnSyntax {
  users: readonly string[];
  channels?: readonly string[];
  groups?: readonly string[];
  linkLabels: readonly string[];
}

/** Control characters (Unicode's Cc) but tab and newline, and the bidirectional overrides and isolates. */
const CONTROL = /[^\P{Cc}\t\n]|[\u202a-\u202e\u2066-\u2069]/u;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
/** `&` only as the start of one of Slack's three entities: a cut never split one. */
const BROKEN_ENTITY = /&(?!amp;|lt;|gt;)/;

function ownToken(token: string, own: OwnSyntax): boolean {
  if (/^!date\^\d+\^\{[a-z_ {}]+\}\|[^<>|]*$/.test(token)) return true;
  if (token.startsWith('@')) return own.users.includes(token.slice(1));
  if (token.startsWith('#')) return (own.channels ?? []).includes(token.slice(1));
  if (token.startsWith('!subteam^')) return (own.groups ?? []).includes(token.slice('!subteam^'.length));
  const linked = /^(https?:\/\/[^\s<>|"]+)\|(.*)$/s.exec(token);
  return linked !== null && own.linkLabels.includes(linked[2] ?? '');
}

/** Problems with one mrkdwn text (or a message's `text`), as readable strings. */
export function mrkdwnProblems(text: string, own: OwnSyntax): string[] {
  const problems: string[] = [];
  if (CONTROL.test(text)) problems.push('a control character');
  if (LONE_SURROGATE.test(text)) problems.push('half a surrogate pair');
  if (BROKEN_ENTITY.test(text))
    problems.push(`a raw or broken entity near ${JSON.stringify(text.slice(text.search(BROKEN_ENTITY), text.search(BROKEN_ENTITY) + 8))}`);
  const withoutTokens = text.replace(/<([^<>]*)>/g, (_whole, token: string) => {
    if (!ownToken(token, own)) problems.push(`syntax the bot did not write: <${token.slice(0, 80)}>`);
    return '';
  });
  if (/[<>]/.test(withoutTokens)) problems.push('an unpaired < or >');
  return problems;
}

function plainProblems(text: string): string[] {
  return [...(CONTROL.test(text) ? ['a control character'] : []), ...(LONE_SURROGATE.test(text) ? ['half a surrogate pair'] : [])];
}

interface TextLike {
  type: string;
  text: string;
}

function textObjects(value: unknown, at: string, found: Array<{ at: string; object: TextLike }>): void {
  if (Array.isArray(value)) {
    for (const [i, v] of value.entries()) textObjects(v, `${at}/${i}`, found);
    return;
  }
  if (value === null || typeof value !== 'object') return;
  const object = value as Record<string, unknown>;
  if ((object.type === 'mrkdwn' || object.type === 'plain_text') && typeof object.text === 'string') {
    found.push({ at, object: object as unknown as TextLike });
    return;
  }
  for (const [key, child] of Object.entries(object)) textObjects(child, `${at}/${key}`, found);
}

/** Everything wrong with a message: what Slack would refuse, and any text that is not safe. */
export function messageProblems(message: { text: string; blocks?: readonly unknown[] }, own: OwnSyntax): string[] {
  const refusal = slackRefusal({ text: message.text, ...(message.blocks ? { blocks: message.blocks } : {}) });
  const problems = refusal ? refusal.errors.map((e) => `${refusal.error}: ${e}`) : [];
  problems.push(...mrkdwnProblems(message.text, own).map((p) => `text: ${p}`));
  const found: Array<{ at: string; object: TextLike }> = [];
  textObjects(message.blocks ?? [], '/blocks', found);
  for (const { at, object } of found) {
    const each = object.type === 'mrkdwn' ? mrkdwnProblems(object.text, own) : plainProblems(object.text);
    problems.push(...each.map((p) => `${at}: ${p}`));
  }
  return problems;
}

export function expectSafeMessage(message: { text: string; blocks?: readonly unknown[] }, own: OwnSyntax): void {
  expect(messageProblems(message, own)).toEqual([]);
}
