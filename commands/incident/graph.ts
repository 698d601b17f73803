import { z } from 'zod';
import { parseDuration } from '../../src/config/duration.js';
import { displayId } from '../../src/incidents/incident.js';
import { IncidentId, parseAlternatives, verb } from './verb.js';

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

const Words = z.union([z.tuple([IncidentId]), z.tuple([IncidentId, GraphRange])]);

export const graph = verb({
  name: 'graph',
  parse: (words) => parseAlternatives(Words, words, '`graph` takes an incident id and an optional range, such as `graph INC-42 6h`'),
  run: async ([id, rangeMs = GRAPH_RANGE_DEFAULT_MS], _ctx, { incidents, graphs }) => {
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
  },
});
