/**
 * The deploy guard wired to the bot: its Redis store, the actions layer, Prometheus rounds,
 * Slack notices, the POST /gitlab route and the scheduler job that ticks every second.
 */
import type { Logger } from 'pino';
import type { ActionService } from '../actions/service.js';
import type { ActionStore } from '../actions/store.js';
import type { Config } from '../config/load.js';
import { deployGuardRoute } from '../http/deploy-guard-route.js';
import type { ScheduledJob } from '../scheduler/scheduler.js';
import type { ServiceCatalog } from '../services/catalog.js';
import type { CheckGraphs } from '../slack/check-graphs.js';
import type { DeliveryQueue } from '../slack/delivery-queue.js';
import type { PacedChat } from '../slack/delivery/paced-chat.js';
import { slackDeployGuardNotices } from '../slack/deploy-guard-notices.js';
import type { EvaluateRound } from '../verify/checks.js';
import { DeployGuard } from '../verify/deploy-guard.js';
import { RedisDeployGuardStore } from '../store/redis-deploy-guard-store.js';

/** A guard that can never hear of a deploy would watch nothing while seeming to: start-up refuses it. */
/** What a deploy_guard makes required of GITLAB_WEBHOOK_TOKEN, as a `VARIABLE: reason` line; undefined when it is set or not needed. */
export function webhookTokenRequirement(catalog: ServiceCatalog, token: string | undefined, servicesFile: string): string | undefined {
  const guarded = catalog.names().filter((name) => catalog.get(name)?.deploy_guard);
  if (guarded.length === 0 || token) return undefined;
  return `GITLAB_WEBHOOK_TOKEN: required by the deploy_guard of ${guarded.join(', ')} in ${servicesFile}: it is how GitLab's deployment webhooks reach the bot`;
}

export interface DeployGuardWiring {
  config: Config;
  catalog: ServiceCatalog;
  /** The bot's Redis connection (only adapters name the SDK's type). */
  redis: ConstructorParameters<typeof RedisDeployGuardStore>[0];
  actionStore: Pick<ActionStore, 'cooldownOf'>;
  actions: Pick<ActionService, 'request' | 'requestPreApproved' | 'killSwitch'>;
  rounds: EvaluateRound | undefined;
  queue: DeliveryQueue;
  chat: PacedChat;
  /** With PROMETHEUS_URL: the failing checks graphed under the guard's notice. */
  graphs?: CheckGraphs | undefined;
  log: Logger;
}

/** The route always (it says why it is off without a token); the job only when a service has a guard. */
export function createDeployGuard(w: DeployGuardWiring): { route: ReturnType<typeof deployGuardRoute>; job: ScheduledJob | undefined; stop(): Promise<void> } {
  const log = w.log.child({ component: 'deploy-guard' });
  const rounds = w.rounds;
  const guarded = w.catalog.names().some((name) => w.catalog.get(name)?.deploy_guard);
  const guard =
    rounds &&
    new DeployGuard({
      store: new RedisDeployGuardStore(w.redis, w.config.redis.keyPrefix, w.config.retentionMs),
      services: w.catalog,
      rounds,
      actions: w.actions,
      rollingBack: async (service) => (await w.actionStore.cooldownOf(service)) !== undefined,
      notices: slackDeployGuardNotices({ queue: w.queue, chat: w.chat, channelFor: w.catalog.channelFor, graphs: w.graphs }),
      log,
    });
  const route = deployGuardRoute({
    token: w.config.gitlab.webhookToken,
    // Without health checks no service can have a guard: every deploy is one nobody guards.
    receive: async (event) => (guard ? guard.receive(event) : { armed: [], ignored: [{ because: 'no-guarded-service' }] }),
    log,
  });
  const job = guard && guarded ? { name: 'deploy-guard', cron: '* * * * * *', run: async (firedAt: Date) => guard.launch(firedAt) } : undefined;
  return { route, job, stop: async () => guard?.stop() };
}
