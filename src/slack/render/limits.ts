/** Block Kit limits (https://api.slack.com/reference/block-kit/blocks). */
export const MAX_BLOCKS = 50;
export const MAX_SECTION_TEXT = 3000;
export const MAX_HEADER_TEXT = 150;
export const MAX_ACTIONS_ELEMENTS = 25;
export const MAX_FALLBACK_TEXT = 4000;

const ELLIPSIS = '…';

/** Cuts text to a limit, saying so, without splitting a surrogate pair. */
export function truncate(text: string, max: number, note = ' (truncated)'): string {
  if (text.length <= max) return text;
  const room = Math.max(0, max - note.length - ELLIPSIS.length);
  let cut = text.slice(0, room);
  const last = cut.charCodeAt(cut.length - 1);
  if (last >= 0xd800 && last <= 0xdbff) cut = cut.slice(0, -1);
  return `${cut}${ELLIPSIS}${note}`;
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

/** Escapes the three characters Slack's mrkdwn treats as control characters. */
export function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
