/**
 * The demo workspace's memory: its people, channels and every message, ephemeral answers
 * included, as the page shows them. Web API calls and response_url answers change it.
 */

export interface DemoUser {
  id: string;
  name: string;
}

export interface DemoChannel {
  id: string;
  name: string;
  /** Set on a channel made through the Web API (a war room), as Slack says who created it. */
  creator?: string;
  topic?: string;
  archived?: boolean;
  members?: string[];
}

/** A file shared in a message through the upload-URL flow; the demo keeps its text to show it. */
export interface DemoFile {
  id: string;
  name: string;
  title: string;
  text: string;
}

export interface StoredMessage {
  channel: string;
  ts: string;
  /** The bot's user id, or a person's. */
  user: string;
  text: string;
  blocks?: unknown[];
  thread_ts?: string;
  /** Shown only to this user, as Slack shows an ephemeral message. */
  ephemeralTo?: string;
  edited?: boolean;
  files?: DemoFile[];
}

export const BOT_USER: DemoUser = { id: 'U0BOT', name: 'incident-bot' };

type Answer = Record<string, unknown>;

/** Slack's rule for channel names: lower case letters, digits, hyphens and underscores, at most 80. */
const CHANNEL_NAME = /^[a-z0-9_-]{1,80}$/;

export class Workspace {
  readonly messages: StoredMessage[] = [];
  readonly groups = new Map<string, string[]>();
  /** Where the stand-in listens: the start of the upload URLs it hands out (set by DemoSlack). */
  baseUrl = '';
  private readonly uploads = new Map<string, { name: string; length: number; text?: string }>();
  private uploadCount = 0;
  private lastTs = 0;
  private readonly listeners = new Set<() => void>();

  constructor(
    readonly users: DemoUser[],
    readonly channels: DemoChannel[],
  ) {}

  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  changed(): void {
    for (const listener of this.listeners) listener();
  }

  find(channel: string, ts: string): StoredMessage | undefined {
    return this.messages.find((m) => m.channel === channel && m.ts === ts);
  }

  /** Slack's message ids: seconds and a sequence, always increasing. */
  private nextTs(): string {
    this.lastTs = Math.max(this.lastTs + 1, Date.now() * 1_000);
    return `${Math.floor(this.lastTs / 1_000_000)}.${String(this.lastTs % 1_000_000).padStart(6, '0')}`;
  }

  add(message: Omit<StoredMessage, 'ts'>): StoredMessage {
    const stored = { ...message, ts: this.nextTs() };
    this.messages.push(stored);
    this.changed();
    return stored;
  }

  /** The bytes the bot POSTed to an upload URL; false for a URL never handed out or bytes not of the declared length. */
  receiveUpload(id: string, bytes: Buffer): boolean {
    const upload = this.uploads.get(id);
    if (!upload || upload.text !== undefined || bytes.length !== upload.length) return false;
    upload.text = bytes.toString('utf8');
    return true;
  }

  /** The Web API methods the bot calls, answered in Slack's shapes; undefined for one Slack has but the demo does not. */
  webApi(method: string, params: Record<string, unknown>): Answer | undefined {
    const channel = String(params.channel ?? params.channel_id ?? '');
    const found = this.channels.find((c) => c.id === channel);
    const known = found !== undefined;
    const blocks = Array.isArray(params.blocks) ? { blocks: params.blocks } : {};
    const thread = typeof params.thread_ts === 'string' ? { thread_ts: params.thread_ts } : {};
    switch (method) {
      case 'auth.test':
        return { ok: true, url: 'http://localhost/', team: 'Demo', user: BOT_USER.name, team_id: 'T0DEMO', user_id: BOT_USER.id, bot_id: 'B0BOT' };
      case 'chat.postMessage': {
        if (!known) return { ok: false, error: 'channel_not_found' };
        if (found.archived) return { ok: false, error: 'is_archived' };
        const stored = this.add({ channel, user: BOT_USER.id, text: String(params.text ?? ''), ...blocks, ...thread });
        return { ok: true, channel, ts: stored.ts, message: { text: stored.text, ...blocks } };
      }
      case 'chat.update': {
        const message = this.find(channel, String(params.ts ?? ''));
        if (!message) return { ok: false, error: known ? 'message_not_found' : 'channel_not_found' };
        message.text = String(params.text ?? '');
        if (Array.isArray(params.blocks)) message.blocks = params.blocks;
        message.edited = true;
        this.changed();
        return { ok: true, channel, ts: message.ts, text: message.text };
      }
      case 'chat.postEphemeral': {
        if (!known) return { ok: false, error: 'channel_not_found' };
        const stored = this.add({ channel, user: BOT_USER.id, text: String(params.text ?? ''), ephemeralTo: String(params.user ?? ''), ...blocks });
        return { ok: true, message_ts: stored.ts };
      }
      case 'chat.getPermalink': {
        const message = this.find(channel, String(params.message_ts ?? ''));
        if (!message) return { ok: false, error: known ? 'message_not_found' : 'channel_not_found' };
        return { ok: true, channel, permalink: `https://demo.slack.com/archives/${channel}/p${message.ts.replace('.', '')}` };
      }
      case 'conversations.replies':
        return known ? this.replies(channel, params) : { ok: false, error: 'channel_not_found' };
      case 'conversations.create':
        return this.createChannel(String(params.name ?? ''));
      case 'conversations.list': {
        const open = params.exclude_archived === true || params.exclude_archived === 'true';
        const listed = this.channels.filter((c) => !(open && c.archived)).map((c) => this.channelObject(c));
        return { ok: true, channels: listed, response_metadata: { next_cursor: '' } };
      }
      case 'conversations.setTopic':
      case 'conversations.invite':
      case 'conversations.archive':
        if (!found) return { ok: false, error: 'channel_not_found' };
        if (found.archived) return { ok: false, error: method === 'conversations.archive' ? 'already_archived' : 'is_archived' };
        return this.changeChannel(found, method, params);
      case 'files.getUploadURLExternal': {
        const length = Number(params.length);
        if (!params.filename || !Number.isInteger(length) || length <= 0) return { ok: false, error: 'invalid_arguments' };
        this.uploadCount += 1;
        const id = `F0DEMO${this.uploadCount}`;
        this.uploads.set(id, { name: String(params.filename), length });
        return { ok: true, upload_url: `${this.baseUrl}/upload/${id}`, file_id: id };
      }
      case 'files.completeUploadExternal':
        return this.shareFiles(channel, params, thread);
      case 'users.info': {
        const user = this.users.find((u) => u.id === params.user);
        return user ? { ok: true, user: { id: user.id, name: user.name, real_name: user.name } } : { ok: false, error: 'user_not_found' };
      }
      case 'usergroups.users.list': {
        const users = this.groups.get(String(params.usergroup));
        return users ? { ok: true, users } : { ok: false, error: 'no_such_subteam' };
      }
      default:
        return undefined;
    }
  }

