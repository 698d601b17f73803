import { z } from 'zod';
import { CommandUsageError, type CommandMistake } from '../src/errors.js';
import { parseDuration } from '../src/config/duration.js';
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

const GRAPH_RANGE_MAX_MS = 7 * 86_400_000;
const GRAPH_RANGE_DEFAULT_MS = 3_600_000;

/** How far back a graph looks: "6h", "30m", "2d"; up to a week, which Prometheus keeps at its default retention. */
const GraphRange = z.string().transform((text, ctx) => {
  const ms = parseDuration(text);
  if (ms === undefined || ms < 60_000 || ms > GRAPH_RANGE_MAX_MS) {
    ctx.addIssue({ code: 'custom', message: `"${text}" is not a range from 1m to 7d, such as 6h` });
    return z.NEVER;
  }
  return ms;
});

const Args = z.discriminatedUnion('verb', [
  z.object({ verb: z.literal('graph'), rest: z.union([z.tuple([IncidentId]), z.tuple([IncidentId, GraphRange])]) }),
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
      verb.toLowerCase() === 'graph' && issue?.path[0] !== 'verb'
        ? { kind: 'invalid', reason: graphMistake(issue) }
        : issue?.path[0] === 'verb'
          ? { kind: 'unknown_subcommand', word: verb }
          : issue?.code === 'too_small' || issue?.code === 'too_big'
            ? { kind: verb === 'list' || verb === 'help' ? 'takes_no_arguments' : 'takes_one_incident_id', word: verb }
            : { kind: 'invalid', reason: issue?.message ?? 'invalid arguments' };
    throw new CommandUsageError({ command: 'incident', mistake });
  }
  return parsed.data;
}

/** A range the union refused is named by its own issue; anything else is a wrong number of words. */
function graphMistake(issue: z.core.$ZodIssue | undefined): string {
  const inner = issue?.code === 'invalid_union' ? issue.errors.flat().find((i) => i.code === 'custom') : issue?.code === 'custom' ? issue : undefined;
  return inner?.message ?? '`graph` takes an incident id and an optional range, such as `graph INC-42 6h`';
}

async function graph(args: Extract<Args, { verb: 'graph' }>, { incidents, graphs }: CommandDeps): Promise<CommandReply> {
  const [id, rangeMs = GRAPH_RANGE_DEFAULT_MS] = args.rest;
  const incident = await incidents.get(id);
  if (!graphs) return { kind: 'text', text: 'Graphs need PROMETHEUS_URL, and this bot has none set.' };
  switch (await graphs.request(incident, rangeMs)) {
    case 'queued':
      return { kind: 'text', text: `A graph of ${displayId(id)} is on its way to the incident's thread.` };
    case 'no_message':
      return { kind: 'text', text: `${displayId(id)} has no Slack message yet; try again once it shows.` };
    case 'no_expression':
      return { kind: 'text', text: `No alert of ${displayId(id)} has a Prometheus expression (g0.expr in its generatorURL) to draw.` };
  }
}

async function run(args: Args, ctx: CommandContext, deps: CommandDeps): Promise<CommandReply> {
  const { incidents } = deps;
  switch (args.verb) {
    case 'graph':
      return graph(args, deps);
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
