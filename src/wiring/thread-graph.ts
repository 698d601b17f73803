/** Graphs in threads, wired when PROMETHEUS_URL is set: the alert's, and a verification's checks; without it no graph is drawn. */
import type { Logger } from 'pino';
import type { Config } from '../config/load.js';
import type { IncidentStore, MessageRefStore } from '../incidents/store.js';
import type { Metrics } from '../metrics.js';
import { CheckGraphs } from '../slack/check-graphs.js';
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

export function createThreadGraphs({
  config,
  queue,
  store,
  budget,
  metrics,
  log,
}: ThreadGraphDeps): { graphs: ThreadGraphs; checkGraphs: CheckGraphs } | undefined {
  const { url, token, timeoutMs } = config.prometheus;
  if (!url) return undefined;
  const parts = {
    queue,
    range: new PrometheusRangeClient({ url, token, timeoutMs, log: log.child({ component: 'prometheus' }) }),
    uploads: new SlackFileUploads({ token: config.slack.botToken, apiUrl: config.slack.apiUrl, metrics, budget }),
    // The claims are never released: they are what "once" remembers, for as long as incidents and actions are kept.
    claim: async (key: string, ttlMs: number) => (await store.lease(key, ttlMs)) !== undefined,
    claimTtlMs: config.retentionMs,
  };
  return {
    graphs: new ThreadGraphs({ ...parts, store, log: log.child({ component: 'thread-graph' }) }),
    checkGraphs: new CheckGraphs({ ...parts, log: log.child({ component: 'check-graph' }) }),
  };
}
