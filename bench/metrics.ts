/**
 * What 10,000 open incidents cost: `/metrics` latency, Redis bytes per incident, bot RSS.
 *
 *   npm run bench:metrics
 *
 * Fills a fresh key prefix with open incidents through IncidentService on the Redis store
 * (the documents the webhook writes, without posting each to Slack), builds the bot and
 * starts it on that prefix as production does (bench/production-bot.ts: the Dockerfile's
 * command line), then asks its /metrics one request at a time: 500 at once, while the
 * start-up sweep hands all 10,000 unposted messages to delivery, and 500 more after
 * RUN_MS. RSS is read from /proc, as is, with no forced GC: what the process would show.
 * Targets (issue 13): /metrics p99 under 50 ms, Redis under 2.5 KB per incident, RSS under 150 MB.
 */
import { Redis } from 'ioredis';
import type { TrackedAlert } from '../src/incidents/incident.js';
import type { AlertNotification } from '../src/incidents/notification.js';
import { IncidentService } from '../src/incidents/service.js';
import { RedisStore } from '../src/store/redis-store.js';
import { buildBot, productionNodeFlags, startProductionBot, type ProductionBot } from './production-bot.js';
import { SlackFake } from './slack-fake.js';
import { REDIS_URL, botEnv, deleteKeys, fixed, runBench, sleep, table, uniquePrefix, writeBotConfig } from './support.js';

const OPEN_INCIDENTS = 10_000;
const FILL_CONCURRENCY = 50;
const METRICS_REQUESTS = 500;
/**
 * How long the bot runs before its memory is read: start-up, the reconciler's first sweeps
 * over every incident (one each SLACK_RECONCILE_INTERVAL, 30 s), and the deliveries they
 * queue. RSS seconds after start-up is not what a process that has run for a day shows.
 */
const RUN_MS = 75_000;
const SAMPLE_EVERY_MS = 15_000;
const SEVERITIES = ['critical', 'warning', 'info'];

const SERVICES_YAML = `services:
  checkout:
    channel: C0CHECKOUT
`;

function notificationFor(n: number): AlertNotification {
  const labels = { alertname: `Bench${n}`, service: 'checkout', severity: SEVERITIES[n % SEVERITIES.length] ?? 'info', instance: `web-${n % 40}` };
  const alert: TrackedAlert = {
    fingerprint: `bench-${n}`,
    status: 'firing',
    labels,
    annotations: { summary: `Bench alert ${n} on checkout`, runbook_url: 'https://runbooks.example.com/bench' },
    startsAt: new Date(Date.UTC(2026, 10, 22, 10, 0, 0) + n * 1000).toISOString(),
    endsAt: '0001-01-01T00:00:00Z',
    generatorURL: 'http://prometheus.example.com/graph?g0.expr=bench',
  };
  return {
    groupKey: `{}:{alertname="Bench${n}"}`,
    truncatedAlerts: 0,
    groupLabels: { alertname: `Bench${n}` },
    commonLabels: labels,
    commonAnnotations: alert.annotations,
    externalURL: 'http://alertmanager.example.com:9093',
    alerts: [alert],
  };
}

async function fill(redis: Redis, keyPrefix: string): Promise<void> {
  const store = new RedisStore(redis, { keyPrefix, reopenWindowMs: 30 * 60_000, retentionMs: 30 * 24 * 3_600_000 });
  const incidents = new IncidentService(store, { serviceLabel: 'service', channelFor: () => 'C0CHECKOUT' });
  let next = 0;
  const worker = async () => {
    while (next < OPEN_INCIDENTS) {
      next += 1;
      await incidents.ingest(notificationFor(next));
    }
  };
  await Promise.all(Array.from({ length: FILL_CONCURRENCY }, worker));
}

