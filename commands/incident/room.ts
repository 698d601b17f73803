import { oneIncidentId, verb } from './verb.js';

const NO_ROOMS = 'War rooms are not available on this bot.';

/** `/incident room INC-42`: opens the incident's war room, or names the one it has. */
export const room = verb({
  name: 'room',
  parse: (words) => oneIncidentId('room', words),
  run: async ([id], ctx, { rooms }) => {
    if (!rooms) return { kind: 'text', text: NO_ROOMS };
    return { kind: 'room_opening', incidentId: id, opening: await rooms.open(id, ctx.userId), inChannel: true };
  },
});

/** `/incident close INC-42`: archives the war room of a resolved incident. */
export const close = verb({
  name: 'close',
  parse: (words) => oneIncidentId('close', words),
  run: async ([id], ctx, { rooms }) => {
    if (!rooms) return { kind: 'text', text: NO_ROOMS };
    return { kind: 'room_closing', incidentId: id, closing: await rooms.close(id, ctx.userId), inChannel: true };
  },
});
