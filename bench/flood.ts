/**
 * An alert flood into one channel, against the bot and a Slack fake that enforces Slack's
 * rate limits.
 *
 *   npm run bench:flood
 *
 * 1,500 new alert groups (one firing alert each, 1 in 50 critical) over 15 s, all for
 * services whose channel is the same one. The fake answers 429 + Retry-After: 1 beyond one
 * chat.postMessage per second per channel or 50 chat.update per sliding minute (Tier 3).
 *
 * It reports when the channel first showed the roll-up (after the first group was sent),
 * when the roll-up counted all 1,500 (after the last one was sent), and the posts per
 * second the channel received, next to the issue's targets: the roll-up within 5 s of the
 * first, counting all within 5 s of the last, and posts never beyond Slack's rate.
 */
import { readFile } from 'node:fs/promises';
import { availableParallelism, loadavg } from 'node:os';
import { Redis } from 'ioredis';
import { startChild, type BenchChild, type ChildReport } from './child.js';
import { SlackFake, type MessageState, type SlackCall } from './slack-fake.js';
import { ALERTMANAGER_TOKEN, REDIS_URL, botEnv, deleteKeys, fixed, runBench, sleep, table, uniquePrefix, writeBotConfig } from './support.js';

const GROUPS = 1_500;
const SPREAD_MS = 15_000;
const CHANNEL = 'C0FLOOD';
const SERVICES = 5;
const ALERTNAMES = ['NodeDown', 'HighLatency', 'DiskFull', 'ErrorRate', 'PodCrashLooping', 'CertExpiring'];
const CRITICAL_EVERY = 50;
const POST_INTERVAL_MS = 1_000;
const UPDATES_PER_MINUTE = 50;
const WEBHOOK_TIMEOUT_MS = 10_000;
/** How long after the last group to wait for the roll-up to count all of them. */
const COUNT_WAIT_LIMIT_MS = 60_000;
const QUIET_MS = 3_000;
const TARGET_SHOWN_S = 5;
const TARGET_COUNTED_S = 5;

function servicesYaml(): string {
  const lines = ['services:'];
  for (let s = 0; s < SERVICES; s += 1) lines.push(`  flood-${s}:`, `    channel: ${CHANNEL}`);
  return `${lines.join('\n')}\n`;
}

function severityOf(index: number): string {
  if (index % CRITICAL_EVERY === 0) return 'critical';
  return index % 3 === 0 ? 'info' : 'warning';
}

/** The webhook body Alertmanager would send for the group's first notification. */
function notification(index: number): string {
  const alertname = ALERTNAMES[index % ALERTNAMES.length] ?? 'Alert';
  const service = `flood-${index % SERVICES}`;
  const instance = `host-${index}:9100`;
  const labels = { alertname, service, instance, severity: severityOf(index) };
  return JSON.stringify({
    version: '4',
    groupKey: `{}:{alertname="${alertname}", instance="${instance}"}`,
    truncatedAlerts: 0,
    status: 'firing',
    receiver: 'chatops-bot',
    groupLabels: { alertname, instance },
    commonLabels: labels,
    commonAnnotations: {},
    externalURL: 'http://alertmanager.example.com:9093',
    alerts: [
      {
        status: 'firing',
        labels,
        annotations: { summary: `${alertname} on ${instance}` },
        startsAt: new Date().toISOString(),
        endsAt: '0001-01-01T00:00:00Z',
        generatorURL: `http://prometheus.example.com/graph?g0.expr=flood${index}`,
        fingerprint: index.toString(16).padStart(16, '0'),
      },
    ],
  });
}

interface Delivery {
  sentAt: number;
  answeredAt: number;
  status: number | string;
}

