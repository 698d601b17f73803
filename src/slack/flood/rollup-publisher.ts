import type { Logger } from 'pino';
import type { ChatApi } from '../chat-api.js';
import type { DeliveryQueue } from '../delivery-queue.js';
import { postWithChannelFallback } from '../delivery/channel-fallback.js';
import type { Reconcilable } from '../delivery/reconciler.js';
import { namingRefusals } from '../delivery/refusal-log.js';
import { reconcileMessage, showsVersion, type MessageSlot } from '../message-sync.js';
import { withChannelFallbackNote } from '../render/channel-fallback.js';
import { LISTED_KINDS, renderFloodRollup } from '../render/flood-rollup.js';
import type { FloodStore, FloodSummary } from './flood-store.js';
import type { IndividualPosts } from './policy.js';

/** Incidents a roll-up lists by id; `/incident list` shows the rest. */
const LISTED_INCIDENTS = 10;

export interface RollupPublisherOptions {
  individualPosts: IndividualPosts;
  /** Where a roll-up goes when its channel refuses it (INCIDENT_CHANNEL), as an incident would. */
  fallbackChannel?: string;
}

/**
 * Keeps each flood's roll-up message in step with what Redis holds, as the incident
 * publisher does for incident messages: one lease per message, the version it shows
 * recorded after Slack answered, and the reconciler's sweep for whatever is left behind.
 */
export class RollupPublisher implements Reconcilable {
  constructor(
    private readonly queue: DeliveryQueue,
    private readonly chat: ChatApi,
    private readonly store: FloodStore,
    private readonly log: Logger,
    private readonly options: RollupPublisherOptions,
  ) {}

  /** A flood counted one more incident. */
  changed(floodId: string): void {
    this.reconcile(floodId);
  }

  reconcile(floodId: string): void {
    this.queue.enqueue(`rollup:${floodId}`, () => this.sync(floodId));
  }

  async isBehind(floodId: string): Promise<boolean> {
    const [version, ref] = await Promise.all([this.store.version(floodId), this.store.getRollupRef(floodId)]);
    return version !== undefined && !showsVersion(ref, version);
  }

  private async sync(floodId: string): Promise<void> {
    let flood: FloodSummary | undefined;
    const slot: MessageSlot = {
      label: `flood roll-up ${floodId}`,
      ref: () => this.store.getRollupRef(floodId),
      save: (ref) => this.store.setRollupRef(floodId, ref),
      lease: (ttlMs) => this.store.lease(`message:flood:${floodId}`, ttlMs),
    };
    await namingRefusals(
      this.log,
      () => ({ channel: flood?.channel }),
      async () => {
        const result = await reconcileMessage(
          this.chat,
          slot,
          async () => {
            flood = await this.store.summary(floodId, LISTED_INCIDENTS, LISTED_KINDS);
            if (!flood) return undefined;
            const message = renderFloodRollup(flood, this.options.individualPosts);
            const shownIn = (await this.store.getRollupRef(floodId))?.channel;
            const fellBack = shownIn !== undefined && shownIn !== flood.channel;
            return { version: flood.version, message: fellBack ? withChannelFallbackNote(message, flood.channel) : message, where: { channel: flood.channel } };
          },
          (args) =>
            postWithChannelFallback(
              this.chat,
              this.options.fallbackChannel,
              this.log,
              { service: undefined, incidentId: `flood roll-up ${floodId}` },
              { ...args, blocks: args.blocks ?? [] },
            ),
        );
        if (result?.posted) this.log.info({ floodId, channel: result.ref.channel, incidents: flood?.total }, 'flood roll-up posted');
      },
    );
  }
}
