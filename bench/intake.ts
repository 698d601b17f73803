/**
 * Webhook intake throughput: the bot against a bare floor, same payloads, same load.
 *
 *   npm run bench:intake
 *
 * Both servers run in child processes (the load generator must not share their event
 * loop) against the local Redis. Two payload variants:
 *   - duplicate: the same captured Alertmanager notification every time. The bot sees a
 *     duplicate after the first one, so this measures its read-only path.
 *   - changing: every request carries an alert whose annotation changed, spread over a
 *     fixed set of groups, so each one is merged and committed: the write path.
 * The floor (run-floor.ts) writes every alert to Redis in both variants.
 *
 * Target: bot req/s >= 0.5 x floor req/s and bot p99 <= 3 x floor p99, in each variant.
 */
import { readFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import autocannon, { type Options, type RawResult } from 'autocannon';
import { startChild, type BenchChild, type ChildReport } from './child.js';
import type { FloorConfig } from './run-floor.js';
import { SlackFake } from './slack-fake.js';
import { ALERTMANAGER_TOKEN, REDIS_URL, botEnv, deleteKeys, fixed, sleep, table, uniquePrefix, writeBotConfig, runBench } from './support.js';

const CONNECTIONS = 10;
const DURATION_S = 10;
const WARMUP_S = 2;
/** The DURATION_S of each server is split into this many interleaved runs. */
const ROUNDS = 5;
/** Groups the changing variant cycles through: far more than requests in flight, so no two race on one incident. */
const WRITE_GROUPS = 200;
const TARGET_THROUGHPUT_RATIO = 0.5;
const TARGET_P99_RATIO = 3;

const FIXTURE_TEXT = readFileSync(new URL('../test/fixtures/alertmanager-0.25-firing.json', import.meta.url), 'utf8');

const SERVICES_YAML = `services:
  checkout:
    channel: C0CHECKOUT
`;

type BodySource = () => string;

interface Variant {
  name: string;
  /** A fresh generator per server, so bot and floor get the same sequence of bodies. */
  bodies: () => BodySource;
}

/** The captured notification, byte for byte, every time. */
function duplicateBodies(): BodySource {
  return () => FIXTURE_TEXT;
}

/** The captured notification moved to group n % WRITE_GROUPS, with an annotation that changes on every request. */
function changingBody(n: number): string {
  const payload = JSON.parse(FIXTURE_TEXT) as {
    groupKey: string;
    groupLabels: Record<string, string>;
    commonLabels: Record<string, string>;
    alerts: Array<{ labels: Record<string, string>; annotations: Record<string, string>; fingerprint: string }>;
  };
  const group = n % WRITE_GROUPS;
  const alertname = `BenchWrite${group}`;
  payload.groupKey = `{}:{alertname="${alertname}", service="checkout"}`;
  payload.groupLabels.alertname = alertname;
  payload.commonLabels.alertname = alertname;
  for (const alert of payload.alerts) {
    alert.labels.alertname = alertname;
    alert.fingerprint = `bench${String(group).padStart(11, '0')}`;
    // Alertmanager re-sends an alert with fresh annotations (e.g. the current $value).
    alert.annotations.value = String(n);
  }
  return JSON.stringify(payload);
}

function changingBodies(): BodySource {
  let n = 0;
  return () => changingBody(n++);
}

const VARIANTS: Variant[] = [
  { name: 'duplicate (read path)', bodies: duplicateBodies },
  { name: 'changing (write path)', bodies: changingBodies },
];

const loadOptions = (url: string, body: BodySource, seconds: number): Options => ({
  url: `${url}/alertmanager`,
  connections: CONNECTIONS,
  duration: seconds,
  headers: { authorization: `Bearer ${ALERTMANAGER_TOKEN}`, 'content-type': 'application/json' },
  requests: [{ method: 'POST', setupRequest: (request) => ({ ...request, body: body() }) }],
});

/** One autocannon run, raw, so that the rounds of one server can be merged afterwards. */
function loadRaw(url: string, body: BodySource, seconds: number): Promise<RawResult> {
  return Promise.resolve(autocannon({ ...loadOptions(url, body, seconds), skipAggregateResult: true }));
}

type ServerName = 'bot' | 'floor';

interface Summary {
  okPerSecond: number;
  /** req/s of each round, in order: bot and floor rounds of the same index ran back to back. */
  roundOkPerSecond: number[];
  p50: number;
  p99: number;
  max: number;
  non2xx: number;
  errors: number;
}

/** Merges the rounds of one server: total 2xx over total time, latency percentiles over all requests. */
function summarize(url: string, raws: RawResult[]): Summary {
  const sum = (pick: (r: RawResult) => number) => raws.reduce((total, r) => total + pick(r), 0);
  const { latency } = autocannon.aggregateResult(raws, { url });
  return {
    okPerSecond: sum((r) => r['2xx']) / sum((r) => r.duration),
    roundOkPerSecond: raws.map((r) => r['2xx'] / r.duration),
    p50: latency.p50,
    p99: latency.p99,
    max: latency.max,
    non2xx: sum((r) => r.non2xx),
    errors: sum((r) => r.errors + r.timeouts),
  };
}

interface Measured {
  variant: string;
  server: ServerName;
  summary: Summary;
}

/**
 * Warm-up of each server (JIT, connections, the first incidents), then ROUNDS short runs
 * per server in ABBA order: the machine is shared (other jobs come and go), and
 * interleaving spreads any drift in background load evenly over bot and floor.
 */
async function measureVariant(variant: Variant, servers: Record<ServerName, BenchChild>): Promise<Measured[]> {
  const bodies: Record<ServerName, BodySource> = { bot: variant.bodies(), floor: variant.bodies() };
  const raws: Record<ServerName, RawResult[]> = { bot: [], floor: [] };
  for (const server of ['bot', 'floor'] as const) await loadRaw(servers[server].url, bodies[server], WARMUP_S);
  for (let round = 0; round < ROUNDS; round += 1) {
    const order: ServerName[] = round % 2 === 0 ? ['bot', 'floor'] : ['floor', 'bot'];
    for (const server of order) {
      await sleep(200);
      raws[server].push(await loadRaw(servers[server].url, bodies[server], DURATION_S / ROUNDS));
    }
  }
  return (['bot', 'floor'] as const).map((server) => ({ variant: variant.name, server, summary: summarize(servers[server].url, raws[server]) }));
}

/** Proves the variants hit the paths they claim to: a duplicate changes nothing, a changing body does. */
async function probeBot(url: string): Promise<string[]> {
  const post = async (body: string) => {
    const res = await fetch(`${url}/alertmanager`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ALERTMANAGER_TOKEN}`, 'content-type': 'application/json' },
      body,
    });
    return (await res.json()) as { changed?: boolean };
  };
  await post(FIXTURE_TEXT);
  const duplicate = await post(FIXTURE_TEXT);
  // Two bodies of the same group (0) with different annotation values.
  await post(changingBody(1_000_000));
  const changed = await post(changingBody(1_000_000 + WRITE_GROUPS));
  return [
    `probe: a repeated fixture answers changed=${String(duplicate.changed)} (read path expected: false)`,
    `probe: a changed annotation answers changed=${String(changed.changed)} (write path expected: true)`,
  ];
}

function resultsTable(runs: Measured[]): string {
  return table(
    ['variant', 'server', 'req/s (2xx)', 'p50 ms', 'p99 ms', 'max ms', 'non-2xx', 'errors'],
    runs.map(({ variant, server, summary: s }) => [variant, server, fixed(s.okPerSecond, 0), s.p50, s.p99, s.max, s.non2xx, s.errors]),
  );
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] ?? NaN) : ((sorted[mid - 1] ?? NaN) + (sorted[mid] ?? NaN)) / 2;
};

/**
 * The verdict uses the totals. The per-round ratios (each bot round against the floor
 * round run right next to it) show how much the shared machine moved the result.
 */
function verdictTable(runs: Measured[]): { text: string; allMet: boolean } {
  let allMet = true;
  const rows = VARIANTS.map(({ name }) => {
    const bot = runs.find((r) => r.variant === name && r.server === 'bot')?.summary;
    const floor = runs.find((r) => r.variant === name && r.server === 'floor')?.summary;
    if (!bot || !floor) return [name, 'n/a', 'n/a', 'n/a', 'NOT MET'];
    const throughput = bot.okPerSecond / floor.okPerSecond;
    const perRound = bot.roundOkPerSecond.map((b, i) => b / (floor.roundOkPerSecond[i] ?? NaN));
    // autocannon reports whole milliseconds; a 0 ms floor p99 is treated as 1 ms.
    const p99 = bot.p99 / Math.max(1, floor.p99);
    const clean = bot.non2xx + bot.errors === 0;
    const met = throughput >= TARGET_THROUGHPUT_RATIO && p99 <= TARGET_P99_RATIO && clean;
    allMet &&= met;
    return [
      name,
      `${fixed(throughput, 2)}x (>= ${TARGET_THROUGHPUT_RATIO})`,
      `${fixed(median(perRound), 2)}x (${fixed(Math.min(...perRound), 2)}-${fixed(Math.max(...perRound), 2)})`,
      `${fixed(p99, 2)}x (<= ${TARGET_P99_RATIO})`,
      met ? 'MET' : 'NOT MET',
    ];
  });
  return { text: table(['variant', 'bot/floor req/s', 'per round: median (range)', 'bot/floor p99', 'target'], rows), allMet };
}

function logSummary(report: ChildReport | undefined): string {
  if (!report) return 'bot logs: (no report)';
  const levels =
    Object.entries(report.logLines)
      .map(([level, n]) => `${level}=${n}`)
      .join(' ') || 'none';
  const samples = report.samples.map((s) => `  ${s.level} x${s.count}: ${s.msg}`).join('\n');
  return `bot log lines at warn and above: ${levels}${samples ? `\n${samples}` : ''}`;
}

async function main(): Promise<void> {
  const prefix = uniquePrefix('intake');
  const botConfig = await writeBotConfig(SERVICES_YAML);
  const slack = await SlackFake.start();
  const children: BenchChild[] = [];
  let botReport: ChildReport | undefined;
  try {
    const bot = await startChild('./run-bot.ts', botEnv({ slackApiUrl: slack.apiUrl, config: botConfig, keyPrefix: `${prefix}bot:` }));
    children.push(bot);
    const floorConfig: FloorConfig = { redisUrl: REDIS_URL, keyPrefix: `${prefix}floor:`, token: ALERTMANAGER_TOKEN };
    const floor = await startChild('./run-floor.ts', floorConfig);
    children.push(floor);

    console.log(
      `intake bench: ${CONNECTIONS} connections, ${WARMUP_S} s warm-up + ${DURATION_S} s measured per server and variant, node ${process.version}, ${availableParallelism()} cores, load average ${loadavg()[0]?.toFixed(2)}`,
    );
    console.log(`bot pid ${bot.pid}, floor pid ${floor.pid}, load generator pid ${process.pid}; Redis ${REDIS_URL}`);
    const probes = await probeBot(bot.url);

    const runs: Measured[] = [];
    for (const variant of VARIANTS) {
      console.log(`running ${variant.name}: bot and floor, ${ROUNDS} interleaved rounds of ${DURATION_S / ROUNDS} s each...`);
      runs.push(...(await measureVariant(variant, { bot, floor })));
    }
    const slackCalls = slack.calls.length;
    botReport = await bot.stop();
    slack.assertNoUnexpectedCalls();

    console.log('');
    console.log(resultsTable(runs));
    console.log('');
    const verdict = verdictTable(runs);
    console.log(verdict.text);
    console.log('');
    for (const line of probes) console.log(line);
    console.log(`Slack fake calls during the bench (background delivery, not measured): ${slackCalls}`);
    console.log(logSummary(botReport));
    console.log('');
    console.log(
      `load average at the end: ${loadavg()[0]?.toFixed(2)} (other jobs on this ${availableParallelism()}-core machine move the figures; see the per-round spread)`,
    );
    console.log(
      `TARGET (bot req/s >= ${TARGET_THROUGHPUT_RATIO} x floor and bot p99 <= ${TARGET_P99_RATIO} x floor p99, both variants): ${verdict.allMet ? 'MET' : 'NOT MET'}`,
    );
  } finally {
    for (const child of children) await child.stop();
    await slack.close();
    const deleted = await deleteKeys(prefix);
    await botConfig.remove();
    console.log(`cleaned up: ${deleted} Redis keys under the run's prefix deleted`);
  }
}

runBench(main);