async function deliver(url: string, index: number): Promise<Delivery> {
  const sentAt = Date.now();
  try {
    const res = await fetch(`${url}/alertmanager`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ALERTMANAGER_TOKEN}`, 'content-type': 'application/json' },
      body: notification(index),
      signal: AbortSignal.timeout(WEBHOOK_TIMEOUT_MS),
    });
    await res.arrayBuffer();
    return { sentAt, answeredAt: Date.now(), status: res.status };
  } catch (error) {
    return { sentAt, answeredAt: Date.now(), status: (error as Error).name };
  }
}

/** Sends every group at its time, spread evenly, without waiting for earlier answers. */
async function runFlood(url: string): Promise<Delivery[]> {
  const startedAt = Date.now();
  const inFlight: Array<Promise<Delivery>> = [];
  for (let i = 0; i < GROUPS; i += 1) {
    const wait = startedAt + (i * SPREAD_MS) / GROUPS - Date.now();
    if (wait > 0) await sleep(wait);
    inFlight.push(deliver(url, i));
  }
  return Promise.all(inFlight);
}

// ---------------------------------------------------------------- reading Slack

/** How many incidents a roll-up render counts, from its fallback text. */
function countOf(render: SlackCall): number {
  const match = /^Alert flood: ([\d,]+) new incidents?/.exec(render.text);
  return match ? Number(match[1]?.replace(/,/g, '')) : 0;
}

const rollups = (slack: SlackFake): MessageState[] => [...slack.messages.values()].filter((m) => m.renders[0] && countOf(m.renders[0]) > 0);

async function waitForAllCounted(slack: SlackFake, deadline: number): Promise<void> {
  while (Date.now() < deadline) {
    if (rollups(slack).some((m) => m.renders.some((r) => countOf(r) >= GROUPS))) return;
    await sleep(100);
  }
}

async function waitQuiet(slack: SlackFake): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline && Date.now() - (slack.calls.at(-1)?.at ?? 0) < QUIET_MS) await sleep(200);
}

/** The most calls of `calls` (times) in any window of `windowMs`. */
function maxInWindow(times: number[], windowMs: number): number {
  let max = 0;
  let from = 0;
  for (let to = 0; to < times.length; to += 1) {
    while ((times[to] ?? 0) - (times[from] ?? 0) >= windowMs) from += 1;
    max = Math.max(max, to - from + 1);
  }
  return max;
}

/** CPU seconds (user + system) a process has used, from /proc; what the bot cost, whatever else the machine ran. */
async function cpuSeconds(pid: number | undefined): Promise<number | undefined> {
  if (pid === undefined) return undefined;
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => undefined);
  const fields = stat?.slice(stat.lastIndexOf(')') + 2).split(' ');
  // utime and stime are fields 14 and 15 of stat, counted from 1; clock ticks, 100 a second on Linux.
  return fields ? (Number(fields[11]) + Number(fields[12])) / 100 : undefined;
}

async function storedIncidents(prefix: string): Promise<number> {
  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
  try {
    return await redis.zcard(`${prefix}incidents:open`);
  } finally {
    redis.disconnect();
  }
}

// ---------------------------------------------------------------- report

function report(slack: SlackFake, deliveries: Delivery[], stored: number, logs: ChildReport | undefined, cpu: number | undefined): void {
  const first = deliveries[0]?.sentAt ?? 0;
  const last = Math.max(...deliveries.map((d) => d.sentAt));
  const s = (ms: number | undefined) => (ms === undefined ? 'never' : `${fixed(ms / 1000)} s`);
  const channelPosts = slack.calls.filter((c) => c.method === 'chat.postMessage' && c.channel === CHANNEL);
  const accepted = channelPosts.filter((c) => c.status === 200);
  const refusedPosts = channelPosts.length - accepted.length;
  const refusedUpdates = slack.count('chat.update', 429);
  const shownRollups = rollups(slack);
  const rollup = shownRollups[0];
  const shownAt = rollup?.renders[0]?.at;
  const countedAt = rollup?.renders.find((r) => countOf(r) >= GROUPS)?.at;
  const incidentPosts = accepted.filter((c) => c.thread_ts === undefined && countOf(c) === 0);
  const criticals = Math.ceil(GROUPS / CRITICAL_EVERY);
  const activeS = Math.max(1, ((accepted.at(-1)?.at ?? first) - first) / 1000);
  const ok = deliveries.filter((d) => d.status === 200).length;

  console.log(
    table(
      ['Slack received in the channel', 'count'],
      [
        ['roll-up messages', shownRollups.length],
        ['roll-up renders (post + updates)', rollup?.renders.length ?? 0],
        ['incident messages of their own', `${incidentPosts.length} (critical groups sent: ${criticals})`],
        ['thread replies', accepted.filter((c) => c.thread_ts !== undefined).length],
        ['posts accepted', accepted.length],
        ['429s met (chat.postMessage)', refusedPosts],
        ['429s met (chat.update, workspace)', refusedUpdates],
      ],
    ),
  );
  if (rollup) {
    const renders = rollup.renders.map((r) => `${fixed((r.at - first) / 1000)}s:${countOf(r)}`);
    console.log(`roll-up renders (s after the first group: count): ${renders.join(' ')}`);
  }
  const latencies = deliveries.map((d) => d.answeredAt - d.sentAt).sort((a, b) => a - b);
  const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))] ?? 0;
  const statuses = new Map<string, number>();
  for (const d of deliveries) statuses.set(String(d.status), (statuses.get(String(d.status)) ?? 0) + 1);
  console.log(
    `webhooks: ${[...statuses].map(([k, v]) => `${k} x${v}`).join(', ')}; answered in p50 ${pct(50)} ms, p99 ${pct(99)} ms; ` +
      `incidents open in Redis (each answers /incident show): ${stored}`,
  );
  for (const sample of logs?.samples ?? []) console.log(`bot log: ${sample.level} x${sample.count}: ${sample.msg}`);
  console.log(
    `bot CPU from start to the end of the run: ${cpu === undefined ? 'n/a' : `${fixed(cpu)} s`}; load average at the end: ${loadavg()
      .map((l) => fixed(l))
      .join(' ')}`,
  );
  // A refused post's distance to the channel's previous accepted one: just under 1000 ms is timer or event-loop jitter, not a burst.
  let lastAccepted: SlackCall | undefined;
  for (const call of channelPosts) {
    if (call.status === 200) lastAccepted = call;
    else
      console.log(
        `429'd post ${fixed((call.at - first) / 1000)} s after the first group, ${lastAccepted ? call.at - lastAccepted.at : 'n/a'} ms after the previous accepted one (${call.text.slice(0, 40)})`,
      );
  }
  console.log(`first incident message ${s(incidentPosts[0] ? incidentPosts[0].at - first : undefined)} after the first group`);
  console.log('');
  const postsMax = maxInWindow(
    channelPosts.map((c) => c.at),
    POST_INTERVAL_MS,
  );
  const checks = [
    [
      'roll-up first shown, after the first group',
      s(shownAt === undefined ? undefined : shownAt - first),
      `<= ${TARGET_SHOWN_S} s`,
      shownAt !== undefined && shownAt - first <= TARGET_SHOWN_S * 1000,
    ],
    [
      `roll-up counts all ${GROUPS}, after the last group`,
      s(countedAt === undefined ? undefined : countedAt - last),
      `<= ${TARGET_COUNTED_S} s`,
      countedAt !== undefined && countedAt - last <= TARGET_COUNTED_S * 1000,
    ],
    ['posts per second to the channel, most in any 1 s (attempts)', postsMax, '<= 1', postsMax <= 1 && refusedPosts === 0],
    ['posts per second to the channel, mean while posting', fixed(accepted.length / activeS, 2), '<= 1', accepted.length / activeS <= 1],
  ] as const;
  console.log(
    table(
      ['target', 'measured', 'target value', 'verdict'],
      checks.map(([name, measured, target, met]) => [name, String(measured), target, met ? 'MET' : 'NOT MET']),
    ),
  );
  console.log('');
  console.log(`FLOOD TARGETS: ${checks.every((c) => c[3]) && ok === GROUPS ? 'ALL MET' : 'NOT MET'}`);
}

