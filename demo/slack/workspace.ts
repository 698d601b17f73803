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
}

export const BOT_USER: DemoUser = { id: 'U0BOT', name: 'incident-bot' };

type Answer = Record<string, unknown>;

export class Workspace {
  readonly messages: StoredMessage[] = [];
  readonly groups = new Map<string, string[]>();
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

  /** The Web API methods the bot calls, answered in Slack's shapes; undefined for one Slack has but the demo does not. */
  webApi(method: string, params: Record<string, unknown>): Answer | undefined {
    const channel = String(params.channel ?? '');
    const known = this.channels.some((c) => c.id === channel);
    const blocks = Array.isArray(params.blocks) ? { blocks: params.blocks } : {};
    switch (method) {
      case 'auth.test':
        return { ok: true, url: 'http://localhost/', team: 'Demo', user: BOT_USER.name, team_id: 'T0DEMO', user_id: BOT_USER.id, bot_id: 'B0BOT' };
      case 'chat.postMessage': {
        if (!known) return { ok: false, error: 'channel_not_found' };
        const thread = typeof params.thread_ts === 'string' ? { thread_ts: params.thread_ts } : {};
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
}
