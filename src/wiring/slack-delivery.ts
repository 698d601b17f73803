/**
 * The Slack side of "Slack is a view of Redis": the delivery queue, the shared rate budget,
 * the paced chat API, the incident publishers (the channel's copy and the war room's) and
 * the action publisher, flood roll-ups, thread graphs, and the reconciler that brings any
 * message that is behind up to date. Part of the composition root (src/app.ts).
 */
import type { Logger } from 'pino';
import type { ActionStore } from '../actions/store.js';
import type { Config } from '../config/load.js';
import type { Incident } from '../incidents/incident.js';
import type { IncidentStore, MessageRefStore } from '../incidents/store.js';
import type { Metrics } from '../metrics.js';
import type { RunbookActionRef } from '../runbooks/match.js';
import { ActionPublisher } from '../slack/action-publisher.js';
import { SlackChatApi } from '../slack/chat-api.js';
import { DeliveryQueue } from '../slack/delivery-queue.js';
import { PacedChat, slackBudgetLimits } from '../slack/delivery/paced-chat.js';
import { Reconciler, type Reconcilable } from '../slack/delivery/reconciler.js';
import { IncidentPublisher } from '../slack/incident-publisher.js';
import type { RetroAction } from '../incidents/retro.js';
import { SlackFileUploads } from '../slack/file-upload.js';
import { renderIncidentMessage } from '../slack/render/incident-message.js';
import { SlackRoomChannels } from '../slack/room-channels.js';
import { RoomPublisher } from '../slack/room-publisher.js';
import { RetroDrafts, type RetroFiling } from '../slack/retro-delivery.js';
import { RedisFloodStore } from '../store/redis-flood-store.js';
import { RedisSlackBudget } from '../store/redis-slack-budget.js';
import { createFloodRollups } from './flood.js';
import { createThreadGraphs } from './thread-graph.js';

export interface SlackDeliveryDeps {
  config: Config;
  /** The bot's Redis connection (only adapters name the SDK's type). */
  redis: ConstructorParameters<typeof RedisSlackBudget>[0];
  store: IncidentStore & MessageRefStore;
  metrics: Metrics;
  runbookActions: (incident: Incident) => RunbookActionRef[];
  /** Offer the Silence… menu (ALERTMANAGER_URL is set). */
  silences: boolean;
  /** Files retrospective drafts in GitLab (see retro.ts). */
  retroFiling?: RetroFiling | undefined;
  log: Logger;
}

export function createSlackDelivery({ config, redis, store, metrics, runbookActions, silences, retroFiling, log }: SlackDeliveryDeps) {
  // A failing delivery is retried at least as often as the reconciler would find it behind.
  const queue = new DeliveryQueue({
    log: log.child({ component: 'slack-queue' }),
    onDrop: () => metrics.slackDropped.inc(),
    minIntervalPerKeyMs: config.slack.messageIntervalMs,
    maxBackoffMs: Math.min(30_000, config.slack.reconcileIntervalMs),
  });
  const budget = new RedisSlackBudget(redis, config.redis.keyPrefix, slackBudgetLimits(config.slack));
  const chat = new PacedChat(new SlackChatApi({ token: config.slack.botToken, apiUrl: config.slack.apiUrl, metrics }), {
    updatesPerMinute: config.slack.updatesPerMinute,
    messageIntervalMs: config.slack.messageIntervalMs,
    budget,
  });
  const { graphs, checkGraphs } = createThreadGraphs({ config, queue, store, budget, metrics, log }) ?? {};
  const floodStore = new RedisFloodStore(redis, { keyPrefix: config.redis.keyPrefix, retentionMs: config.retentionMs });
  const floods = createFloodRollups(config, floodStore, queue, chat, log);
  // Which actions a draft lists is read from the action store, which exists once withActions is called (before anything is delivered).
  let actionsOf = async (_ids: string[]): Promise<RetroAction[]> => [];
  const retro = new RetroDrafts({
    chat,
    uploads: new SlackFileUploads({ token: config.slack.botToken, apiUrl: config.slack.apiUrl, metrics, budget }),
    store,
    actionsOf: (ids) => actionsOf(ids),
    ...(retroFiling ? { filing: retroFiling } : {}),
    log: log.child({ component: 'retro' }),
  });
  const publisher = new IncidentPublisher(queue, chat, store, log.child({ component: 'publisher' }), runbookActions, {
    fallbackChannel: config.incidentChannel,
    silences,
    retro,
    ...(floods ? { flood: floods.gate } : {}),
    ...(graphs ? { posted: (id: string) => graphs.incidentPosted(id) } : {}),
  });
  // The copy in the incident's war room, rendered as the channel's is; the reconciler converges both.
  const roomChannels = new SlackRoomChannels(config.slack.botToken, config.slack.apiUrl, metrics, log.child({ component: 'war-room' }));
  const roomCopies = new RoomPublisher(
    queue,
    chat,
    store,
    log.child({ component: 'room-publisher' }),
    (incident) => renderIncidentMessage(incident, runbookActions(incident), { silences }),
    (channel, incident) => roomChannels.setTopic(channel, incident),
    retro,
  );
  const bothCopies: Reconcilable = {
    isBehind: async (id) => (await publisher.isBehind(id)) || (await roomCopies.isBehind(id)),
    reconcile: (id) => {
      publisher.reconcile(id);
      roomCopies.reconcile(id);
    },
  };
  metrics.bindSources({ queueDepth: () => queue.size, openByState: () => store.countOpenByState() });

  /** The action messages and the reconciler over both kinds, once the action store exists. */
  const withActions = (actionStore: ActionStore) => {
    actionsOf = async (ids) => (await Promise.all(ids.map((id) => actionStore.getAction(id)))).filter((a) => a !== undefined);
    const actionPublisher = new ActionPublisher(queue, chat, actionStore, log.child({ component: 'action-publisher' }));
    const reconciler = new Reconciler({
      incidents: { store, publisher: bothCopies },
      actions: { store: actionStore, publisher: actionPublisher },
      ...(floods ? { floods: floods.reconciled } : {}),
      intervalMs: config.slack.reconcileIntervalMs,
      log: log.child({ component: 'reconciler' }),
    });
    return { actionPublisher, reconciler };
  };
  return { queue, chat, graphs, checkGraphs, publisher, slackRooms: { copies: roomCopies, channels: roomChannels }, withActions };
}
