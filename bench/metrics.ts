/**
 * What 10,000 open incidents cost: `/metrics` latency, Redis bytes per incident, bot RSS.
 *
 *   npm run bench:metrics
 *
 * Fills a fresh key prefix with open incidents through IncidentService on the Redis store
 * (the documents the webhook writes, without posting each to Slack), then starts the bot
 * on that prefix in a child process and asks its /metrics one request at a time.
 * Targets (issue 13): /metrics p99 under 50 ms, Redis under 2.5 KB per incident, RSS under 150 MB.
 */
import { readFile } from 'node:fs/promises';
import { Redis } from 'ioredis';
import type { TrackedAlert } from '../src/incidents/incident.js';
import type { AlertNotification } from '../src/incidents/notification.js';
import { IncidentService } from '../src/incidents/service.js';
import { RedisStore } from '../src/store/redis-store.js';
import { startChild } from './child.js';
import { SlackFake } from './slack-fake.js';
import { REDIS_URL, botEnv, deleteKeys, fixed, runBench, table, uniquePrefix, writeBotConfig } from './support.js';

const OPEN_INCIDENTS = 10_000;
const FILL_CONCURRENCY = 50;
const METRICS_REQUESTS = 500;
/** Keys whose MEMORY USAGE is read: one in this many, scaled up to all keys of the prefix. */
const MEMORY_SAMPLE_EVERY = 10;
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

/** Bytes of every key under the prefix, estimated from a sample of MEMORY USAGE. */
async function redisBytes(redis: Redis, prefix: string): Promise<{ keys: number; bytes: number }> {
  let cursor = '0';
  let keys = 0;
  let sampled = 0;
  let sampledBytes = 0;
  do {
    const [nextCursor, batch] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    cursor = nextCursor;
    for (const key of batch) {
      keys += 1;
      if (keys % MEMORY_SAMPLE_EVERY !== 0) continue;
      sampled += 1;
      sampledBytes += Number(await redis.memory('USAGE', key, 'SAMPLES', '0'));
    }
  } while (cursor !== '0');
  return { keys, bytes: sampled === 0 ? 0 : (sampledBytes / sampled) * keys };
}

async function rssMb(pid: number | undefined): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? NaN);
  return kb / 1024;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

runBench(async () => {
  const prefix = uniquePrefix('metrics');
  const redis = new Redis(REDIS_URL);
  const slack = await SlackFake.start();
  const config = await writeBotConfig(SERVICES_YAML);
  try {
    const fillStart = performance.now();
    await fill(redis, prefix);
    console.log(`filled ${OPEN_INCIDENTS} open incidents in ${fixed((performance.now() - fillStart) / 1000)} s`);

    const bot = await startChild('./run-bot.ts', botEnv({ slackApiUrl: slack.apiUrl, config, keyPrefix: prefix }));
    try {
      const latencies: number[] = [];
      let body = '';
      for (let i = 0; i < METRICS_REQUESTS; i += 1) {
        const start = performance.now();
        const res = await fetch(`${bot.url}/metrics`);
        body = await res.text();
        if (!res.ok) throw new Error(`/metrics answered ${res.status}: ${body}`);
        latencies.push(performance.now() - start);
      }
      latencies.sort((a, b) => a - b);
      const openLine = body.split('\n').find((line) => line.includes('firing') && !line.startsWith('#')) ?? '(no open-incident gauge found)';
      const memory = await redisBytes(redis, prefix);
      const botRss = await rssMb(bot.pid);
      console.log(
        table(
          ['figure', 'value', 'target'],
          [
            ['/metrics p50 (ms)', fixed(percentile(latencies, 50), 2), ''],
            ['/metrics p99 (ms)', fixed(percentile(latencies, 99), 2), '< 50'],
            ['Redis keys under prefix', memory.keys, ''],
            ['Redis bytes per incident', fixed(memory.bytes / OPEN_INCIDENTS, 0), '< 2500'],
            ['bot RSS (MB)', fixed(botRss), '< 150'],
            ['bench process RSS (MB)', fixed(process.memoryUsage().rss / 1024 / 1024), ''],
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
