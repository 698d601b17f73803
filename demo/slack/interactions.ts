/**
 * What Slack sends an app when a person clicks, chooses or types a slash command: the
 * payload in Slack's shape, signed with the app's signing secret, POSTed to the bot's
 * /slack/events. Each request gets a response_url of its own, and what the bot posts
 * there lands in the workspace as Slack would show it.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { BOT_USER, type StoredMessage, type Workspace } from './workspace.js';

/** Where a response_url answer goes: the message clicked (if any), its channel and who acted. */
interface Origin {
  channel: string;
  user: string;
  messageTs?: string;
  threadTs?: string;
}

interface Element {
  type: string;
  action_id?: string;
  value?: string;
  text?: unknown;
  options?: Array<{ text: unknown; value: string }>;
}

export interface Click {
  user: string;
  channel: string;
  ts: string;
  block: number;
  element: number;
  /** For a static_select: the value of the option chosen. */
  option?: string;
}

export class DemoRequestError extends Error {}

export function slackSignature(body: string, signingSecret: string, timestamp = Math.floor(Date.now() / 1_000)): Record<string, string> {
  const signature = `v0=${createHmac('sha256', signingSecret).update(`v0:${timestamp}:${body}`).digest('hex')}`;
  return { 'x-slack-signature': signature, 'x-slack-request-timestamp': String(timestamp) };
}

export class Interactions {
  private readonly origins = new Map<string, Origin>();

  constructor(
    private readonly workspace: Workspace,
    private readonly options: { signingSecret: string; botUrl: () => string; ownUrl: () => string },
  ) {}

  /** A click on a button, or a choice in a select, of a message the bot posted. */
  async click({ user, channel, ts, block, element, option }: Click): Promise<number> {
    const message = this.workspace.find(channel, ts);
    const blockJson = message?.blocks?.[block] as { block_id?: string; elements?: Element[]; accessory?: Element } | undefined;
    const target = blockJson?.elements?.[element] ?? (element === -1 ? blockJson?.accessory : undefined);
    if (!message || !blockJson || !target?.action_id) throw new DemoRequestError('no such button or select on that message');
    const action: Record<string, unknown> = {
      type: target.type,
      action_id: target.action_id,
      block_id: blockJson.block_id ?? `b${block}`,
      action_ts: (Date.now() / 1_000).toFixed(6),
    };
    if (target.type === 'static_select') {
      const chosen = target.options?.find((o) => o.value === option);
      if (!chosen) throw new DemoRequestError('no such option in that select');
      action.selected_option = chosen;
    } else {
      action.value = target.value;
      action.text = target.text;
    }
    const thread = message.thread_ts ? { thread_ts: message.thread_ts } : {};
    const payload = {
      type: 'block_actions',
      user: { id: user, username: this.nameOf(user), name: this.nameOf(user), team_id: 'T0DEMO' },
      api_app_id: 'A0DEMO',
      token: 'demo-verification-token',
      team: { id: 'T0DEMO', domain: 'demo' },
      channel: { id: channel, name: this.channelName(channel) },
      container: { type: 'message', message_ts: ts, channel_id: channel, is_ephemeral: message.ephemeralTo !== undefined, ...thread },
      message: this.messageJson(message),
      state: { values: {} },
      trigger_id: triggerId(),
      response_url: this.responseUrl({ channel, user, messageTs: ts, ...(message.thread_ts ? { threadTs: message.thread_ts } : {}) }),
      actions: [action],
    };
    return this.post({ payload: JSON.stringify(payload) });
  }

  /** A slash command typed in a channel: `/incident list`. */
  async command(user: string, channel: string, line: string): Promise<number> {
    const match = /^(\/\S+)\s*([\s\S]*)$/.exec(line.trim());
    if (!match) throw new DemoRequestError('a slash command starts with /, such as /incident list');
    return this.post({
      token: 'demo-verification-token',
      team_id: 'T0DEMO',
      team_domain: 'demo',
      channel_id: channel,
      channel_name: this.channelName(channel),
      user_id: user,
      user_name: this.nameOf(user),
      command: match[1] ?? '',
      text: match[2] ?? '',
      api_app_id: 'A0DEMO',
      response_url: this.responseUrl({ channel, user }),
      trigger_id: triggerId(),
    });
  }

  /** What the bot posted to a response_url: an ephemeral answer, a message in the channel, or a replacement. */
  respond(id: string, body: Record<string, unknown>): boolean {
    const origin = this.origins.get(id);
    if (!origin) return false;
    const original = origin.messageTs ? this.workspace.find(origin.channel, origin.messageTs) : undefined;
    const blocks = Array.isArray(body.blocks) ? { blocks: body.blocks } : {};
    const text = String(body.text ?? '');
    if (original && body.delete_original === true) {
      this.workspace.messages.splice(this.workspace.messages.indexOf(original), 1);
      this.workspace.changed();
    } else if (original && body.replace_original === true) {
      Object.assign(original, { text, edited: true }, blocks);
      this.workspace.changed();
    } else {
      const thread = origin.threadTs ? { thread_ts: origin.threadTs } : {};
      const to = body.response_type === 'in_channel' ? {} : { ephemeralTo: origin.user };
      this.workspace.add({ channel: origin.channel, user: BOT_USER.id, text, ...blocks, ...thread, ...to });
    }
    return true;
  }

  private responseUrl(origin: Origin): string {
    const id = randomBytes(9).toString('hex');
    this.origins.set(id, origin);
    return `${this.options.ownUrl()}/response/${id}`;
  }

  private async post(form: Record<string, string>): Promise<number> {
    const body = new URLSearchParams(form).toString();
    const res = await fetch(`${this.options.botUrl()}/slack/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...slackSignature(body, this.options.signingSecret) },
      body,
    });
    await res.body?.cancel();
    return res.status;
  }

  private messageJson(message: StoredMessage) {
    return {
      type: 'message',
      user: message.user,
      ts: message.ts,
      text: message.text,
      ...(message.blocks ? { blocks: message.blocks } : {}),
      ...(message.thread_ts ? { thread_ts: message.thread_ts } : {}),
    };
  }

  private nameOf(user: string): string {
    return this.workspace.users.find((u) => u.id === user)?.name ?? user.toLowerCase();
  }

  private channelName(channel: string): string {
    return this.workspace.channels.find((c) => c.id === channel)?.name ?? channel;
  }
}

/** Slack gives every interaction a trigger_id of its own; the bot refuses a signed request it has seen before. */
function triggerId(): string {
  return `${Date.now()}.${randomBytes(6).toString('hex')}`;
}
