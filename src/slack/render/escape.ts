/**
 * Text that did not come from the bot (labels, annotations, what people typed, what GitLab
 * or a host said) goes into a message only through here, so that it reads as the words it
 * is: it cannot mention anyone, link anywhere, or carry characters Slack chokes on.
 */

/**
 * C0 controls but tab and newline, DEL, C1 controls, and the bidirectional overrides and
 * isolates that make text display in another order than it reads.
 */
const CONTROL = /[^\P{Cc}\t\n]|[\u202a-\u202e\u2066-\u2069]/gu;
/** Half of a surrogate pair without the other half: not a character, and JSON encoders disagree about it. */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/** Outside text with control characters removed, for a plain_text object (Slack parses nothing there). */
export function plainText(text: string): string {
  return text.replace(/\r\n?/g, '\n').replace(CONTROL, '').replace(LONE_SURROGATE, '\ufffd');
}

/**
 * Outside text for mrkdwn and for a message's `text`: control characters removed, and `&`,
 * `<`, `>` written as Slack's entities. With no raw `<` left, nothing in it can become a
 * mention (`<!channel>`, `<!here>`, `<!subteam^…>`, `<@U…>`, `<#C…>`), a date or a link.
 */
export function escapeText(text: string): string {
  return plainText(text).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/**
 * A link's address as Slack's `<url|label>` needs it: what would end the link (`|`, `>`)
 * or break it (spaces, `<`, quotes, control characters) percent-encoded, `&` as an entity.
 */
function linkAddress(url: string): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(plainText(url).trim());
  } catch {
    return undefined;
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return undefined;
  return parsed.href.replace(/\|/g, '%7C').replace(/&/g, '&amp;');
}

/**
 * Longest address the bot links: a link is never cut (a cut one leads elsewhere), so a longer
 * one is left out, and one link always fits a context element with room for its label.
 */
export const MAX_LINK_ADDRESS = 1_800;

/** A link to an outside address under the bot's own label; undefined when the address is not http(s), does not parse, or is too long. */
export function link(url: string | undefined, label: string): string | undefined {
  if (!url) return undefined;
  const address = linkAddress(url);
  if (address === undefined || address.length > MAX_LINK_ADDRESS) return undefined;
  return `<${address}|${escapeText(label)}>`;
}
