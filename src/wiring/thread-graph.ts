/** The alert's graph in the thread, wired when PROMETHEUS_URL is set; without it no graph is drawn. */
import type { Logger } from 'pino';
import type { Config } from '../config/load.js';
import type { IncidentStore, MessageRefStore } from '../incidents/store.js';
import type { Metrics } from '../metrics.js';
import type { DeliveryQueue } from '../slack/delivery-queue.js';
import type { SlackBudget } from '../slack/delivery/slack-budget.js';
import { SlackFileUploads } from '../slack/file-upload.js';
import { ThreadGraphs } from '../slack/thread-graph.js';
import { PrometheusRangeClient } from '../verify/prometheus-range.js';

export interface ThreadGraphDeps {
  config: Config;
  queue: DeliveryQueue;
  store: IncidentStore & MessageRefStore;
  budget: SlackBudget;
  metrics: Metrics;
  log: Logger;
}

export function createThreadGraphs({ config, queue, store, budget, metrics, log }: ThreadGraphDeps): ThreadGraphs | undefined {
  const { url, token, timeoutMs } = config.prometheus;
  if (!url) return undefined;
  return new ThreadGraphs({
    queue,
    store,
    range: new PrometheusRangeClient({ url, token, timeoutMs, log: log.child({ component: 'prometheus' }) }),
    uploads: new SlackFileUploads({ token: config.slack.botToken, apiUrl: config.slack.apiUrl, metrics, budget }),
    // The claim is never released: it is what "once per incident" remembers, for as long as the incident is kept.
    claim: async (key, ttlMs) => (await store.lease(key, ttlMs)) !== undefined,
    claimTtlMs: config.retentionMs,
    log: log.child({ component: 'thread-graph' }),
  });
}
