import { z } from 'zod';
import { displayId, type SeverityLevel } from '../../src/incidents/incident.js';
import { MAX_NOTE_CHARS } from '../../src/incidents/roles.js';
import { mentionedUser, plainFromMarkup } from '../../src/slack-markup.js';
import { IncidentId, misuse, parseWords, verb } from './verb.js';

/**
 * A person, as Slack sends a mention picked from its autocomplete (the manifest turns
 * escaping on for /incident). A typed `@name` arrives as the bare text: Slack did not
 * resolve it, and names are neither unique nor stable, so it is refused.
 */
export const UserMention = z.string().transform((text, ctx) => {
  const user = mentionedUser(text);
  if (user) return user;
  ctx.addIssue({
    code: 'custom',
    message: text.startsWith('@')
      ? `"${text}" is a name Slack did not turn into a mention: type @ and pick the person from Slack's autocomplete list`
      : `"${text}" is not a person: type @ and pick them from Slack's autocomplete list`,
  });
  return z.NEVER;
});

const SEVERITIES = ['critical', 'warning', 'info'] as const satisfies readonly SeverityLevel[];

const Severity = z
  .string()
  .transform((text) => text.toLowerCase())
  .pipe(z.enum(SEVERITIES, { error: (issue) => `"${String(issue.input)}" is not a severity; use ${SEVERITIES.join(', ')}` }));

export const commander = verb({
  name: 'commander',
  // The person is the rest of the line: the name Slack adds to a mention may hold a space.
  parse: (words, text) => {
    const id = words[0] ?? '';
    const person = text.slice(id.length).trim();
    const args = words.length < 2 ? words : [id, person];
    return parseWords(z.tuple([IncidentId, UserMention]), args, { kind: 'invalid', reason: '`commander` takes an incident id and a person (@name)' });
  },
  run: async ([id, user], ctx, { incidents }) => {
    const incident = await incidents.setCommander(id, user, ctx.userId);
    return { kind: 'text', text: `${displayId(incident.id)} has a new commander; the incident message and its thread show who.`, inChannel: true };
  },
});

export const severity = verb({
  name: 'severity',
  parse: (words) =>
    parseWords(z.tuple([IncidentId, Severity]), words, { kind: 'invalid', reason: `\`severity\` takes an incident id and one of ${SEVERITIES.join(', ')}` }),
  run: async ([id, level], ctx, { incidents }) => {
    const incident = await incidents.setSeverity(id, level, ctx.userId);
    return { kind: 'text', text: `${displayId(incident.id)} severity is ${level}.`, inChannel: true };
  },
});

/** The note is the text after the id as the person wrote it: Slack's markup read back to words. */
export function parseNote(text: string): [string, string] {
  const first = text.split(/\s+/, 1)[0] ?? '';
  const id = IncidentId.safeParse(first);
  if (!id.success) throw misuse({ kind: 'invalid', reason: id.error.issues[0]?.message ?? 'an incident id comes first' });
  const note = plainFromMarkup(text.slice(first.length).trim());
  if (!note) throw misuse({ kind: 'invalid', reason: '`note` takes an incident id and the text of the note' });
  if (note.length > MAX_NOTE_CHARS)
    throw misuse({ kind: 'invalid', reason: `the note is ${note.length} characters; a note holds at most ${MAX_NOTE_CHARS}, so split it in two` });
  return [id.data, note];
}

export const note = verb({
  name: 'note',
  parse: (_words, text) => parseNote(text),
  run: async ([id, text], ctx, { incidents }) => {
    await incidents.addEntry(id, { kind: 'note', note: text, actor: ctx.userId });
    return { kind: 'text', text: `Note added to ${displayId(id)}.` };
  },
});
