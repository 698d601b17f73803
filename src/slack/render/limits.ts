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

/** Escapes the three characters Slack's mrkdwn treats as control characters. */
export function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
