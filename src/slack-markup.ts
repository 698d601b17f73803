/**
 * Reading what Slack sends in its own markup (slash command text with escaping on, message
 * text): the person a mention names, and text as the person wrote it. Pure, so that commands
 * and listeners read it alike; writing markup is src/slack/render's.
 */

/** A user mention as Slack escapes it: an id, and the name Slack adds after a bar. */
const USER_MENTION = /^<@([UW][A-Z0-9]{2,})(?:\|[^>]*)?>$/;

/** The user id of a mention Slack escaped, or undefined when the text is not one. */
export function mentionedUser(text: string): string | undefined {
  return USER_MENTION.exec(text.trim())?.[1];
}

/**
 * Slack's markup as the words it shows: mentions and channels by their names, links by their
 * address, and `&amp;`, `&lt;`, `&gt;` as the characters typed. What comes out is plain text,
 * to be escaped again wherever it is shown.
 */
export function plainFromMarkup(text: string): string {
  return text
    .replace(/<([@#])([A-Z0-9]+)\|([^>]*)>/g, (_m, sigil: string, _id: string, name: string) => `${sigil}${name.replace(/^[@#]/, '')}`)
    .replace(/<([@#])([A-Z0-9]+)>/g, (_m, sigil: string, id: string) => `${sigil}${id}`)
    .replace(/<!subteam\^[A-Z0-9]+\|([^>]*)>/g, (_m, name: string) => (name.startsWith('@') ? name : `@${name}`))
    .replace(/<!(here|channel|everyone)(?:\|[^>]*)?>/g, (_m, word: string) => `@${word}`)
    .replace(/<!date\^[^|>]*\|([^>]*)>/g, (_m, fallback: string) => fallback)
    .replace(/<([a-z][a-z0-9+.-]*:[^|>]*)\|([^>]*)>/gi, (_m, url: string, label: string) => (label === url ? url : `${label} (${url})`))
    .replace(/<([a-z][a-z0-9+.-]*:[^>]*)>/gi, (_m, url: string) => url)
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}
