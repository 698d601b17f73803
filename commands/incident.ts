import { z } from 'zod';
import { CommandError } from '../src/errors.js';
import { displayId, parseIncidentId } from '../src/incidents/incident.js';
import type { CommandContext, CommandDeps, CommandReply, SlashCommand } from './command.js';

const USAGE = [
  '*/incident* — work with incidents',
  '• `/incident list` — open incidents',
  '• `/incident show <id>` — state and timeline',
  '• `/incident ack <id>` — acknowledge',
  '• `/incident resolve <id>` — resolve',
  '• `/incident help` — this help',
  'An id looks like `INC-42` (or just `42`).',
].join('\n');

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
    const reason =
      issue?.path[0] === 'verb'
        ? `unknown subcommand "${verb}"`
        : issue?.code === 'too_small' || issue?.code === 'too_big'
          ? `\`${verb}\` takes ${verb === 'list' || verb === 'help' ? 'no arguments' : 'one incident id'}`
          : (issue?.message ?? 'invalid arguments');
    throw new CommandError(`${reason}\n${USAGE}`);
  }
  return parsed.data;
}

async function run(args: Args, ctx: CommandContext, { incidents }: CommandDeps): Promise<CommandReply> {
  switch (args.verb) {
    case 'help':
      return { kind: 'text', text: USAGE };
    case 'list':
      return { kind: 'incident_list', incidents: await incidents.listOpen() };
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