/** Bytes of every key under the prefix, each read with MEMORY USAGE (exact: a sample misses the few large indexes). */
async function redisBytes(redis: Redis, prefix: string): Promise<{ keys: number; bytes: number }> {
  let cursor = '0';
  let keys = 0;
  let bytes = 0;
  do {
    const [nextCursor, batch] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    cursor = nextCursor;
    const pipeline = redis.pipeline();
    for (const key of batch) pipeline.memory('USAGE', key, 'SAMPLES', '0');
    for (const [, usage] of (await pipeline.exec()) ?? []) bytes += Number(usage ?? 0);
    keys += batch.length;
  } while (cursor !== '0');
  return { keys, bytes };
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

/** Asks /metrics `count` times in a row; the latencies in ms. */
async function scrape(url: string, count: number): Promise<{ latencies: number[]; body: string }> {
  const latencies: number[] = [];
  let body = '';
  for (let i = 0; i < count; i += 1) {
    const start = performance.now();
    const res = await fetch(`${url}/metrics`);
    body = await res.text();
    if (!res.ok) throw new Error(`/metrics answered ${res.status}: ${body}`);
    latencies.push(performance.now() - start);
  }
  return { latencies, body };
}

/** Samples the bot's RSS until `untilMs`, scraping /metrics as Prometheus would meanwhile. */
async function runFor(bot: ProductionBot, startedAt: number, untilMs: number): Promise<string[]> {
  const lines: string[] = [];
  while (performance.now() - startedAt < untilMs) {
    await sleep(Math.min(SAMPLE_EVERY_MS, untilMs - (performance.now() - startedAt)));
    await scrape(bot.url, 1);
    const memory = await bot.memory();
    lines.push(`${fixed((performance.now() - startedAt) / 1000, 0)} s: ${fixed(memory.rssMb)} MB`);
  }
  return lines;
}

runBench(async () => {
  const prefix = uniquePrefix('metrics');
  const redis = new Redis(REDIS_URL);
  const slack = await SlackFake.start();
  const config = await writeBotConfig(SERVICES_YAML);
  try {
    const buildStart = performance.now();
    await buildBot();
    console.log(`built the bot (npm run build) in ${fixed((performance.now() - buildStart) / 1000)} s`);
    const fillStart = performance.now();
    await fill(redis, prefix);
    console.log(`filled ${OPEN_INCIDENTS} open incidents in ${fixed((performance.now() - fillStart) / 1000)} s`);

    const startedAt = performance.now();
    const bot = await startProductionBot(botEnv({ slackApiUrl: slack.apiUrl, config, keyPrefix: prefix }), config.dir);
    try {
      // At once: the start-up sweep over every incident runs meanwhile, the worst time to be scraped.
      const first = await scrape(bot.url, METRICS_REQUESTS);
      const timeline = await runFor(bot, startedAt, RUN_MS);
      const last = await scrape(bot.url, METRICS_REQUESTS);
      const latencies = [...first.latencies, ...last.latencies].sort((a, b) => a - b);
      const openLine = last.body.split('\n').find((line) => line.includes('firing') && !line.startsWith('#')) ?? '(no open-incident gauge found)';
      const memory = await redisBytes(redis, prefix);
      const botMemory = await bot.memory();
      console.log(`bot RSS while running (node ${(await productionNodeFlags()).join(' ')} dist/src/main.js): ${timeline.join(', ')}`);
      console.log(
        table(
          ['figure', 'value', 'target'],
          [
            ['/metrics p50 (ms)', fixed(percentile(latencies, 50), 2), ''],
            ['/metrics p99 (ms)', fixed(percentile(latencies, 99), 2), '< 50'],
            ['Redis keys under prefix', memory.keys, ''],
            ['Redis bytes per incident', fixed(memory.bytes / OPEN_INCIDENTS, 0), '< 2500'],
            [`bot RSS after ${RUN_MS / 1000} s (MB)`, fixed(botMemory.rssMb), '< 150'],
            ['bot peak RSS (MB)', fixed(botMemory.peakRssMb), ''],
          ],
        ),
      );
      console.log(`gauge: ${openLine}`);
    } finally {
      await bot.stop();
    }
  } finally {
    await slack.close();
    await config.remove();
    redis.disconnect();
    console.log(`deleted ${await deleteKeys(prefix)} keys under ${prefix}`);
  }
});
