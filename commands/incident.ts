import { z } from 'zod';
import { CommandUsageError, type CommandMistake } from '../src/errors.js';
import { displayId, parseIncidentId } from '../src/incidents/incident.js';
import type { CommandContext, CommandDeps, CommandReply, SlashCommand } from './command.js';

const IncidentId = z.string().transform((text, ctx) => {
  const id = parseIncidentId(text);
  if (!id) {
    ctx.addIssue({ code: 'custom', message: `"${text}" is not an incident id; use the number shown as INC-<n>` });
    return z.NEVER;
  }
  return id;
});

const Args = z.discriminatedUnion('verb', [
  z.object({ verb: z.literal('list'), rest: z.tuple([]) }),
  z.object({ verb: z.literal('help'), rest: z.tuple([]) }),
  z.object({ verb: z.literal('show'), rest: z.tuple([IncidentId]) }),
  z.object({ verb: z.literal('ack'), rest: z.tuple([IncidentId]) }),
  z.object({ verb: z.literal('resolve'), rest: z.tuple([IncidentId]) }),
]);
type Args = z.output<typeof Args>;

export function parseIncidentCommand(text: string): Args {
  const [verb = 'help', ...rest] = text.trim().split(/\s+/).filter(Boolean);
  const parsed = Args.safeParse({ verb: verb.toLowerCase(), rest });
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const mistake: CommandMistake =
      issue?.path[0] === 'verb'
        ? { kind: 'unknown_subcommand', word: verb }
        : issue?.code === 'too_small' || issue?.code === 'too_big'
          ? { kind: verb === 'list' || verb === 'help' ? 'takes_no_arguments' : 'takes_one_incident_id', word: verb }
          : { kind: 'invalid', reason: issue?.message ?? 'invalid arguments' };
    throw new CommandUsageError({ command: 'incident', mistake });
  }
  return parsed.data;
}

async function run(args: Args, ctx: CommandContext, { incidents }: CommandDeps): Promise<CommandReply> {
  switch (args.verb) {
    case 'help':
      return { kind: 'usage', command: 'incident' };
    case 'list':
      return { kind: 'incident_list', ...(await incidents.listOpen()) };
    case 'show': {
      const [id] = args.rest;
      const incident = await incidents.get(id);
      const timeline = await incidents.timeline(id);
      await incidents.note(id, { kind: 'command', verb: 'viewed', actor: ctx.userId });
      return { kind: 'incident_detail', incident, timeline };
    }
    case 'ack': {
      const incident = await incidents.acknowledge(args.rest[0], ctx.userId);
      return { kind: 'text', text: `${displayId(incident.id)} acknowledged.`, inChannel: true };
    }
    case 'resolve': {
      const incident = await incidents.resolve(args.rest[0], ctx.userId);
      return { kind: 'text', text: `${displayId(incident.id)} resolved.`, inChannel: true };
    }
  }
}

export const incidentCommand: SlashCommand = {
  name: '/incident',
  handle: (ctx, deps) => run(parseIncidentCommand(ctx.text), ctx, deps),
};
