/**
 * Slack's limits on a message (https://docs.slack.dev/reference/block-kit/blocks and the
 * element and composition object references), and cutting text to them visibly without
 * breaking what Slack parses. fit-message.ts applies them to every message the bot renders.
 */
export const MAX_BLOCKS = 50;
export const MAX_SECTION_TEXT = 3000;
export const MAX_SECTION_FIELD = 2000;
export const MAX_SECTION_FIELDS = 10;
export const MAX_CONTEXT_TEXT = 2000;
export const MAX_CONTEXT_ELEMENTS = 10;
export const MAX_HEADER_TEXT = 150;
export const MAX_ACTIONS_ELEMENTS = 25;
export const MAX_BUTTON_TEXT = 75;
export const MAX_BUTTON_VALUE = 2000;
export const MAX_CONFIRM_TITLE = 100;
export const MAX_CONFIRM_TEXT = 300;
export const MAX_CONFIRM_BUTTON = 30;
/** A message's `text`: Slack refuses longer ones (`msg_too_long`). */
export const MAX_MESSAGE_TEXT = 40_000;
/** What Slack shows of a text-only message before "Show more"; replies and command answers stay within it. */
export const MAX_FALLBACK_TEXT = 4000;

const ELLIPSIS = '…';
const FENCE = '```';

/** Where a cut at `end` may fall without splitting a surrogate pair. */
function pairSafe(text: string, end: number): number {
  const last = text.charCodeAt(end - 1);
  return last >= 0xd800 && last <= 0xdbff ? end - 1 : end;
}

/**
 * Where a cut at `end` may fall in mrkdwn: never inside an entity (`&amp;`), and never inside
 * `<…>` (a link, a mention, a date). Outside text carries neither raw, so what is kept
 * whole is always the bot's own syntax.
 */
export function mrkdwnCutPoint(text: string, end: number): number {
  let at = pairSafe(text, end);
  const amp = text.lastIndexOf('&', at - 1);
  if (amp >= 0 && at - amp <= 5 && !text.slice(amp, at).includes(';')) at = amp;
  const open = text.lastIndexOf('<', at - 1);
  if (open >= 0 && open > text.lastIndexOf('>', at - 1)) at = open;
  return at;
}

/** Cuts plain text to `max` characters, saying so, without splitting a surrogate pair. */
export function truncatePlain(text: string, max: number, note = ''): string {
  if (text.length <= max) return text;
  const room = Math.max(0, max - note.length - ELLIPSIS.length);
  return `${text.slice(0, pairSafe(text, room))}${ELLIPSIS}${note}`;
}

/**
 * Cuts mrkdwn to `max` characters, saying so with "…" (and `note`), never inside an entity,
 * a link or a mention, and closing a code block the cut left open.
 */
export function truncate(text: string, max: number, note = ''): string {
  if (text.length <= max) return text;
  const room = Math.max(0, max - note.length - ELLIPSIS.length - FENCE.length);
  const kept = text.slice(0, mrkdwnCutPoint(text, room));
  const open = kept.split(FENCE).length % 2 === 0;
  return `${kept}${ELLIPSIS}${open ? FENCE : ''}${note}`;
}

/**
 * Joins lines, in order, as many as fit in `max` characters, then the footer that counts the
 * lines left out. Room for the longest footer is kept before any line is added, so what is
 * cut is always a line and never the count.
 */
export function fitLines(lines: readonly string[], max: number, footer: (omitted: number) => string | undefined): string {
  const all = withFooter(lines, footer(0));
  if (all.length <= max) return all;
  const footers = Array.from({ length: lines.length + 1 }, (_, omitted) => footer(omitted));
  const reserved = Math.max(...footers.map((f) => (f === undefined ? 0 : f.length + 1)));
  const kept: string[] = [];
  let length = 0;
  for (const line of lines) {
    const added = (kept.length === 0 ? 0 : 1) + line.length;
    if (length + added + reserved > max) break;
    kept.push(line);
    length += added;
  }
  return withFooter(kept, footers[lines.length - kept.length]);
}

function withFooter(lines: readonly string[], footer: string | undefined): string {
  return (footer === undefined ? lines : [...lines, footer]).join('\n');
}

/**
 * The newest lines that fit in `max` characters and at most `most` of them, under a header
 * that counts the older ones left out; a line longer than a whole reply is cut.
 */
export function fitLatestLines(lines: readonly string[], max: number, most: number, header: (omitted: number) => string): string {
  const room = max - header(lines.length).length - 1;
  const kept: string[] = [];
  let length = 0;
  for (const line of lines.slice(-most).reverse()) {
    const cut = truncate(line, room);
    const added = (kept.length === 0 ? 0 : 1) + cut.length;
    if (length + added > room) break;
    kept.unshift(cut);
    length += added;
  }
  const omitted = lines.length - kept.length;
  return omitted === 0 ? kept.join('\n') : [header(omitted), ...kept].join('\n');
}
