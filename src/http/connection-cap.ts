import type { Server } from 'node:http';
import type { Socket } from 'node:net';

/** Which connection made room for a new one: the oldest waiting one, or the new one itself when none was waiting. */
export type Shed = 'oldest waiting' | 'new';

/**
 * At most `max` connections at once. A connection is waiting until its request has all
 * arrived (headers and body), and again once its answer is sent (idle keep-alive): it
 * costs a descriptor and gives nothing yet. A connection beyond the cap takes the place of
 * the oldest waiting one, which is closed; only when every connection is busy with a
 * request is the new one closed instead.
 *
 * Node's own cap (server.maxConnections) closes the new connection whatever the others
 * do, so clients that open connections and never finish a request keep out everyone else,
 * probes included, for as long as they keep the cap full.
 */
export function capConnections(server: Server, max: number, onShed: (shed: Shed) => void): void {
  const open = new Set<Socket>();
  // Insertion order is age: the first one is the one waiting longest.
  const waiting = new Set<Socket>();
  const forget = (socket: Socket) => {
    open.delete(socket);
    waiting.delete(socket);
  };

  server.on('connection', (socket: Socket) => {
    if (open.size >= max) {
      const oldest = waiting.values().next().value;
      if (oldest === undefined) {
        socket.destroy();
        onShed('new');
        return;
      }
      forget(oldest);
      oldest.destroy();
      onShed('oldest waiting');
    }
    open.add(socket);
    waiting.add(socket);
    socket.once('close', () => forget(socket));
  });

  server.on('request', (req, res) => {
    const socket = req.socket;
    const busy = () => {
      if (open.has(socket) && !res.writableFinished) waiting.delete(socket);
    };
    // Node parses what arrived with the headers before it looks at its next tick: the request
    // is complete by then if it all came at once. Otherwise it is when the handler reads its end.
    process.nextTick(() => {
      if (req.complete) busy();
      else req.once('end', busy);
    });
    res.once('finish', () => {
      if (!open.has(socket)) return;
      // Waiting again, and now the newest.
      waiting.delete(socket);
      waiting.add(socket);
    });
  });
}