async function main(): Promise<void> {
  const prefix = uniquePrefix('flood');
  const botConfig = await writeBotConfig(servicesYaml());
  const slack = await SlackFake.start({ postIntervalMs: POST_INTERVAL_MS, updatesPerMinute: UPDATES_PER_MINUTE });
  let bot: BenchChild | undefined;
  try {
    // FLOOD_* set in this shell reach the bot, to compare (FLOOD_THRESHOLD=0: no roll-up, as before).
    const flood = Object.fromEntries(Object.entries(process.env).filter((e): e is [string, string] => e[0].startsWith('FLOOD_') && e[1] !== undefined));
    bot = await startChild('./run-bot.ts', botEnv({ slackApiUrl: slack.apiUrl, config: botConfig, keyPrefix: prefix, extra: flood }));
    console.log(
      `flood bench: ${GROUPS} new groups into one channel over ${SPREAD_MS / 1000} s, 1 in ${CRITICAL_EVERY} critical; ` +
        `Slack fake: 1 post/s/channel, ${UPDATES_PER_MINUTE} updates/min; bot: ${JSON.stringify(flood)} over the defaults (FLOOD_THRESHOLD 20, FLOOD_WINDOW 1m, critical-only); ` +
        `node ${process.version}, ${availableParallelism()} cores`,
    );
    const deliveries = await runFlood(bot.url);
    const last = Math.max(...deliveries.map((d) => d.sentAt));
    await waitForAllCounted(slack, last + COUNT_WAIT_LIMIT_MS);
    await waitQuiet(slack);
    const stored = await storedIncidents(prefix);
    const cpu = await cpuSeconds(bot.pid);
    const logs = await bot.stop();
    slack.assertNoUnexpectedCalls();
    report(slack, deliveries, stored, logs, cpu);
  } finally {
    await bot?.stop();
    await slack.close();
    const deleted = await deleteKeys(prefix);
    await botConfig.remove();
    console.log(`cleaned up: ${deleted} Redis keys under the run's prefix deleted`);
  }
}

runBench(main);
