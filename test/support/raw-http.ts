/**
 * A TCP connection to the bot that sends exactly the bytes a test gives it, and notes what
 * came back and when the bot closed it: for clients no HTTP library would imitate (headers
 * never finished, a declared body never sent, a connection left idle).
 */
import { connect, type Socket } from 'node:net';
import { afterEach } from 'vitest';

export interface RawConnection {
  socket: Socket;
  /** Everything the bot sent on it so far. */
  received(): string;
  /** Resolves once the bot closed or reset the connection, with how long after opening. */
  closed: Promise<{ afterMs: number }>;
  /** Whether the close has been seen already. */
  isClosed(): boolean;
  write(bytes: string): void;
}

const open = new Set<Socket>();

/** Every connection a test opened is destroyed after it, so that no bot waits on one to stop. */
afterEach(() => {
  for (const socket of open) socket.destroy();
  open.clear();
});

/** Connects to the bot at `baseUrl` and sends `bytes` (nothing when empty). */
export async function rawConnection(baseUrl: string, bytes = ''): Promise<RawConnection> {
  const { hostname, port } = new URL(baseUrl);
  const started = Date.now();
  const socket = connect({ host: hostname, port: Number(port) });
  open.add(socket);
  let data = '';
  let closedSeen = false;
  socket.setEncoding('utf8');
  socket.on('data', (chunk: string) => {
    data += chunk;
  });
  const closed = new Promise<{ afterMs: number }>((resolve) => {
    socket.on('close', () => {
      closedSeen = true;
      resolve({ afterMs: Date.now() - started });
    });
  });
  // A reset is one way for the bot to close; it is read from `closed`, not thrown.
  socket.on('error', () => undefined);
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  const connection: RawConnection = {
    socket,
    received: () => data,
    closed,
    isClosed: () => closedSeen,
    write: (more) => void socket.write(more),
  };
  if (bytes) connection.write(bytes);
  return connection;
}

/** Whether `promise` settles within `ms`; for a bound a test asserts, not for pacing it. */
export async function settlesWithin<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), ms);
  });
  try {
    return await Promise.race([promise, late]);
  } finally {
    clearTimeout(timer);
  }
}
