/**
 * The bot's section of a retrospective issue's description: replaced on a regenerate, with
 * what people wrote around it kept, and appended afresh when its comments were removed.
 */
import { describe, expect, it } from 'vitest';
import { hasRetroSection, retroSectionMarkers, withRetroSection } from '../../src/gitlab/retro-section.js';

const KEY = 'chatops:/42/2026-11-22T09:58:00.000Z';
const { begin, end } = retroSectionMarkers(KEY);
const section = (draft: string) => `${begin}\n${draft}\n${end}`;

describe("the bot's section of the retrospective issue", () => {
  it('is the whole description of a new issue, between comments that name the deployment and the incident', () => {
    expect(withRetroSection(undefined, KEY, 'draft')).toBe(section('draft'));
    expect(withRetroSection('  \n', KEY, 'draft')).toBe(section('draft'));
    expect(begin).toBe('<!-- chatops-retro: chatops%3A%2F42%2F2026-11-22T09%3A58%3A00.000Z -->');
  });

  it('is replaced alone, keeping what people wrote before and after it', () => {
    const current = `Root cause: the cache.\n\n${section('old\ndraft')}\n\n- [x] people's own task`;
    expect(withRetroSection(current, KEY, 'new draft')).toBe(`Root cause: the cache.\n\n${section('new draft')}\n\n- [x] people's own task`);
  });

  it('is appended afresh when someone removed its comments, and the text that was there is kept', () => {
    expect(withRetroSection('old draft, now edited by hand', KEY, 'new')).toBe(`old draft, now edited by hand\n\n${section('new')}`);
    const noEnd = `${begin}\nold draft\nnotes under it\n`;
    const appended = withRetroSection(noEnd, KEY, 'new');
    expect(appended).toBe(`${begin}\nold draft\nnotes under it\n\n${section('new')}`);
    // The next regenerate replaces the fresh section, not everything from the stray opening comment.
    expect(withRetroSection(appended, KEY, 'newer')).toBe(`${begin}\nold draft\nnotes under it\n\n${section('newer')}`);
  });

  it("belongs to one incident of one deployment: another's comments are people's text", () => {
    const other = withRetroSection(undefined, 'staging:/42/2026-11-22T09:58:00.000Z', 'theirs');
    expect(hasRetroSection(other, KEY)).toBe(false);
    expect(hasRetroSection(withRetroSection(undefined, 'chatops:/42/2026-01-01T00:00:00.000Z', 'before a reset'), KEY)).toBe(false);
    expect(hasRetroSection(section('ours'), KEY)).toBe(true);
    expect(hasRetroSection(null, KEY)).toBe(false);
    expect(withRetroSection(other, KEY, 'ours')).toBe(`${other}\n\n${section('ours')}`);
  });

  it('cannot be ended early by a key with comment syntax in it', () => {
    expect(retroSectionMarkers('a-->b/1/t').begin).toBe('<!-- chatops-retro: a--%3Eb%2F1%2Ft -->');
  });
});
