/**
 * The composition root: reads the configuration once, builds the store, the Slack
 * delivery and the Bolt app, and registers every route. The only module that knows
 * every part; everything else receives what it needs.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { App, type CustomRoute, type Receiver } from '@slack/bolt';
import type { DestinationStream, Logger } from 'pino';
import { incidentLink, incidentVerification } from './actions/incident-link.js';
import { ActionService } from './actions/service.js';
import { webhookRoute } from './alerts/webhook-route.js';
import type { Config } from './config/load.js';
import { StoreUnavailableError } from './errors.js';
import { FleetExecutor } from './fleet/executor.js';
import { healthRoute, metricsRoute, readinessRoute } from './http/routes.js';
import { IncidentService } from './incidents/service.js';
import { boltLogger, createLogger } from './logger.js';
import { createMetrics } from './metrics.js';
import { runbookActionsFor } from './runbooks/match.js';
import { runbookDirectory } from './runbooks/directory.js';
import { runbookRequests } from './runbooks/targets.js';
import { scheduleRunbooks } from './scheduler/scheduled-runbooks.js';
import { Scheduler } from './scheduler/scheduler.js';
import { createCatalog } from './services/catalog.js';
import { SlackApproverDirectory } from './slack/approver-directory.js';
import { BotIdentity } from './slack/bot-identity.js';
import { SLACK_CALL_TIMEOUT_MS } from './slack/chat-api.js';
import { createHttpReceiver } from './slack/http-receiver.js';
import { registerListeners } from './slack/listeners/index.js';
import { renderScheduledRun } from './slack/render/scheduled-run.js';
import { createSocketModeReceiver } from './slack/socket-mode-receiver.js';
import { RedisActionStore } from './store/redis-action-store.js';
import { connectRedis, waitForRedis } from './store/redis-connection.js';
import { RedisFleetStore } from './store/redis-fleet-store.js';
import { RedisScheduleStore } from './store/redis-schedule-store.js';
import { RedisSeenSignatures } from './store/redis-seen-signatures.js';
import { RedisStore } from './store/redis-store.js';
import { createFleetRunners, createRollbackExecutor } from './wiring/executors.js';
import { createDeployGuard } from './wiring/deploy-guard.js';
import { createHealthRounds } from './wiring/health-checks.js';
import { loadCheckedRunbooks } from './wiring/runbooks.js';
import { createHomeTab } from './wiring/home-tab.js';
import { rollbackVerification, scheduleRollbackVerification, verdictGraphs } from './wiring/rollback-verification.js';
import { RedisWatchStore } from './store/redis-watch-store.js';
import { scheduleHousekeeping } from './wiring/housekeeping.js';
import { createSlackDelivery } from './wiring/slack-delivery.js';
import { createSilences, scheduleSilencePoll } from './wiring/silences.js';
import { observeResponseTimes, responseStatsSource } from './wiring/response-numbers.js';
import { createTimelineCapture } from './wiring/timeline-capture.js';
import { createWarRooms, scheduleWarRoomSweep } from './wiring/war-room.js';
import { RedisRoomCreations } from './store/redis-room-creations.js';
import { loadStartupConfig } from './wiring/startup-config.js';
import { createRetroFiling } from './wiring/retro.js';

/** After a Slack call's answer, how long recording it in Redis may take at shutdown. */
const RECORD_MARGIN_MS = 1_000;
const IDLE_CLOSE_INTERVAL_MS = 50;

export interface RunningApp {
  config: Config;
  /** The port actually bound (useful when PORT=0). */
  port: number;
  log: Logger;
  /** Stops taking requests, lets in-flight ones finish, flushes Slack deliveries, closes Redis. */
  stop(): Promise<void>;
}

export interface StartOptions {
  /** Where logs go; stdout by default. */
  logDestination?: DestinationStream;
}

