import { z } from 'zod';
import { CommandUsageError, type CommandMistake } from '../../src/errors.js';
import { parseIncidentId } from '../../src/incidents/incident.js';
import type { CommandContext, CommandDeps, CommandReply } from '../command.js';

/**
 * One `/incident` subcommand: how it reads the words after its name, and what it does.
 * `parse` throws a CommandUsageError naming the mistake; `run` trusts what it returned.
 */
export interface IncidentVerb<A> {
  name: string;
  /** `words`: what followed the verb, split on spaces; `text`: the same, as typed (for free text such as a note). */
  parse(words: string[], text: string): A;
  run(args: A, ctx: CommandContext, deps: CommandDeps): Promise<CommandReply>;
}

/** Erases a verb's argument type so verbs of every shape sit in one table. */
export function verb<A>(definition: IncidentVerb<A>): IncidentVerb<unknown> {
  return definition as IncidentVerb<unknown>;
}

export const IncidentId = z.string().transform((text, ctx) => {
  const id = parseIncidentId(text);
  if (!id) {
    ctx.addIssue({ code: 'custom', message: `"${text}" is not an incident id; use the number shown as INC-<n>` });
    return z.NEVER;
  }
  return id;
});

export function misuse(mistake: CommandMistake): CommandUsageError {
  return new CommandUsageError({ command: 'incident', mistake });
}

/** Parses `words` with `schema`; a wrong count is `countMistake`, anything else the schema's own words. */
export function parseWords<T>(schema: z.ZodType<T>, words: string[], countMistake: CommandMistake): T {
  const parsed = schema.safeParse(words);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  if (issue?.code === 'too_small' || issue?.code === 'too_big') throw misuse(countMistake);
  throw misuse({ kind: 'invalid', reason: issue?.message ?? 'invalid arguments' });
}

/**
 * Parses `words` with a union of word tuples (optional words): a value the union refused is
 * named by its own issue; anything else is a wrong number of words, said by `usage`.
 */
export function parseAlternatives<T>(schema: z.ZodType<T>, words: string[], usage: string): T {
  const parsed = schema.safeParse(words);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const inner = issue?.code === 'invalid_union' ? issue.errors.flat().find((i) => i.code === 'custom') : issue?.code === 'custom' ? issue : undefined;
  throw misuse({ kind: 'invalid', reason: inner?.message ?? usage });
}

/** The words of a verb that takes exactly one incident id. */
export function oneIncidentId(name: string, words: string[]): [string] {
  return parseWords(z.tuple([IncidentId]), words, { kind: 'takes_one_incident_id', word: name });
}

/** The words of a verb that takes none. */
export function noWords(name: string, words: string[]): [] {
  return parseWords(z.tuple([]), words, { kind: 'takes_no_arguments', word: name });
}
