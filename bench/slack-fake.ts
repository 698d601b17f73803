/**
 * A local stand-in for the three Slack Web API methods the bot calls (auth.test,
 * chat.postMessage, chat.update). It records every call with its arrival time and keeps,
 * per top-level message, what the message shows now (the last post or update accepted).
 *
 * With `tierLimits`, it answers 429 + Retry-After like Slack would:
 *   - chat.postMessage: more than one per second in a channel (thread replies included,
 *     they are postMessage calls too);
 *   - chat.update: more than `updatesPerMinute` in the workspace in any sliding 60 s.
 * A refused call does not count against the limits (Slack counts what it served).
 *
 * Any other method is answered `unknown_method`, as Slack would, and kept: the bench fails
 * at `assertNoUnexpectedCalls()` rather than measure a bot that calls what the fake fakes.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface TierLimits {
  postIntervalMs: number;
  updatesPerMinute: number;
}

export interface SlackCall {
  method: string;
  at: number;
  /** 200, or 429 when the fake refused it for a rate limit. */
  status: number;
  channel: string;
  /** The message the call created (post) or changed (update). */
  ts: string;
  thread_ts: string | undefined;
  text: string;
  blocks: unknown;
}

/** A top-level message: what it shows now, and every accepted call that touched it. */
export interface MessageState {
  channel: string;
  ts: string;
  /** Post + updates, in order; the last one is what people see. */
  renders: SlackCall[];
  replies: SlackCall[];
}

const UPDATE_WINDOW_MS = 60_000;
const KNOWN_METHODS = new Set(['auth.test', 'chat.postMessage', 'chat.update']);
/** What the bot posts to a response_url is recorded as method `/response/<name>`. */
const isResponseUrl = (method: string) => method.startsWith('/response/');

function decodeParams(raw: string, contentType: string | undefined): Record<string, unknown> {
  if (contentType?.includes('application/json')) return raw ? (JSON.parse(raw) as Record<string, unknown>) : {};
  const params: Record<string, unknown> = {};
  for (const [key, value] of new URLSearchParams(raw)) {
    // The Web API client sends nested fields (blocks) as JSON strings in a form body.
    params[key] = key === 'blocks' ? JSON.parse(value) : value;
  }
  return params;
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

export class SlackFake {
  readonly calls: SlackCall[] = [];
  readonly messages = new Map<string, MessageState>();
  /** Methods called that the fake does not know, kept until a check reports them. */
  private readonly unexpected: string[] = [];
  private readonly lastPostAt = new Map<string, number>();
  private readonly acceptedUpdates: number[] = [];
  private tsCounter = 0;

  private constructor(
    private readonly server: Server,
    readonly apiUrl: string,
    private readonly limits: TierLimits | undefined,
  ) {}

  static async start(limits?: TierLimits): Promise<SlackFake> {
    let fake: SlackFake | undefined;
    const server = createServer((req, res) => void fake?.handle(req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    fake = new SlackFake(server, `http://127.0.0.1:${port}/api/`, limits);
    return fake;
  }

  count(method: string, status = 200, filter: (call: SlackCall) => boolean = () => true): number {
    return this.calls.filter((c) => c.method === method && c.status === status && filter(c)).length;
  }

  /** Accepted chat.update calls in the 60 s window ending at `at`, oldest first. */
  updatesInWindowEndingAt(at: number): number[] {
    return this.calls.filter((c) => c.method === 'chat.update' && c.status === 200 && c.at > at - UPDATE_WINDOW_MS && c.at <= at).map((c) => c.at);
  }

  /** Throws, naming every method called that the fake does not know. */
  assertNoUnexpectedCalls(): void {
    const unexpected = this.unexpected.splice(0);
    if (unexpected.length > 0) throw new Error(`Slack fake: ${unexpected.length} call(s) to methods it does not know: ${[...new Set(unexpected)].join(', ')}`);
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const at = Date.now();
    const params = decodeParams(await readBody(req), req.headers['content-type']);
    const method = new URL(req.url ?? '/', 'http://x').pathname.replace(/^\/api\//, '');
    if (!KNOWN_METHODS.has(method) && !isResponseUrl(method)) {
      this.unexpected.push(method);
      return this.reply(res, 200, { ok: false, error: 'unknown_method', req_method: method });
    }
    if (method === 'auth.test') {
      return this.reply(res, 200, {
        ok: true,
        url: 'https://bench.slack.com/',
        team: 'Bench',
        user: 'chatops',
        team_id: 'T0BENCH',
        user_id: 'U0BOT',
        bot_id: 'B0BOT',
      });
    }
    const call: SlackCall = {
      method,
      at,
      status: 200,
      channel: String(params.channel ?? ''),
      ts: String(params.ts ?? ''),
      thread_ts: params.thread_ts === undefined ? undefined : String(params.thread_ts),
      text: String(params.text ?? ''),
      blocks: params.blocks,
    };
    if (this.rateLimited(call)) {
      this.calls.push({ ...call, status: 429 });
      return this.reply(res, 429, { ok: false, error: 'ratelimited' }, { 'retry-after': '1' });
    }
    this.calls.push(call);
    if (method === 'chat.postMessage') return this.reply(res, 200, this.post(call));
    if (method === 'chat.update') return this.reply(res, 200, this.update(call));
    this.reply(res, 200, { ok: true });
  }

  private rateLimited(call: SlackCall): boolean {
    if (!this.limits) return false;
    if (call.method === 'chat.postMessage') {
      const last = this.lastPostAt.get(call.channel);
      if (last !== undefined && call.at - last < this.limits.postIntervalMs) return true;
      this.lastPostAt.set(call.channel, call.at);
      return false;
    }
    if (call.method === 'chat.update') {
      while (this.acceptedUpdates.length > 0 && (this.acceptedUpdates[0] ?? 0) <= call.at - UPDATE_WINDOW_MS) this.acceptedUpdates.shift();
      if (this.acceptedUpdates.length >= this.limits.updatesPerMinute) return true;
      this.acceptedUpdates.push(call.at);
    }
    return false;
  }

  private post(call: SlackCall): Record<string, unknown> {
    this.tsCounter += 1;
    const ts = `1700000000.${String(this.tsCounter).padStart(6, '0')}`;
    call.ts = ts;
    if (call.thread_ts) this.messages.get(call.thread_ts)?.replies.push(call);
    else this.messages.set(ts, { channel: call.channel, ts, renders: [call], replies: [] });
    return { ok: true, channel: call.channel, ts, message: { text: call.text } };
  }

  private update(call: SlackCall): Record<string, unknown> {
    const message = this.messages.get(call.ts);
    if (!message) return { ok: false, error: 'message_not_found' };
    message.renders.push(call);
    return { ok: true, channel: call.channel, ts: call.ts, text: call.text };
  }

  private reply(res: ServerResponse, status: number, body: Record<string, unknown>, headers: Record<string, string> = {}): void {
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(JSON.stringify(body));
  }
}
