/**
 * A local stand-in for the Slack Web API (and for response_url), recording every call.
 * Point SLACK_API_URL at `apiUrl`. It answers like Slack for the methods the bot uses,
 * and can be told to answer 429 or an error for the next calls of a method. Like Slack, it
 * refuses a message over a Block Kit limit (`invalid_blocks`, `msg_too_long`: see
 * block-kit-limits.ts), so a test fails when the bot sends one Slack would not show.
 *
 * It cannot lie about a method it does not know: such a call is answered as Slack would
 * (`unknown_method`) and kept, and the test fails at the next `assertNoUnexpectedCalls()`,
 * `reset()` or `close()`. A bot that starts calling a new method needs the method taught
 * here, in Slack's shape, rather than a fake that says `ok` to anything.
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { homeViewRefusal, slackRefusal, type Refusal } from './block-kit-limits.js';
import { listenOnLoopback } from './loopback-server.js';
import { waitFor } from './wait.js';

export interface SlackCall {
  method: string;
  params: Record<string, unknown>;
  at: number;
  /** The bearer token the call carried: the bot token, or the app-level token for Socket Mode. */
  token?: string;
  /** For a response_url call: the id its URL was made with (`responseUrl(id)`). */
  responseId?: string;
  /** What the fake answered (for chat.postMessage, the ts the bot must update later). */
  result?: Record<string, unknown>;
  /** Why the fake refused the message, as Slack does one over a Block Kit limit. */
  refusal?: Refusal;
}

/** A file that went through Slack's upload-URL flow: the bytes the bot POSTed, then where it completed the upload. */
export interface UploadedFile {
  id: string;
  filename: string;
  /** The length the bot declared in files.getUploadURLExternal; the bytes had to match it. */
  length: number;
  bytes: Buffer;
  /** From the PNG's IHDR chunk, for a `.png`; the fake refuses a `.png` whose bytes are not a PNG. */
  width?: number;
  height?: number;
  /** Set by files.completeUploadExternal. */
  title?: string;
  initial_comment?: string;
  channel_id?: string;
  thread_ts?: string;
}

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** Width and height of a PNG, or why the bytes are not one. */
function pngSize(bytes: Buffer): { width: number; height: number } | string {
  if (bytes.length < 24 || !bytes.subarray(0, 8).equals(PNG_SIGNATURE)) return 'not a PNG: the signature is missing';
  if (bytes.toString('latin1', 12, 16) !== 'IHDR') return 'not a PNG: the first chunk is not IHDR';
  return { width: bytes.readUInt32BE(16), height: bytes.readUInt32BE(20) };
}

/** A message a person wrote, as conversations.replies gives it back. */
export interface PersonMessage {
  ts: string;
  user?: string;
  text: string;
  thread_ts?: string;
}

/** A channel as conversations.create answers it, with the members invited since. */
export interface FakeChannel {
  id: string;
  name: string;
  creator: string;
  is_archived: boolean;
  topic: { value: string; creator: string; last_set: number };
  members: string[];
}

/** Slack's rule for channel names: lower case letters, digits, hyphens and underscores, at most 80. */
const CHANNEL_NAME = /^[a-z0-9_-]{1,80}$/;
const BOT_USER = 'U0BOT';

export interface FakeSlackOptions {
  /**
   * Refuse a message over a Block Kit limit as Slack does (`invalid_blocks`, `msg_too_long`);
   * on unless a test needs to see what the bot sends whatever its size.
   */
  enforceLimits?: boolean;
}

/** The methods that carry a message Slack checks against its Block Kit limits. */
const MESSAGE_METHODS: ReadonlySet<string> = new Set(['chat.postMessage', 'chat.update']);

type Scripted = {
  status: number;
  body: Record<string, unknown>;
  headers?: Record<string, string>;
  /** Only calls whose params match get this answer (a channel that refuses, say); others are answered as usual. */
  when?: (params: Record<string, unknown>) => boolean;
};

function tryJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** Slack sends nested fields (blocks, attachments) as JSON strings inside form bodies. */
function decodeParams(raw: string, contentType: string | undefined): Record<string, unknown> {
  if (contentType?.includes('application/json')) return raw ? (JSON.parse(raw) as Record<string, unknown>) : {};
  const params: Record<string, unknown> = {};
  for (const [key, value] of new URLSearchParams(raw)) {
    params[key] = /^[[{]/.test(value) ? tryJson(value) : value;
  }
  return params;
}

export class FakeSlack {
  readonly calls: SlackCall[] = [];
  /** Calls to methods the fake does not know, kept until a check reports them. */
  private readonly unexpected: SlackCall[] = [];
  private readonly scripted = new Map<string, Scripted[]>();
  private readonly userGroups = new Map<string, string[]>();
  private readonly peopleMessages: Array<PersonMessage & { channel: string }> = [];
  /** The Web API methods the fake knows, answered in Slack's shapes; `response_url` is what the bot posts there. */
  private readonly answers = new Map<string, (params: Record<string, unknown>, call: SlackCall) => Record<string, unknown>>([
    [
      'auth.test',
      () => ({ ok: true, url: 'https://example.slack.com/', team: 'Example', user: 'chatops', team_id: 'T0TEAM', user_id: 'U0BOT', bot_id: 'B0BOT' }),
    ],
    [
      'chat.postMessage',
      (params) => {
        if (this.channels.get(String(params.channel))?.is_archived) return { ok: false, error: 'is_archived' };
        this.tsCounter += 1;
        return { ok: true, channel: params.channel, ts: `1700000000.${String(this.tsCounter).padStart(6, '0')}`, message: { text: params.text } };
      },
    ],
    [
      'chat.update',
      (params) => {
        if (this.channels.get(String(params.channel))?.is_archived) return { ok: false, error: 'is_archived' };
        return { ok: true, channel: params.channel, ts: params.ts, text: params.text };
      },
    ],
    ['conversations.replies', (params) => this.replies(params)],
    [
      'chat.getPermalink',
      (params) => {
        const ts = String(params.message_ts ?? '');
        if (!/^\d+\.\d+$/.test(ts)) return { ok: false, error: 'message_not_found' };
        return { ok: true, channel: params.channel, permalink: `https://example.slack.com/archives/${String(params.channel)}/p${ts.replace('.', '')}` };
      },
    ],
    [
      'usergroups.users.list',
      (params) => {
        const users = this.userGroups.get(String(params.usergroup));
        return users ? { ok: true, users } : { ok: false, error: 'no_such_subteam' };
      },
    ],
    [
      // A home tab: refused as Slack would when it breaks Block Kit's limits (100 blocks in a home view).
      'views.publish',
      (params) => {
        const refusal = homeViewRefusal(params.view);
        if (refusal) return { ok: false, error: refusal.error, response_metadata: { messages: refusal.errors } };
        this.tsCounter += 1;
        return { ok: true, view: { id: `V${this.tsCounter}`, ...(params.view as Record<string, unknown>) } };
      },
    ],
    ['response_url', () => ({ ok: true })],
    ['conversations.create', (params) => this.createChannel(params)],
    ['conversations.list', (params) => this.listChannels(params)],
    ['conversations.setTopic', (params) => this.onChannel(params, (c) => this.setTopic(c, params))],
    ['conversations.invite', (params) => this.onChannel(params, (c) => this.invite(c, params))],
    ['conversations.archive', (params) => this.onChannel(params, (c) => this.archive(c))],
    [
      'files.getUploadURLExternal',
      (params) => {
        const length = Number(params.length);
        if (!params.filename || !Number.isInteger(length) || length <= 0) return { ok: false, error: 'invalid_arguments' };
        this.fileCounter += 1;
        const id = `F0GRAPH${this.fileCounter}`;
        this.pendingUploads.set(id, { filename: String(params.filename), length });
        return { ok: true, upload_url: `${this.baseUrl}/upload/${id}`, file_id: id };
      },
    ],
    [
      'files.completeUploadExternal',
      (params) => {
        const files = Array.isArray(params.files) ? (params.files as Array<{ id?: string; title?: string }>) : [];
        const found = files.map((f) => this.uploads.find((u) => u.id === f.id && u.channel_id === undefined));
        if (files.length === 0 || found.some((u) => !u)) return { ok: false, error: 'file_not_found' };
        files.forEach((f, i) => {
          const upload = found[i] as UploadedFile;
          Object.assign(upload, {
            ...(f.title ? { title: f.title } : {}),
            ...(params.channel_id ? { channel_id: String(params.channel_id) } : {}),
            ...(params.thread_ts ? { thread_ts: String(params.thread_ts) } : {}),
            ...(params.initial_comment ? { initial_comment: String(params.initial_comment) } : {}),
          });
        });
        return { ok: true, files: files.map((f) => ({ id: f.id, title: f.title })) };
      },
    ],
  ]);
  /** Files whose bytes arrived at their upload URL, completed or not. */
  readonly uploads: UploadedFile[] = [];
  private readonly pendingUploads = new Map<string, { filename: string; length: number }>();
  /** Bytes the upload URL refused (not a PNG, or not the declared length), kept until a check reports them. */
  private readonly refusedUploads: string[] = [];
  private fileCounter = 0;
  private tsCounter = 0;
  /** Channels made by conversations.create (or taken by a person, `takeChannelName`), by id. */
  readonly channels = new Map<string, FakeChannel>();
  /** Decides per call whether to answer 429, returning the Retry-After seconds. */
  rateLimit: ((call: SlackCall, calls: readonly SlackCall[]) => number | undefined) | undefined;
  /**
   * Runs once Slack has done what a call asks (and recorded it), before the answer leaves: a
   * test can make a call slow, or make something fail at the worst moment, when Slack has
   * acted but the bot does not know it yet.
   */
  beforeReply: ((call: SlackCall) => void | Promise<void>) | undefined;

  private constructor(
    private readonly server: Server,
    readonly baseUrl: string,
    private readonly options: FakeSlackOptions,
  ) {}

  static async start(options: FakeSlackOptions = {}): Promise<FakeSlack> {
    let fake: FakeSlack | undefined;
    const { server, url } = await listenOnLoopback((req, res) => void fake?.handle(req, res));
    fake = new FakeSlack(server, url, options);
    return fake;
  }

  get apiUrl(): string {
    return `${this.baseUrl}/api/`;
  }

  /** A response_url for a signed request; what the bot posts there is recorded as method "response_url". */
  responseUrl(id = 'r1'): string {
    return `${this.baseUrl}/response/${id}`;
  }

  callsTo(method: string): SlackCall[] {
    return this.calls.filter((c) => c.method === method);
  }

  /** The next `times` calls to `method` get this answer instead of the normal one. */
  script(method: string, answer: Scripted, times = 1): void {
    if (!this.answers.has(method))
      throw new Error(`fake Slack: cannot script ${method}, a method it does not know (known: ${[...this.answers.keys()].join(', ')})`);
    const list = this.scripted.get(method) ?? [];
    for (let i = 0; i < times; i += 1) list.push(answer);
    this.scripted.set(method, list);
  }

  /** Drops what is still scripted for `method`: an outage scripted as "fail the next N calls" ends now. */
  recover(method: string): void {
    this.scripted.delete(method);
  }

  async waitForCalls(method: string, count: number, timeoutMs = 5_000): Promise<SlackCall[]> {
    await waitFor(() => this.callsTo(method).length >= count, {
      timeoutMs,
      message: `expected ${count} ${method} call(s), saw ${this.callsTo(method).length}`,
    });
    return this.callsTo(method);
  }

  /** A message a person wrote in `channel` (a reply when `thread_ts` is set), for conversations.replies to find. */
  addMessage(channel: string, message: PersonMessage): void {
    this.peopleMessages.push({ channel, ...message });
  }

  /**
   * conversations.replies as Slack answers it: the thread `ts` belongs to, its parent first
   * always, then the replies in `oldest`..`latest` (ends included with `inclusive`) oldest
   * first; at most `limit` in all, the parent counted; `thread_not_found` when no message has that ts.
   */
  private replies(params: Record<string, unknown>): Record<string, unknown> {
    const channel = String(params.channel);
    const ts = String(params.ts);
    const posted = this.callsTo('chat.postMessage')
      .filter((c) => typeof c.result?.ts === 'string')
      .map((c) => ({
        channel: String(c.params.channel),
        ts: String(c.result?.ts),
        bot_id: 'B0BOT',
        text: String(c.params.text ?? ''),
        ...(c.params.thread_ts ? { thread_ts: String(c.params.thread_ts) } : {}),
      }));
    const all: Array<PersonMessage & { channel: string; bot_id?: string }> = [...this.peopleMessages, ...posted].filter((m) => m.channel === channel);
    const target = all.find((m) => m.ts === ts);
    if (!target) return { ok: false, error: 'thread_not_found' };
    const root = target.thread_ts ?? target.ts;
    const inclusive = params.inclusive === true || params.inclusive === 'true' || params.inclusive === '1';
    const after = (t: string, bound: unknown) => bound === undefined || (inclusive ? Number(t) >= Number(bound) : Number(t) > Number(bound));
    const before = (t: string, bound: unknown) => bound === undefined || (inclusive ? Number(t) <= Number(bound) : Number(t) < Number(bound));
    // As Slack does: the thread's parent always comes first, whatever the bounds, then its replies within them.
    const parent = all.find((m) => m.ts === root);
    const replies = all
      .filter((m) => m.ts !== root && m.thread_ts === root)
      .sort((a, b) => Number(a.ts) - Number(b.ts))
      .filter((m) => after(m.ts, params.oldest) && before(m.ts, params.latest));
    const thread = [...(parent ? [parent] : []), ...replies];
    const limit = params.limit === undefined ? 1000 : Number(params.limit);
    const messages = thread.slice(0, limit).map(({ channel: _channel, ...m }) => ({ type: 'message', ...m }));
    return { ok: true, messages, has_more: thread.length > limit, response_metadata: { next_cursor: '' } };
  }

  /** The members usergroups.users.list answers for `groupId`; a group never set is `no_such_subteam`, as in Slack. */
  setUserGroup(groupId: string, users: string[]): void {
    this.userGroups.set(groupId, users);
  }

  /** A channel of that name made by a person, as if before the bot: conversations.create then answers name_taken. */
  takeChannelName(name: string, creator = 'U0SOMEONE'): FakeChannel {
    return this.addChannel(name, creator);
  }

  /** The channel of that name, if one was made. */
  channelNamed(name: string): FakeChannel | undefined {
    return [...this.channels.values()].find((c) => c.name === name);
  }

  private addChannel(name: string, creator: string): FakeChannel {
    const channel: FakeChannel = {
      id: `C0ROOM${this.channels.size + 1}`,
      name,
      creator,
      is_archived: false,
      topic: { value: '', creator: '', last_set: 0 },
      members: [creator],
    };
    this.channels.set(channel.id, channel);
    return channel;
  }

  /** A channel object in Slack's shape (conversations.create, .list, .invite, .setTopic answer it). */
  private channelObject(c: FakeChannel): Record<string, unknown> {
    const { members, ...fields } = c;
    return { ...fields, is_channel: true, is_private: false, is_general: false, name_normalized: c.name, created: 1700000000, num_members: members.length };
  }

  private createChannel(params: Record<string, unknown>): Record<string, unknown> {
    const name = String(params.name ?? '');
    if (!name) return { ok: false, error: 'invalid_name_required' };
    if (name.length > 80) return { ok: false, error: 'invalid_name_maxlength' };
    if (!CHANNEL_NAME.test(name)) return { ok: false, error: 'invalid_name_specials' };
    if (this.channelNamed(name)) return { ok: false, error: 'name_taken' };
    return { ok: true, channel: this.channelObject(this.addChannel(name, BOT_USER)) };
  }

  /** One page of channels; `cursor` is the index to start at. */
  private listChannels(params: Record<string, unknown>): Record<string, unknown> {
    const all = [...this.channels.values()].filter((c) => !(params.exclude_archived === 'true' || params.exclude_archived === true) || !c.is_archived);
    const start = Number(params.cursor ?? 0) || 0;
    const limit = Number(params.limit ?? 100) || 100;
    const next = start + limit < all.length ? String(start + limit) : '';
    return { ok: true, channels: all.slice(start, start + limit).map((c) => this.channelObject(c)), response_metadata: { next_cursor: next } };
  }

  private onChannel(params: Record<string, unknown>, act: (c: FakeChannel) => Record<string, unknown>): Record<string, unknown> {
    const channel = this.channels.get(String(params.channel));
    return channel ? act(channel) : { ok: false, error: 'channel_not_found' };
  }

  private setTopic(c: FakeChannel, params: Record<string, unknown>): Record<string, unknown> {
    if (c.is_archived) return { ok: false, error: 'is_archived' };
    const topic = String(params.topic ?? '');
    if (topic.length > 250) return { ok: false, error: 'too_long' };
    c.topic = { value: topic, creator: BOT_USER, last_set: Math.floor(Date.now() / 1000) };
    return { ok: true, channel: this.channelObject(c) };
  }

  private archive(c: FakeChannel): Record<string, unknown> {
    if (c.is_archived) return { ok: false, error: 'already_archived' };
    c.is_archived = true;
    return { ok: true };
  }

  /** Without `force`, one invitee already there refuses them all, as Slack does. */
  private invite(c: FakeChannel, params: Record<string, unknown>): Record<string, unknown> {
    if (c.is_archived) return { ok: false, error: 'is_archived' };
    const users = String(params.users ?? '')
      .split(',')
      .filter(Boolean);
    if (users.length === 0) return { ok: false, error: 'no_user' };
    if (users.includes(BOT_USER)) return { ok: false, error: 'cant_invite_self' };
    const there = users.filter((u) => c.members.includes(u));
    if (there.length > 0 && !(params.force === 'true' || params.force === true)) return { ok: false, error: 'already_in_channel' };
    c.members.push(...users.filter((u) => !c.members.includes(u)));
    return { ok: true, channel: this.channelObject(c) };
  }

  /**
   * Answers `apps.connections.open` with `open`, as Slack does for an app in Socket Mode. Only
   * a Socket Mode server (socket-mode-server.ts) calls this: without one the method stays
   * unknown, and a bot that opens a socket fails the test.
   */
  serveSocketMode(open: (call: SlackCall) => Record<string, unknown>): void {
    this.answers.set('apps.connections.open', (_params, call) => open(call));
  }

  /** Throws, once, naming every call to a method the fake does not know, and every refused upload, since the last check. */
  assertNoUnexpectedCalls(): void {
    const refused = this.refusedUploads.splice(0);
    if (refused.length > 0) throw new Error(`fake Slack: the upload URL refused what the bot sent: ${refused.join('; ')}`);
    const unexpected = this.unexpected.splice(0);
    if (unexpected.length === 0) return;
    const seen = unexpected.map((c) => `${c.method} ${JSON.stringify(c.params)}`).join('; ');
    throw new Error(
      `fake Slack: ${unexpected.length} call(s) to methods it does not know, answered unknown_method: ${seen}. ` +
        'If the bot should call them, teach test/support/fake-slack.ts to answer them as Slack does.',
    );
  }

  /** Forgets calls, scripts, user groups, the rate limit and the reply hook; then fails if a method it does not know was called. */
  reset(): void {
    this.calls.length = 0;
    this.uploads.length = 0;
    this.pendingUploads.clear();
    this.scripted.clear();
    this.userGroups.clear();
    this.peopleMessages.length = 0;
    this.channels.clear();
    this.rateLimit = undefined;
    this.beforeReply = undefined;
    this.assertNoUnexpectedCalls();
  }

  /** Stops the server; then fails if a method it does not know was called. */
  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.assertNoUnexpectedCalls();
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    const raw = body.toString('utf8');
    const path = new URL(req.url ?? '/', this.baseUrl).pathname;
    if (path.startsWith('/upload/')) return this.receiveUpload(path.slice('/upload/'.length), body, res);
    const method = path.startsWith('/response/') ? 'response_url' : path.replace(/^\/api\//, '');
    const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    const responseId = method === 'response_url' ? path.slice('/response/'.length) : undefined;
    const call: SlackCall = {
      method,
      params: decodeParams(raw, req.headers['content-type']),
      at: Date.now(),
      ...(token ? { token } : {}),
      ...(responseId ? { responseId } : {}),
    };
    const answer = this.answers.get(method);
    if (!answer) {
      this.unexpected.push(call);
      return this.reply(res, { status: 200, body: { ok: false, error: 'unknown_method', req_method: method } });
    }
    const retryAfter = this.rateLimit?.(call, this.calls);
    if (retryAfter !== undefined) {
      this.calls.push({ ...call, method: `${method}:429` });
      return this.reply(res, { status: 429, body: { ok: false, error: 'ratelimited' }, headers: { 'retry-after': String(retryAfter) } });
    }
    this.calls.push(call);
    const queue = this.scripted.get(method) ?? [];
    const next = queue.findIndex((s) => s.when?.(call.params) ?? true);
    const scripted = next >= 0 ? (queue.splice(next, 1)[0] as Scripted) : undefined;
    const refusal = !scripted && this.options.enforceLimits !== false && MESSAGE_METHODS.has(method) ? slackRefusal(call.params) : undefined;
    if (refusal) call.refusal = refusal;
    else if (!scripted) call.result = answer(call.params, call);
    await this.beforeReply?.(call);
    this.reply(res, scripted ?? (refusal ? { status: 200, body: { ok: false, ...refusal } } : { status: 200, body: call.result ?? {} }));
  }

  /** The upload URL's end, as Slack's: a file id it handed out, bytes of the declared length; here also a PNG when named `.png`. */
  private receiveUpload(id: string, bytes: Buffer, res: ServerResponse): void {
    const pending = this.pendingUploads.get(id);
    const size = pending?.filename.endsWith('.png') === false ? {} : pngSize(bytes);
    const problem = !pending
      ? `no upload URL was handed out for ${id}`
      : bytes.length !== pending.length
        ? `${bytes.length} bytes arrived, ${pending.length} were declared`
        : typeof size === 'string'
          ? size
          : undefined;
    if (problem || !pending || typeof size === 'string') {
      this.refusedUploads.push(`${id}: ${problem}`);
      res.writeHead(400, { 'content-type': 'text/plain' });
      res.end(problem);
      return;
    }
    this.pendingUploads.delete(id);
    this.uploads.push({ id, filename: pending.filename, length: pending.length, bytes, ...size });
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end(`OK - ${bytes.length}`);
  }

  private reply(res: ServerResponse, { status, body, headers }: Scripted): void {
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(JSON.stringify(body));
  }
}