export async function startApp(env: Record<string, string | undefined>, options: StartOptions = {}): Promise<RunningApp> {
  const { config, services } = await loadStartupConfig(env);
  const log = createLogger(config.logLevel, options.logDestination);
  const catalog = createCatalog(services, config.incidentChannel);
  log.info({ services: catalog.names().length, file: config.servicesFile }, 'services catalogue loaded');
  const runbooks = await loadCheckedRunbooks(config, catalog, log);
  const rollbackExecutor = createRollbackExecutor(config, catalog, log);
  const healthRounds = createHealthRounds(config, log);
  const pipelines = new AbortController();
  const runnerFor = createFleetRunners(config, log, pipelines.signal);

  const redis = connectRedis(config.redis, log);
  const store = new RedisStore(redis, { keyPrefix: config.redis.keyPrefix, reopenWindowMs: config.reopenWindowMs, retentionMs: config.retentionMs });
  const metrics = createMetrics();
  const incidents = new IncidentService(store, { serviceLabel: config.serviceLabel, channelFor: catalog.channelFor });
  const approvers = new SlackApproverDirectory(config.slack.botToken, config.slack.apiUrl, log.child({ component: 'approvers' }));
  const claim = async (key: string, ttlMs: number) => (await store.lease(key, ttlMs)) !== undefined;
  const silences = createSilences({ config, incidents, catalog, approvers, claim, log: log.child({ component: 'silences' }) });
  const { queue, chat, graphs, checkGraphs, publisher, slackRooms, withActions } = createSlackDelivery({
    config,
    redis,
    store,
    metrics,
    runbookActions: (incident) => runbookActionsFor(runbooks, incident, { serviceLabel: config.serviceLabel }),
    silences: silences !== undefined,
    retroFiling: createRetroFiling(config, catalog, log.child({ component: 'retro-issues' })),
    log,
  });
  incidents.onChange((id) => publisher.incidentChanged(id));
  observeResponseTimes(incidents, metrics, catalog.names());
  const capture = createTimelineCapture(config, redis, incidents);
  const creations = new RedisRoomCreations(redis, config.redis.keyPrefix, config.retentionMs);
  const roomLog = log.child({ component: 'war-room' });
  const rooms = createWarRooms({ catalog, incidents, store, approvers, slackRooms, locator: capture.locator, creations, log: roomLog });
  const actionStore = new RedisActionStore(redis, { keyPrefix: config.redis.keyPrefix, retentionMs: config.retentionMs });
  const fleetStore = new RedisFleetStore(redis, config.redis.keyPrefix, config.retentionMs);
  const fleetExecutor = new FleetExecutor({
    runbooks,
    inventory: catalog,
    runnerFor,
    results: fleetStore,
    rollouts: fleetStore,
    pausedBy: () => actionStore.killSwitch(),
    log: log.child({ component: 'fleet' }),
    rounds: healthRounds,
    healthOf: (service) => catalog.get(service)?.health,
    observer: {
      hostsRan: (outcomes) => {
        for (const o of outcomes) metrics.fleetHostRuns.inc({ outcome: o.ok ? 'ok' : 'failed' });
      },
      rolloutEnded: (end) => metrics.fleetRollouts.inc({ end }),
    },
  });
  const actions = new ActionService({
    store: actionStore,
    executors: { rollback: rollbackExecutor, fleet: fleetExecutor },
    approvers,
    policyOf: (service) => {
      const entry = catalog.get(service);
      return entry && { approvers: entry.approvers, approvals: entry.approvals, channel: catalog.channelFor(service) };
    },
    knownServices: () => catalog.names(),
    incidents: incidentLink(incidents, store),
    log: log.child({ component: 'actions' }),
    expiryMs: config.actions.expiryMs,
    cooldownMs: config.actions.cooldownMs,
    pollIntervalMs: config.gitlab.pollIntervalMs,
    killSwitchAdmins: config.actions.killSwitchAdmins,
    verification: rollbackVerification(catalog, healthRounds, {
      watches: new RedisWatchStore(redis, config.redis.keyPrefix, config.retentionMs),
      incidents: incidentVerification(incidents),
      ...verdictGraphs(checkGraphs, actionStore),
    }),
  });
  const { actionPublisher, reconciler } = withActions(actionStore);
  actions.onChange((id) => actionPublisher.actionChanged(id));

  const home = createHomeTab(config, { incidents, messageOf: (id) => store.getMessageRef(id), actionStore, actions }, log);
  const identity = new BotIdentity({ token: config.slack.botToken, apiUrl: config.slack.apiUrl, log: log.child({ component: 'slack-identity' }) });
  const deployGuard = createDeployGuard({ config, catalog, redis, actionStore, actions, rounds: healthRounds, queue, chat, graphs: checkGraphs, log });
  const ops = { ping: () => store.ping(), registry: metrics.registry, slackNotReady: () => identity.notReady() };
  const customRoutes: CustomRoute[] = [
    {
      path: '/alertmanager',
      method: 'POST',
      handler: webhookRoute({
        token: config.alertmanagerToken,
        ingest: (payload) => incidents.ingest(payload),
        log: log.child({ component: 'alertmanager' }),
        metrics,
      }),
    },
    { path: '/gitlab', method: 'POST', handler: deployGuard.route },
    { path: '/healthz', method: 'GET', handler: healthRoute },
    { path: '/readyz', method: 'GET', handler: readinessRoute(ops) },
    { path: '/metrics', method: 'GET', handler: metricsRoute(ops) },
  ];

  const logger = boltLogger(log);
  const httpLog = log.child({ component: 'http' });
  const receiver: Receiver = config.slack.appToken
    ? createSocketModeReceiver({
        appToken: config.slack.appToken,
        apiUrl: config.slack.apiUrl,
        port: config.port,
        customRoutes,
        logger,
        limits: config.http,
        log: httpLog,
      })
    : createHttpReceiver({
        signingSecret: config.slack.signingSecret ?? '',
        customRoutes,
        logger,
        limits: config.http,
        seen: new RedisSeenSignatures(redis, config.redis.keyPrefix),
        log: httpLog,
      });
  const app = new App({
    authorize: identity.authorize,
    receiver,
    logger,
    deferInitialization: true,
    ...(config.slack.apiUrl ? { clientOptions: { slackApiUrl: config.slack.apiUrl } } : {}),
  });
  registerListeners(
    app,
    {
      incidents,
      actions,
      home,
      silences,
      messageOf: (id) => store.getMessageRef(id),
      capture,
      runbooks: { ...runbookRequests(runbooks, incidents, config.serviceLabel), ...runbookDirectory(runbooks) },
      ...(graphs ? { graphs } : {}),
      stats: responseStatsSource({ incidents: store, actions: actionStore }),
      rooms,
    },
    log.child({ component: 'slack' }),
  );
  app.error(async (error) => {
    log.error({ err: error }, 'unhandled error in a Slack listener');
  });

  await waitForRedis(redis, log, config.redis.startupWaitMs);
  await app.init();
  await identity.start();
  const started = (await app.start(config.port)) as Server | undefined;
  const address = started?.address?.() as AddressInfo | null | undefined;
  const port = address?.port ?? config.port;
  log.info({ port, mode: config.slack.appToken ? 'socket' : 'http' }, 'chatops bot listening');
  // Without Redis, that it is down was logged already; the take-over job resumes them once it answers.
  await actions.resume().catch((error: unknown) => {
    if (!(error instanceof StoreUnavailableError)) log.error({ err: error }, 'running actions not resumed');
  });
  // At start-up first: what a stopped or crashed replica left undelivered is found here.
  reconciler.start();
  const scheduler = new Scheduler((key, ttlMs) => claim(`tick:${key}`, ttlMs), log.child({ component: 'scheduler' }));
  scheduleHousekeeping(scheduler, { config, actions, incidents, catalog, claim, log });
  scheduleRollbackVerification(scheduler, catalog, () => actions.verifyDue());
  if (deployGuard.job) scheduler.add(deployGuard.job);
  scheduleSilencePoll(scheduler, silences, config);
  scheduleWarRoomSweep(scheduler, { catalog, incidents, rooms, sweepIntervalMs: config.sweepIntervalMs, log: roomLog });
  scheduleRunbooks(scheduler, runbooks, {
    actions,
    memory: new RedisScheduleStore(redis, config.redis.keyPrefix, config.retentionMs),
    services: catalog,
    post: (key, { channel, finding }) => queue.enqueue(key, async () => void (await chat.postMessage({ channel, text: renderScheduledRun(finding) }))),
    log: log.child({ component: 'scheduled-runbooks' }),
  });

  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= (async () => {
      log.info('shutting down: finishing in-flight requests and Slack deliveries');
      // Node keeps a connection whose request was in flight at close() open until its
      // keep-alive timeout (5 s), and close() waits for it: close each one once it is idle.
      const idle = setInterval(() => started?.closeIdleConnections?.(), IDLE_CLOSE_INTERVAL_MS);
      identity.stop();
      home.stop();
      await app.stop().catch((error: unknown) => log.warn({ err: error }, 'receiver did not stop cleanly'));
      clearInterval(idle);
      await scheduler.stop();
      await deployGuard.stop();
      pipelines.abort();
      await actions.stop();
      await reconciler.stop();
      const flushed = await queue.drain(config.shutdownTimeoutMs);
      if (!flushed)
        log.warn(
          { pending: queue.size },
          'shutdown timeout reached with Slack deliveries still pending; the reconciler delivers them after a restart or on another replica',
        );
      // Past the timeout nothing new starts, but a Slack call in flight is let finish and its
      // answer recorded: cut off after Slack acted, it would be posted again after the restart.
      if (!(await queue.close(SLACK_CALL_TIMEOUT_MS + RECORD_MARGIN_MS)))
        log.warn('Slack calls still in flight at shutdown; a message or reply may be sent twice');
      await redis.quit().catch(() => redis.disconnect());
      log.info('stopped');
    })();
    return stopping;
  };
  return { config, port, log, stop };
}
