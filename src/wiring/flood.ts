/**
 * Builds the flood roll-ups from the configuration and their store: the publisher of
 * roll-up messages and the gate the incident publisher asks before a first post. Part of
 * the composition root (src/app.ts).
 */
import type { Logger } from 'pino';
import type { Config } from '../config/load.js';
import type { ChatApi } from '../slack/chat-api.js';
import type { DeliveryQueue } from '../slack/delivery-queue.js';
import { FloodGate } from '../slack/flood/flood-gate.js';
import type { FloodStore } from '../slack/flood/flood-store.js';
import { RollupPublisher } from '../slack/flood/rollup-publisher.js';

export interface FloodRollups {
  gate: FloodGate;
  /** For the reconciler's sweep. */
  reconciled: { store: FloodStore; publisher: RollupPublisher };
}

/** Undefined when FLOOD_THRESHOLD is 0: every incident then gets its own message. */
export function createFloodRollups(config: Config, store: FloodStore, queue: DeliveryQueue, chat: ChatApi, log: Logger): FloodRollups | undefined {
  if (config.flood.threshold === 0) return undefined;
  const publisher = new RollupPublisher(queue, chat, store, log.child({ component: 'flood' }), {
    individualPosts: config.flood.individualPosts,
    fallbackChannel: config.incidentChannel,
  });
  const gate = new FloodGate({ store, policy: config.flood, rollups: publisher });
  return { gate, reconciled: { store, publisher } };
}
