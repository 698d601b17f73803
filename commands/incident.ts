import type { CommandContext, CommandDeps, CommandReply, SlashCommand } from './command.js';
import { ack, help, list, resolve, show } from './incident/basics.js';
import { graph } from './incident/graph.js';
import { followup, retro } from './incident/retro.js';
import { commander, note, severity } from './incident/roles.js';
import { close, room } from './incident/room.js';
import { silence, unsilence } from './incident/silence.js';
import { stats } from './incident/stats.js';
import { misuse, type IncidentVerb } from './incident/verb.js';

/** Every `/incident` subcommand, one module each under incident/; the usage text is in src/slack/render/command-usage.ts. */
const VERBS: ReadonlyMap<string, IncidentVerb<unknown>> = new Map(
  [list, help, show, ack, resolve, graph, silence, unsilence, stats, commander, severity, note, room, close, retro, followup].map((v) => [v.name, v]),
);

export interface ParsedIncidentCommand {
  verb: string;
  rest: unknown;
}

export function parseIncidentCommand(text: string): ParsedIncidentCommand {
  const trimmed = text.trim();
  const [word = 'help'] = trimmed.split(/\s+/, 1).filter(Boolean);
  const found = VERBS.get(word.toLowerCase());
  if (!found) throw misuse({ kind: 'unknown_subcommand', word });
  const after = trimmed.slice(word.length).trim();
  return { verb: found.name, rest: found.parse(after.split(/\s+/).filter(Boolean), after) };
}

function run({ verb, rest }: ParsedIncidentCommand, ctx: CommandContext, deps: CommandDeps): Promise<CommandReply> {
  const found = VERBS.get(verb);
  if (!found) throw misuse({ kind: 'unknown_subcommand', word: verb });
  return found.run(rest, ctx, deps);
}

export const incidentCommand: SlashCommand = {
  name: '/incident',
  handle: (ctx, deps) => run(parseIncidentCommand(ctx.text), ctx, deps),
};
