/**
 * A local stand-in for the Socket Mode side of Slack, beside the fake Web API (fake-slack.ts).
 *
 * Attached to a FakeSlack, it teaches it `apps.connections.open`: called with the app-level
 * token, that answers a one-time WebSocket URL on this server, as Slack does. A bot connecting
 * there is greeted with `hello`; the test then delivers envelopes (`slash_commands`,
 * `interactive`) and gets each one's ack back, and can drop a connection or ask the bot to
 * reconnect (a `disconnect` message) to see it come back through a new `apps.connections.open`.
 *
 * It is strict like the other fakes: an app token other than its own, a connection without an
 * unused ticket, a message that is not the ack of an envelope awaiting one, an ack on another
 * connection, a response payload on an envelope that accepts none, and an envelope not acked
 * within Slack's 3 seconds are all kept as problems, and the test fails at the next
 * `assertNoProblems()` or `close()`.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocket, WebSocketServer, type RawData } from 'ws';
import { z } from 'zod';
import type { FakeSlack } from './fake-slack.js';
import { listenOnLoopback } from './loopback-server.js';
import { found } from './wait.js';

/** Slack shows the user an error when an envelope is not acked within three seconds. */
const ACK_DEADLINE_MS = 3_000;

const APP_ID = 'A0APP';

export type EnvelopeType = 'slash_commands' | 'interactive';

export interface Ack {
  envelopeId: string;
  type: EnvelopeType;
  /** What the bot answered in the ack; Slack shows it only where the envelope accepts a response payload. */
  payload: Record<string, unknown> | undefined;
  /** The connection it came on. */
  connection: number;
}

export interface SocketConnection {
  /** 1 for the first connection the bot opened, 2 for the next, … */
  id: number;
  /** Set once the connection is closed: the close code, and whether the server dropped it. */
  closed?: { code: number; droppedByServer: boolean };
}

interface Awaiting {
  type: EnvelopeType;
  acceptsResponsePayload: boolean;
  connection: number;
  resolve(ack: Ack): void;
  reject(error: Error): void;
  timer: NodeJS.Timeout;
}

/** What the bot may send: the ack of an envelope, with an optional response payload. */
const AckMessage = z.strictObject({ envelope_id: z.string().min(1), payload: z.record(z.string(), z.unknown()).optional() });

export class SocketModeServer {
  /** The app-level token the bot must open connections with (SLACK_APP_TOKEN). */
  readonly appToken = `xapp-1-${APP_ID}-${randomBytes(6).toString('hex')}`;
  readonly connections: SocketConnection[] = [];
  /**
   * When set, connections opened from then on are not read after `hello`: the bot's close
   * frame is never answered, as from a peer gone silent. Acks are not read either.
   */
  stallNewConnections = false;
  private readonly sockets = new Map<number, WebSocket>();
  /** Tickets handed out by apps.connections.open and not used yet. */
  private readonly tickets = new Set<string>();
  private readonly awaiting = new Map<string, Awaiting>();
  private readonly problems: string[] = [];
  private readonly wss = new WebSocketServer({ noServer: true });

  private constructor(
    private readonly server: Server,
    private readonly wsUrl: string,
  ) {}

