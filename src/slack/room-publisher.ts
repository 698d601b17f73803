import type { Logger } from 'pino';
import type { FactEntry, Incident, TimelineEntry } from '../incidents/incident.js';
import type { IncidentStore, MessageRefStore, SlackMessageRef } from '../incidents/store.js';
import { SlackPermanentError, type ChatApi } from './chat-api.js';
import type { DeliveryQueue } from './delivery-queue.js';
import { afterSlackAnswered } from './delivery/after-slack.js';
import { RefusedVersions } from './delivery/brief-on-refusal.js';
import { namingRefusals } from './delivery/refusal-log.js';
import { reconcileMessage, showsVersion, type MessageSlot } from './message-sync.js';
import type { SlackMessage } from './render/block-kit.js';
import { renderMinimalIncidentMessage } from './render/minimal-message.js';
import { renderRoomNews } from './render/war-room.js';
import { RetryLater } from './retry-later.js';

type RoomNews = FactEntry & { kind: 'resolved' | 'reopened' | 'retro' };

const isNews = (entry: TimelineEntry): entry is RoomNews =>
  !('text' in entry) && (entry.kind === 'resolved' || entry.kind === 'reopened' || entry.kind === 'retro');
const isRoomOpened = (entry: TimelineEntry) => !('text' in entry) && entry.kind === 'room' && entry.verb === 'opened';

const NEWS_LEASE_MS = 30_000;

/** Slack's refusals of a room that is no longer there for the bot: archived or deleted by hand, or the bot removed from it. */
const ROOM_GONE: ReadonlySet<string> = new Set(['is_archived', 'channel_not_found', 'not_in_channel']);

/**
 * The incident's second message, in its war room, kept in step with Redis as the first one
 * is: its own reference and recorded version, so the reconciler finds it behind after any
 * fault. The room's outbox (its own cursor over the timeline) says in the room itself when
 * the incident resolves or fires again.
 */
export class RoomPublisher {
  private readonly refusals = new RefusedVersions();
  private roomGone: (incidentId: string) => Promise<void> = async () => undefined;

  constructor(
    private readonly queue: DeliveryQueue,
    private readonly chat: ChatApi,
    private readonly store: IncidentStore & MessageRefStore,
    private readonly log: Logger,
    private readonly render: (incident: Incident) => SlackMessage,
    /** Sets the room's topic (best effort), once its copy shows a new state. */
    private readonly topic: (channel: string, incident: Incident) => Promise<void> = async () => undefined,
    /** Posts the retrospective draft a `retro` entry asks for in the room (retro-delivery.ts); without it the entry is passed over. */
    private readonly retro?: { deliverToRoom(incidentId: string, channel: string): Promise<void> },
  ) {}

  incidentChanged(incidentId: string): void {
    this.queue.enqueue(`room:${incidentId}`, () => this.sync(incidentId));
  }

  /** Told when Slack refuses the room for good; recording it ends the syncing (and the reconciler's retries). */
  onRoomGone(listener: (incidentId: string) => Promise<void>): void {
    this.roomGone = listener;
  }

  reconcile(incidentId: string): void {
    this.queue.ensure(`room:${incidentId}`, () => this.sync(incidentId));
  }

  /** Behind when the incident has an open room whose copy shows an older version, or whose outbox has entries left. */
  async isBehind(incidentId: string): Promise<boolean> {
    if (this.queue.has(`room:${incidentId}`)) return true;
    const incident = await this.store.get(incidentId);
    if (!incident?.room || incident.room.archived) return false;
    if (!showsVersion(await this.copyIn(incidentId, incident.room.channel), incident.version)) return true;
    const [cursor, timeline] = await Promise.all([this.store.threadCursor(incidentId, 'room'), this.store.timeline(incidentId)]);
    return cursor < timeline.length;
  }

  private async sync(incidentId: string): Promise<void> {
    const incident = await this.store.get(incidentId);
    // No room (most incidents), or one archived: nothing is shown there any more.
    if (!incident?.room || incident.room.archived) return;
    const { channel } = incident.room;
    try {
      await this.syncMessage(incidentId, channel);
      await this.syncNews(incidentId, channel);
    } catch (error) {
      if (!(error instanceof SlackPermanentError && ROOM_GONE.has(error.reason))) throw error;
      this.log.warn({ incidentId, channel, reason: error.reason }, 'the war room is gone from Slack; it is recorded so and no longer synced');
      await this.roomGone(incidentId);
    }
  }

  /** The copy in this room: one in an incident's earlier (archived) room is not it, and a new one is posted. */
  private async copyIn(incidentId: string, channel: string): Promise<SlackMessageRef | undefined> {
    const ref = await this.store.getMessageRef(incidentId, 'room');
    return ref?.channel === channel ? ref : undefined;
  }

  private async syncMessage(incidentId: string, room: string): Promise<void> {
    const slot: MessageSlot = {
      label: `war room copy of incident ${incidentId}`,
      ref: () => this.copyIn(incidentId, room),
      save: (ref) => this.store.setMessageRef(incidentId, ref, 'room'),
      lease: (ttlMs) => this.store.lease(`message:incident-room:${incidentId}`, ttlMs),
      refusals: this.refusals,
    };
    let channel: string | undefined;
    let shown: Incident | undefined;
    const before = (await this.copyIn(incidentId, room))?.state;
    await namingRefusals(
      this.log,
      () => ({ channel, incidentId }),
      async () => {
        const result = await reconcileMessage(this.chat, slot, async () => {
          const incident = await this.store.get(incidentId);
          if (!incident?.room || incident.room.archived) return undefined;
          channel = incident.room.channel;
          shown = incident;
          return {
            version: incident.version,
            state: incident.state,
            message: this.render(incident),
            brief: renderMinimalIncidentMessage(incident),
            where: { channel },
          };
        });
        if (result?.posted) this.log.info({ incidentId, channel: result.ref.channel, ts: result.ref.ts }, 'incident message posted in its war room');
        // The topic was set with the room; it follows the state from the copy's first update on.
        if (result && !result.posted && shown && before !== undefined && before !== result.ref.state) await this.topic(result.ref.channel, shown);
      },
    );
  }

  /**
   * Posts in the room what it is told, from the room's opening on. The cursor passes each entry
   * once Slack answered for it, so a crash or a failure after one post never repeats it.
   */
  private async syncNews(incidentId: string, channel: string): Promise<void> {
    const release = await this.store.lease(`room-news:${incidentId}`, NEWS_LEASE_MS);
    if (!release) throw RetryLater.waitingOn('another replica is posting in this war room');
    try {
      const cursor = await this.store.threadCursor(incidentId, 'room');
      const timeline = await this.store.timeline(incidentId);
      // A room hears what happened once it was open, not the incident's story before it (nor an earlier room's news).
      const from = Math.max(cursor, timeline.findLastIndex(isRoomOpened) + 1);
      for (const [index, entry] of timeline.entries()) {
        if (index < from || !isNews(entry)) continue;
        if (entry.kind === 'retro') await this.retro?.deliverToRoom(incidentId, channel);
        else await this.chat.postMessage({ channel, text: renderRoomNews(incidentId, entry) });
        await afterSlackAnswered(() => this.store.setThreadCursor(incidentId, index + 1, 'room'));
      }
      if (timeline.length > cursor) await afterSlackAnswered(() => this.store.setThreadCursor(incidentId, timeline.length, 'room'));
    } finally {
      await afterSlackAnswered(release);
    }
  }
}