  /** A channel in Slack's shape, as conversations.create, .list and the others answer it. */
  private channelObject(c: DemoChannel): Answer {
    return {
      id: c.id,
      name: c.name,
      name_normalized: c.name,
      is_channel: true,
      is_private: false,
      is_archived: c.archived === true,
      creator: c.creator ?? '',
      topic: { value: c.topic ?? '', creator: c.topic ? BOT_USER.id : '', last_set: 0 },
      num_members: c.members?.length ?? this.users.length,
    };
  }

  private createChannel(name: string): Answer {
    if (!CHANNEL_NAME.test(name)) return { ok: false, error: name ? 'invalid_name_specials' : 'invalid_name_required' };
    if (this.channels.some((c) => c.name === name)) return { ok: false, error: 'name_taken' };
    const created: DemoChannel = { id: `C0ROOM${this.channels.length + 1}`, name, creator: BOT_USER.id, members: [BOT_USER.id] };
    this.channels.push(created);
    this.changed();
    return { ok: true, channel: this.channelObject(created) };
  }

  private changeChannel(c: DemoChannel, method: string, params: Record<string, unknown>): Answer {
    if (method === 'conversations.archive') c.archived = true;
    if (method === 'conversations.setTopic') c.topic = String(params.topic ?? '');
    if (method === 'conversations.invite') {
      const users = String(params.users ?? '')
        .split(',')
        .filter(Boolean);
      if (users.length === 0) return { ok: false, error: 'no_user' };
      c.members = [...new Set([...(c.members ?? []), ...users])];
    }
    this.changed();
    return method === 'conversations.archive' ? { ok: true } : { ok: true, channel: this.channelObject(c) };
  }

  /** The thread `ts` belongs to, oldest first, narrowed as Slack narrows it (oldest, latest, inclusive, limit). */
  private replies(channel: string, params: Record<string, unknown>): Answer {
    const shared = this.messages.filter((m) => m.channel === channel && m.ephemeralTo === undefined);
    const target = shared.find((m) => m.ts === params.ts);
    if (!target) return { ok: false, error: 'thread_not_found' };
    const root = target.thread_ts ?? target.ts;
    const inclusive = params.inclusive === true || params.inclusive === 'true' || params.inclusive === '1';
    const inRange = (ts: number) =>
      (params.oldest === undefined || (inclusive ? ts >= Number(params.oldest) : ts > Number(params.oldest))) &&
      (params.latest === undefined || (inclusive ? ts <= Number(params.latest) : ts < Number(params.latest)));
    const thread = shared.filter((m) => (m.ts === root || m.thread_ts === root) && inRange(Number(m.ts)));
    const limit = params.limit === undefined ? 1000 : Number(params.limit);
    const messages = thread.slice(0, limit).map((m) => ({
      type: 'message',
      ts: m.ts,
      user: m.user,
      text: m.text,
      ...(m.user === BOT_USER.id ? { bot_id: 'B0BOT' } : {}),
      ...(m.thread_ts ? { thread_ts: m.thread_ts } : {}),
    }));
    return { ok: true, messages, has_more: thread.length > limit, response_metadata: { next_cursor: '' } };
  }

  /** files.completeUploadExternal: the uploaded files, shared as one message in the channel (or thread). */
  private shareFiles(channel: string, params: Record<string, unknown>, thread: { thread_ts?: string }): Answer {
    const asked = Array.isArray(params.files) ? (params.files as Array<{ id?: string; title?: string }>) : [];
    const files = asked.map((f) => ({ f, upload: this.uploads.get(String(f.id)) }));
    if (files.length === 0 || files.some(({ upload }) => upload?.text === undefined)) return { ok: false, error: 'file_not_found' };
    if (!this.channels.some((c) => c.id === channel && !c.archived)) return { ok: false, error: 'channel_not_found' };
    const shared = files.map(({ f, upload }) => {
      this.uploads.delete(String(f.id));
      const { name, text = '' } = upload ?? { name: '' };
      return { id: String(f.id), name, title: f.title ?? name, text };
    });
    this.add({ channel, user: BOT_USER.id, text: String(params.initial_comment ?? ''), files: shared, ...thread });
    return { ok: true, files: shared.map(({ id, title }) => ({ id, title })) };
  }
}
