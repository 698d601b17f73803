/**
 * Every Block Kit limit held in one place (src/slack/render/fit-message.ts), and text cut
 * visibly without breaking an entity, a link, a mention or a code block (limits.ts).
 */
import { describe, expect, it } from 'vitest';
import type { Block, ButtonElement } from '../../src/slack/render/block-kit.js';
import { fitMessage, fitText } from '../../src/slack/render/fit-message.js';
import { fitLatestLines, MAX_MESSAGE_TEXT, truncate, truncatePlain } from '../../src/slack/render/limits.js';
import { slackRefusal } from '../support/block-kit-limits.js';
import { mrkdwnProblems } from '../support/message-safety.js';

const OWN = { users: ['U0ALICE'], linkLabels: ['Source'] };

describe('truncate', () => {
  const text =
    'x &amp; <https://a.example/?a=1&amp;b=2|Source> &lt;y&gt; <@U0ALICE> ```code &amp; more``` <!date^1700000000^{time}|2023-11-14T22:13:20.000Z> end';

  it('at every length, cuts visibly and never inside an entity, a link, a mention or a date, closing a code block it opened', () => {
    for (let max = 4; max < text.length; max += 1) {
      const cut = truncate(text, max);
      expect(cut.length, `max ${max}`).toBeLessThanOrEqual(max);
      expect(cut, `max ${max}`).toContain('…');
      expect(mrkdwnProblems(cut, OWN), `max ${max}: ${cut}`).toEqual([]);
      expect(cut.split('```').length % 2, `max ${max}: ${cut}`).toBe(1);
    }
  });

  it('keeps text that fits as it is', () => {
    expect(truncate(text, text.length)).toBe(text);
    expect(truncatePlain('short', 5)).toBe('short');
  });

  it('cuts plain text without splitting a surrogate pair', () => {
    const cut = truncatePlain(`${'a'.repeat(10)}😀😀`, 12);
    expect(cut).toBe(`${'a'.repeat(10)}…`);
  });
});

describe('fitMessage', () => {
  const long = (n: number) => 'é&lt;'.repeat(n);
  const button = (text: string, value: string): ButtonElement => ({
    type: 'button',
    action_id: 'x',
    text: { type: 'plain_text', text },
    value,
    confirm: {
      title: { type: 'plain_text', text: long(50) },
      text: { type: 'plain_text', text: long(200) },
      confirm: { type: 'plain_text', text: long(20) },
      deny: { type: 'plain_text', text: long(20) },
    },
  });
  const overLimit: Block[] = [
    { type: 'header', text: { type: 'plain_text', text: 'h'.repeat(500) } },
    {
      type: 'section',
      text: { type: 'mrkdwn', text: long(2_000) },
      fields: Array.from({ length: 14 }, () => ({ type: 'mrkdwn' as const, text: long(1_000) })),
    },
    { type: 'context', elements: Array.from({ length: 12 }, () => ({ type: 'mrkdwn' as const, text: long(1_000) })) },
    { type: 'section', text: { type: 'mrkdwn', text: ' ' } },
    { type: 'actions', elements: [button('b'.repeat(100), '{"v":1}'), button('ok', 'v'.repeat(2_001)), ...Array.from({ length: 30 }, () => button('n', '1'))] },
    { type: 'actions', elements: [button('only', 'v'.repeat(2_001))] },
    ...Array.from({ length: 60 }, (): Block => ({ type: 'divider' })),
  ];

  it('makes a message Slack refuses into one it takes', () => {
    expect(slackRefusal({ text: 't'.repeat(50_000), blocks: overLimit })).toBeDefined();
    const fitted = fitMessage({ text: 't'.repeat(50_000), blocks: overLimit });
    expect(slackRefusal(fitted as unknown as Record<string, unknown>)).toBeUndefined();
  });

  it('says what it cut or left out', () => {
    const fitted = JSON.stringify(fitMessage({ text: 'x', blocks: overLimit }).blocks);
    expect(fitted).toContain(`${'h'.repeat(100)}`);
    expect(fitted).toContain('…');
    expect(fitted).toContain('5 more fields left out');
    expect(fitted).toContain('3 more left out');
    expect(fitted).toContain('more blocks were left out (Slack allows 50)');
    expect(fitted).toContain('(empty)');
  });

  it('leaves out a button whose value it would have to cut, and an actions block left with none', () => {
    const { blocks } = fitMessage({ text: 'x', blocks: overLimit });
    const actions = blocks.filter((b) => b.type === 'actions');
    expect(actions).toHaveLength(1);
    const [first] = actions;
    expect(first?.type === 'actions' && first.elements.every((e) => e.type === 'button' && e.value.length <= 2_000)).toBe(true);
    expect(first?.type === 'actions' && first.elements).toHaveLength(25);
  });

  it("holds a message's text to Slack's 40,000 characters", () => {
    expect(fitText('a&amp;'.repeat(10_000)).length).toBeLessThanOrEqual(MAX_MESSAGE_TEXT);
    expect(fitText('\n ')).toBe('(empty)');
  });
});

describe('fitLatestLines', () => {
  const header = (n: number) => `(${n} earlier)`;

  it('keeps every line when they fit', () => {
    expect(fitLatestLines(['a', 'b'], 100, 10, header)).toBe('a\nb');
  });

  it('keeps the newest lines, at most so many, and counts the older ones', () => {
    const lines = Array.from({ length: 500 }, (_, i) => `line ${i}`);
    expect(fitLatestLines(lines, 10_000, 3, header)).toBe('(497 earlier)\nline 497\nline 498\nline 499');
    const fitted = fitLatestLines(lines, 60, 100, header);
    expect(fitted.length).toBeLessThanOrEqual(60);
    expect(fitted.endsWith('line 499')).toBe(true);
    expect(fitted).toMatch(/^\(\d+ earlier\)\n/);
  });

  it('cuts one line longer than the whole reply', () => {
    const fitted = fitLatestLines(['x'.repeat(100)], 50, 10, header);
    expect(fitted.length).toBeLessThanOrEqual(50);
    expect(fitted).toContain('…');
  });
});