  static async start(slack: FakeSlack): Promise<SocketModeServer> {
    let fake: SocketModeServer | undefined;
    const { server, url } = await listenOnLoopback((req, res) => {
      fake?.problems.push(`a plain HTTP ${req.method} ${req.url} reached the Socket Mode server`);
      res.writeHead(404).end();
    });
    const started = new SocketModeServer(server, url.replace(/^http/, 'ws'));
    fake = started;
    server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => started.upgrade(req, socket, head));
    slack.serveSocketMode((call) => started.open(call.token));
    return started;
  }

  /**
   * The connection envelopes go to: the newest one still open. One whose close handshake has
   * begun (a close frame came from the bot) is no longer open, even before its TCP connection ends.
   */
  get live(): SocketConnection | undefined {
    return [...this.connections].reverse().find((c) => this.sockets.get(c.id)?.readyState === WebSocket.OPEN);
  }

  /** Waits until the bot's `count`th connection is the open one. */
  async waitForConnection(count: number, timeoutMs = 5_000): Promise<SocketConnection> {
    return found(() => (this.live?.id === count ? this.live : undefined), {
      timeoutMs,
      message: `expected Socket Mode connection #${count} to be open, saw ${JSON.stringify(this.connections)}`,
    });
  }

  /** Delivers a slash command (its form fields, as the HTTP request would carry them); resolves with its ack. */
  slashCommand(form: Record<string, string>): Promise<Ack> {
    return this.deliver('slash_commands', form, true);
  }

  /** Delivers an interaction payload (a block_actions click); resolves with its ack. */
  interactive(payload: Record<string, unknown>): Promise<Ack> {
    return this.deliver('interactive', payload, false);
  }

  /**
   * Sends an envelope on the live connection; resolves with the bot's ack, or rejects (and
   * keeps a problem) when none came within ACK_DEADLINE_MS.
   */
  private deliver(type: EnvelopeType, payload: Record<string, unknown>, acceptsResponsePayload: boolean): Promise<Ack> {
    const connection = this.live;
    const ws = connection && this.sockets.get(connection.id);
    if (!connection || !ws) throw new Error(`no open Socket Mode connection to deliver a ${type} envelope on`);
    const envelopeId = randomUUID();
    return new Promise<Ack>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.awaiting.delete(envelopeId);
        const problem = `the ${type} envelope ${envelopeId} was not acked within ${ACK_DEADLINE_MS} ms`;
        this.problems.push(problem);
        reject(new Error(problem));
      }, ACK_DEADLINE_MS);
      this.awaiting.set(envelopeId, { type, acceptsResponsePayload, connection: connection.id, resolve, reject, timer });
      ws.send(JSON.stringify({ envelope_id: envelopeId, type, payload, accepts_response_payload: acceptsResponsePayload }));
    });
  }

  /** Drops the live connection the way a network fault does: no close frame, the TCP connection is gone. */
  drop(): SocketConnection {
    const connection = this.live;
    const ws = connection && this.sockets.get(connection.id);
    if (!connection || !ws) throw new Error('no open Socket Mode connection to drop');
    connection.closed = { code: 1006, droppedByServer: true };
    ws.terminate();
    return connection;
  }

  /** Asks the bot to reconnect, as Slack does before it recycles the host of a connection. */
  requestReconnect(): SocketConnection {
    const connection = this.live;
    const ws = connection && this.sockets.get(connection.id);
    if (!connection || !ws) throw new Error('no open Socket Mode connection to ask to reconnect');
    ws.send(JSON.stringify({ type: 'disconnect', reason: 'refresh_requested', debug_info: { host: 'fake-applink' } }));
    return connection;
  }

  /** Throws, once, naming every problem seen since the last check. */
  assertNoProblems(): void {
    const problems = this.problems.splice(0);
    if (problems.length > 0) throw new Error(`fake Socket Mode server: ${problems.join('; ')}`);
  }

  /** Closes every connection and the server; then fails on any problem, an envelope still awaiting its ack included. */
  async close(): Promise<void> {
    for (const [id, pending] of this.awaiting) {
      clearTimeout(pending.timer);
      const problem = `the ${pending.type} envelope ${id} was never acked`;
      this.problems.push(problem);
      pending.reject(new Error(problem));
    }
    this.awaiting.clear();
    for (const ws of this.sockets.values()) ws.terminate();
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.assertNoProblems();
  }

  /** The apps.connections.open answer: a one-time URL for the app token, Slack's errors otherwise. */
  private open(token: string | undefined): Record<string, unknown> {
    if (token !== this.appToken) {
      this.problems.push(`apps.connections.open called with ${token ? 'a token other than the app-level token' : 'no token'}`);
      return { ok: false, error: token?.startsWith('xoxb-') ? 'not_allowed_token_type' : 'invalid_auth' };
    }
    const ticket = randomUUID();
    this.tickets.add(ticket);
    return { ok: true, url: `${this.wsUrl}/link/?ticket=${ticket}&app_id=${APP_ID}` };
  }

  /** A connection is accepted once for each ticket apps.connections.open handed out. */
  private upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const url = new URL(req.url ?? '/', this.wsUrl);
    if (url.pathname !== '/link/' || !this.tickets.delete(url.searchParams.get('ticket') ?? '')) {
      this.problems.push(`a WebSocket connection to ${req.url} without a ticket from apps.connections.open (or with a used one)`);
      socket.end('HTTP/1.1 403 Forbidden\r\nconnection: close\r\n\r\n');
      return;
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => this.accept(ws));
  }

  private accept(ws: WebSocket): void {
    const connection: SocketConnection = { id: this.connections.length + 1 };
    this.connections.push(connection);
    this.sockets.set(connection.id, ws);
    ws.on('message', (data, isBinary) => this.receive(connection.id, data, isBinary));
    // A dropped peer also surfaces as an error; the close that follows records it.
    ws.on('error', () => undefined);
    ws.on('close', (code) => {
      this.sockets.delete(connection.id);
      connection.closed ??= { code, droppedByServer: false };
    });
    ws.send(JSON.stringify({ type: 'hello', num_connections: 1, debug_info: { host: 'fake-applink' }, connection_info: { app_id: APP_ID } }));
    if (this.stallNewConnections) ws.pause();
  }

  private receive(connection: number, data: RawData, isBinary: boolean): void {
    const text = (Array.isArray(data) ? Buffer.concat(data) : Buffer.isBuffer(data) ? data : Buffer.from(data)).toString('utf8');
    let parsed: unknown;
    try {
      parsed = isBinary ? undefined : JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    const ack = AckMessage.safeParse(parsed);
    if (!ack.success) {
      this.problems.push(`an unknown message on connection #${connection}: ${isBinary ? '(binary)' : text}`);
      return;
    }
    const { envelope_id: envelopeId, payload } = ack.data;
    const pending = this.awaiting.get(envelopeId);
    if (!pending) {
      this.problems.push(`an ack for envelope ${envelopeId}, which is not awaiting one (unknown, late or acked already)`);
      return;
    }
    this.awaiting.delete(envelopeId);
    clearTimeout(pending.timer);
    if (pending.connection !== connection) this.problems.push(`envelope ${envelopeId} sent on connection #${pending.connection} was acked on #${connection}`);
    const answered = payload !== undefined && Object.keys(payload).length > 0;
    if (answered && !pending.acceptsResponsePayload) {
      this.problems.push(`the ${pending.type} envelope ${envelopeId} accepts no response payload, and its ack carried ${JSON.stringify(payload)}`);
    }
    pending.resolve({ envelopeId, type: pending.type, payload, connection });
  }
}
