import { displayId } from '../../src/incidents/incident.js';
import { noWords, oneIncidentId, verb } from './verb.js';

export const list = verb({
  name: 'list',
  parse: (words) => noWords('list', words),
  run: async (_args, _ctx, { incidents }) => ({ kind: 'incident_list', ...(await incidents.listOpen()) }),
});

export const help = verb({
  name: 'help',
  parse: (words) => noWords('help', words),
  run: async () => ({ kind: 'usage', command: 'incident' }),
});

export const show = verb({
  name: 'show',
  parse: (words) => oneIncidentId('show', words),
  run: async ([id], ctx, { incidents }) => {
    const incident = await incidents.get(id);
    const timeline = await incidents.timeline(id);
    await incidents.note(id, { kind: 'command', verb: 'viewed', actor: ctx.userId });
    return { kind: 'incident_detail', incident, timeline };
  },
});

export const ack = verb({
  name: 'ack',
  parse: (words) => oneIncidentId('ack', words),
  run: async ([id], ctx, { incidents }) => {
    const incident = await incidents.acknowledge(id, ctx.userId);
    return { kind: 'text', text: `${displayId(incident.id)} acknowledged.`, inChannel: true };
  },
});

export const resolve = verb({
  name: 'resolve',
  parse: (words) => oneIncidentId('resolve', words),
  run: async ([id], ctx, { incidents }) => {
    const incident = await incidents.resolve(id, ctx.userId);
    return { kind: 'text', text: `${displayId(incident.id)} resolved.`, inChannel: true };
  },
});
