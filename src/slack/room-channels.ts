import type { webApi } from '@slack/bolt';
import type { Logger } from 'pino';
import type { Incident, IncidentRoom } from '../incidents/incident.js';
import type { RoomChannels } from '../incidents/war-room.js';
import type { Metrics } from '../metrics.js';
import { retryingWebClient, slackCall, SlackPermanentError, unretriedWebClient } from './chat-api.js';
import { renderRoomTopic } from './render/war-room.js';
import { RetryLater } from './retry-later.js';

/** Pages of conversations.list read looking for one name: 20,000 public channels. */
const MAX_LIST_PAGES = 20;
const LIST_PAGE = 1_000;
/** A create whose answer was lost is looked for, then tried once more; a second lost answer is the caller's. */
const CREATE_ATTEMPTS = 2;
const CHANNEL_ID = /^[CG][A-Z0-9]{2,}$/;

interface ListedChannel {
  id?: string;
  name?: string;
  creator?: string;
}

/**
 * War room channels through the Web API. conversations.create is never retried blind: its
 * client does not retry, and after an answer that leaves it unknown whether Slack created
 * the channel (a timeout, a 5xx), the channel is looked for by its name first: one of that
 * name this bot created is that channel. Only then: a replica that died after a clear answer
 * left its channel in RoomCreations, where the next attempt adopts it.
 */
export class SlackRoomChannels implements RoomChannels {
  private readonly unretried: webApi.WebClient;
  private readonly client: webApi.WebClient;
  private botUserId: Promise<string> | undefined;

  constructor(
    token: string,
    apiUrl: string | undefined,
    private readonly metrics: Metrics,
    private readonly log: Logger,
  ) {
    this.unretried = unretriedWebClient(token, apiUrl);
    this.client = retryingWebClient(token, apiUrl);
  }

  async create(name: string): Promise<IncidentRoom | 'taken'> {
    const client = this.unretried;
    for (let attempt = 1; ; attempt += 1) {
      try {
        const result = await slackCall(this.metrics, 'conversations.create', () => client.conversations.create({ name }));
        const channel = result.channel as ListedChannel | undefined;
        if (!channel?.id || !CHANNEL_ID.test(channel.id)) throw new SlackPermanentError('conversations.create', 'answered without a channel id');
        return { channel: channel.id, name: channel.name ?? name };
      } catch (error) {
        // Listing the channels (paged, rate-limited) for every taken name made openings slow; a channel
        // a crashed replica created is known from RoomCreations instead, so a taken name is just taken.
        if (error instanceof SlackPermanentError && error.reason === 'name_taken') return 'taken';
        const ambiguous = error instanceof RetryLater && !error.throttled;
        if (!ambiguous) throw error;
        const found = await this.findOwn(name);
        if (found) return found;
        if (attempt >= CREATE_ATTEMPTS) throw error;
        this.log.warn({ name, err: error }, 'conversations.create answered ambiguously and no such channel exists; creating it again');
      }
    }
  }

  async setTopic(channel: string, incident: Incident): Promise<void> {
    await this.bestEffort('conversations.setTopic', channel, () => this.client.conversations.setTopic({ channel, topic: renderRoomTopic(incident) }));
  }

  async invite(channel: string, users: readonly string[]): Promise<void> {
    const self = await this.self();
    const others = users.filter((user) => user !== self);
    if (others.length === 0) return;
    // force: Slack invites the ones it can when one of them cannot be (deactivated, say).
    await this.bestEffort('conversations.invite', channel, () => this.client.conversations.invite({ channel, users: others.join(','), force: true }));
  }

  async archive(channel: string): Promise<void> {
    try {
      await slackCall(this.metrics, 'conversations.archive', () => this.client.conversations.archive({ channel }));
    } catch (error) {
      if (!(error instanceof SlackPermanentError && error.reason === 'already_archived')) throw error;
    }
  }

  /** A channel of this name, not archived, that this bot created. */
  private async findOwn(name: string): Promise<IncidentRoom | undefined> {
    const self = await this.self();
    let cursor: string | undefined;
    for (let page = 0; page < MAX_LIST_PAGES; page += 1) {
      const result = await slackCall(this.metrics, 'conversations.list', () =>
        this.client.conversations.list({ types: 'public_channel', exclude_archived: true, limit: LIST_PAGE, ...(cursor ? { cursor } : {}) }),
      );
      const found = ((result.channels ?? []) as ListedChannel[]).find((c) => c.name === name && c.creator === self && c.id && CHANNEL_ID.test(c.id));
      if (found?.id) return { channel: found.id, name };
      cursor = result.response_metadata?.next_cursor || undefined;
      if (!cursor) return undefined;
    }
    return undefined;
  }

  private self(): Promise<string> {
    this.botUserId ??= slackCall(this.metrics, 'auth.test', () => this.client.auth.test()).then(
      (result) => String(result.user_id ?? ''),
      (error: unknown) => {
        this.botUserId = undefined;
        throw error;
      },
    );
    return this.botUserId;
  }

  /** A room without its topic or one invitee is still the room: the failure is logged, not thrown. */
  private async bestEffort(method: string, channel: string, call: () => Promise<unknown>): Promise<void> {
    try {
      await slackCall(this.metrics, method, call);
    } catch (error) {
      if (error instanceof SlackPermanentError && error.reason === 'already_in_channel') return;
      this.log.warn({ err: error, method, channel }, `${method} failed for a war room; it stays without it`);
    }
  }
}
