/**
 * The connection cap on a real HTTP server on loopback: a newcomer beyond the cap takes the
 * place of the connection that has waited longest without a whole request (still sending
 * it, or idle after an answer); a connection busy with a request is never closed for it,
 * and when all are busy, the newcomer is.
 */
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { capConnections, type Shed } from '../../src/http/connection-cap.js';
import { rawConnection, settlesWithin } from '../support/raw-http.js';
import { waitFor } from '../support/wait.js';

interface Rig {
  url: string;
  /** Answers held by the handler of /hold, in arrival order. */
  held: ServerResponse[];
  shed: Shed[];
}

let server: Server | undefined;
afterEach(async () => {
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve));
  server = undefined;
});

/** A server capped at `max`: /hold reads the request and keeps it unanswered; anything else is answered at once. */
async function cappedServer(max: number): Promise<Rig> {
  const held: ServerResponse[] = [];
  const shed: Shed[] = [];
  server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      if (req.url === '/hold') held.push(res);
      else res.end('ok');
    });
  });
  capConnections(server, max, (which) => shed.push(which));
  await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, held, shed };
}

const GET = (path: string) => `GET ${path} HTTP/1.1\r\nHost: x\r\n\r\n`;

describe('connection cap', () => {
  it('closes a newcomer when every connection is busy with a request', async () => {
    const rig = await cappedServer(2);
    const busy = [await rawConnection(rig.url, GET('/hold')), await rawConnection(rig.url, GET('/hold'))];
    await waitFor(() => rig.held.length === 2, { message: 'the held requests did not arrive' });

    const newcomer = await rawConnection(rig.url, GET('/'));
    expect(await settlesWithin(newcomer.closed, 2_000), 'the newcomer was kept beyond the cap').toBeDefined();
    expect(newcomer.received()).toBe('');
    expect(rig.shed).toEqual(['new']);
    expect(busy.map((c) => c.isClosed())).toEqual([false, false]);
  });

  it('closes the oldest waiting connection for a newcomer: one whose body is still arriving, before a busy one', async () => {
    const rig = await cappedServer(2);
    const slowBody = await rawConnection(rig.url, 'POST /hold HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n12345');
    const busy = await rawConnection(rig.url, GET('/hold'));
    await waitFor(() => rig.held.length === 1, { message: 'the held request did not arrive' });

    const newcomer = await rawConnection(rig.url, GET('/'));
    await waitFor(() => newcomer.received().endsWith('ok'), { message: 'the newcomer was not answered' });
    expect(await settlesWithin(slowBody.closed, 2_000), 'the connection still sending its body was kept').toBeDefined();
    expect(busy.isClosed()).toBe(false);
    expect(rig.shed).toEqual(['oldest waiting']);
  });

  it('counts a connection idle after its answer as waiting again', async () => {
    const rig = await cappedServer(2);
    const answered = await rawConnection(rig.url, GET('/hold'));
    const busy = await rawConnection(rig.url, GET('/hold'));
    await waitFor(() => rig.held.length === 2, { message: 'the held requests did not arrive' });
    rig.held[0]?.end('done');
    await waitFor(() => answered.received().endsWith('done'), { message: 'the held answer did not arrive' });

    const newcomer = await rawConnection(rig.url, GET('/'));
    await waitFor(() => newcomer.received().endsWith('ok'), { message: 'the newcomer was not answered' });
    expect(await settlesWithin(answered.closed, 2_000), 'the idle connection was kept').toBeDefined();
    expect(busy.isClosed()).toBe(false);
    expect(rig.shed).toEqual(['oldest waiting']);
  });
});
