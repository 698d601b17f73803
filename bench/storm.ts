/**
 * An alert storm against the bot, with a Slack fake that enforces Slack's rate limits.
 *
 *   npm run bench:storm                     one bot
 *   npm run bench:storm -- --replicas 2     two bots on one Redis, behind a round-robin "load balancer"
 *   npm run bench:storm-replicas            one, then two, side by side (bench/storm-replicas.ts)
 *
 * 5,000 alerts in 50 groups over 10 services (one channel each). Alertmanager-style: each
 * group is notified every GROUP_INTERVAL_MS with ALL of its current alerts (10 more each
 * time, 100 after 10 s), then resolved (all 100 resolved, sent twice as an HA pair would).
 * The fake answers 429 + Retry-After: 1 beyond one chat.postMessage per second per channel
 * or 50 chat.update per sliding minute in the workspace (Slack Tier 3).
 *
 * With replicas, every bot shares the one Redis key prefix and the one Slack fake, and the
 * notifications are spread over them in turn, as a load balancer would.
 *
 * It reports what Slack received, the 429s met beyond the first of each limit's window, whether every incident message ends up showing its
 * final state (resolved, all 100 alerts accounted for), how many calls each incident
 * cost, and how long after the storm the last message got there, next to the floor the
 * update budget allows.
 */
import { writeFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { pathToFileURL } from 'node:url';
import { Redis } from 'ioredis';
import { startChild, type BenchChild, type ChildReport } from './child.js';
import { SlackFake, type MessageState, type SlackCall } from './slack-fake.js';
import { excess429s } from './rate-windows.js';
import { ALERTMANAGER_TOKEN, REDIS_URL, botEnv, deleteKeys, fixed, sleep, table, uniquePrefix, writeBotConfig, runBench } from './support.js';

const GROUPS = 50;
const SERVICES = 10;
const ALERTS_PER_GROUP = 100;
/** Firing notifications per group; each adds ALERTS_PER_GROUP / FIRING_NOTIFICATIONS alerts. */
const FIRING_NOTIFICATIONS = 10;
/** Identical all-resolved notifications per group (the second one is what an HA peer sends). */
const RESOLVED_NOTIFICATIONS = 2;
const GROUP_INTERVAL_MS = 1_000;
const UPDATES_PER_MINUTE = 50;
const UPDATE_WINDOW_MS = 60_000;
const POST_INTERVAL_MS = 1_000;
const WEBHOOK_TIMEOUT_MS = 10_000;
/** How long after the storm to wait for every message to show its final state. */
const FINAL_WAIT_LIMIT_MS = 180_000;
/** Once all is final, how long Slack must stay quiet before the calls are counted. */
const QUIET_MS = 3_000;
const QUIET_WAIT_LIMIT_MS = 15_000;
const TARGET_CALLS_PER_INCIDENT = 4;
const TARGET_SLACK_MARGIN_S = 10;

// ---------------------------------------------------------------- the storm's shape

interface Group {
  index: number;
  alertname: string;
  service: string;
  channel: string;
  groupKey: string;
  /** startsAt of each alert, fixed when it first appears (Alertmanager keeps it). */
  startsAt: string[];
}

function buildGroups(): Group[] {
  return Array.from({ length: GROUPS }, (_, index) => {
    const service = `service-${index % SERVICES}`;
    const alertname = `StormG${String(index).padStart(2, '0')}`;
    return {
      index,
      alertname,
      service,
      channel: `C0SVC${index % SERVICES}`,
      groupKey: `{}:{alertname="${alertname}", service="${service}"}`,
      startsAt: [],
    };
  });
}

function servicesYaml(): string {
  const lines = ['services:'];
  for (let s = 0; s < SERVICES; s += 1) lines.push(`  service-${s}:`, `    channel: C0SVC${s}`);
  return `${lines.join('\n')}\n`;
}

const fingerprint = (group: Group, alert: number) => `${group.index.toString(16).padStart(4, '0')}${alert.toString(16).padStart(12, '0')}`;

/** The webhook body Alertmanager would send for `group` with its first `count` alerts. */
function notification(group: Group, count: number, resolvedAt: string | undefined): string {
  const now = new Date().toISOString();
  const alerts = Array.from({ length: count }, (_, i) => {
    group.startsAt[i] ??= now;
    return {
      status: resolvedAt ? 'resolved' : 'firing',
      labels: { alertname: group.alertname, service: group.service, instance: `host-${i}:9100`, severity: i % 10 === 0 ? 'critical' : 'warning' },
      annotations: { summary: `${group.alertname} on host-${i}` },
      startsAt: group.startsAt[i],
      endsAt: resolvedAt ?? '0001-01-01T00:00:00Z',
      generatorURL: `http://prometheus.example.com/graph?g0.expr=storm${group.index}`,
      fingerprint: fingerprint(group, i),
    };
  });
  return JSON.stringify({
    version: '4',
    groupKey: group.groupKey,
    truncatedAlerts: 0,
    status: resolvedAt ? 'resolved' : 'firing',
    receiver: 'chatops-bot',
    groupLabels: { alertname: group.alertname, service: group.service },
    commonLabels: { alertname: group.alertname, service: group.service },
    commonAnnotations: {},
    externalURL: 'http://alertmanager.example.com:9093',
    alerts,
  });
}

interface Send {
  group: Group;
  /** Offset from the storm's start. */
  atMs: number;
  kind: 'firing' | 'resolved';
  /** Alerts carried (firing: the group's current alerts). */
  count: number;
}

/** Groups are spread evenly over each second, as their timers would be in Alertmanager. */
function schedule(groups: Group[]): Send[] {
  const sends: Send[] = [];
  const perStep = ALERTS_PER_GROUP / FIRING_NOTIFICATIONS;
  for (const group of groups) {
    const phase = (group.index * GROUP_INTERVAL_MS) / GROUPS;
    for (let k = 0; k < FIRING_NOTIFICATIONS; k += 1) {
      sends.push({ group, atMs: phase + k * GROUP_INTERVAL_MS, kind: 'firing', count: (k + 1) * perStep });
    }
    for (let r = 0; r < RESOLVED_NOTIFICATIONS; r += 1) {
      sends.push({ group, atMs: phase + (FIRING_NOTIFICATIONS + r) * GROUP_INTERVAL_MS, kind: 'resolved', count: ALERTS_PER_GROUP });
    }
  }
  return sends.sort((a, b) => a.atMs - b.atMs);
}

// ---------------------------------------------------------------- sending

interface Delivery {
  send: Send;
  status: number | string;
  answeredAt: number;
}

async function deliver(url: string, send: Send, resolvedAt: Map<Group, string>): Promise<Delivery> {
  if (send.kind === 'resolved' && !resolvedAt.has(send.group)) resolvedAt.set(send.group, new Date().toISOString());
  const body = notification(send.group, send.count, send.kind === 'resolved' ? resolvedAt.get(send.group) : undefined);
  try {
    const res = await fetch(`${url}/alertmanager`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ALERTMANAGER_TOKEN}`, 'content-type': 'application/json' },
      body,
      signal: AbortSignal.timeout(WEBHOOK_TIMEOUT_MS),
    });
    await res.arrayBuffer();
    return { send, status: res.status, answeredAt: Date.now() };
  } catch (error) {
    return { send, status: (error as Error).name, answeredAt: Date.now() };
  }
}

/** Fires every notification at its time without waiting for earlier answers (Alertmanager does not either), to each bot in turn. */
async function runStorm(urls: string[], groups: Group[]): Promise<{ startedAt: number; deliveries: Delivery[] }> {
  const startedAt = Date.now();
  const resolvedAt = new Map<Group, string>();
  const inFlight: Array<Promise<Delivery>> = [];
  for (const [i, send] of schedule(groups).entries()) {
    const wait = startedAt + send.atMs - Date.now();
    if (wait > 0) await sleep(wait);
    inFlight.push(deliver(urls[i % urls.length] ?? '', send, resolvedAt));
  }
  return { startedAt, deliveries: await Promise.all(inFlight) };
}

// ---------------------------------------------------------------- reading Slack

/** The "Alerts" field of an incident message: "N firing of M". */
function alertsField(call: SlackCall): { firing: number; total: number } | undefined {
  const text = JSON.stringify(call.blocks ?? []);
  const match = /\*Alerts\*\\n(\d+) firing of (\d+)/.exec(text);
  return match ? { firing: Number(match[1]), total: Number(match[2]) } : undefined;
}

/** Final means: resolved, and all of the group's alerts counted and none firing. */
function isFinal(call: SlackCall): boolean {
  const alerts = alertsField(call);
  return call.text.startsWith('[RESOLVED]') && alerts?.firing === 0 && alerts.total === ALERTS_PER_GROUP;
}

/** Top-level messages by group, recognised by the group's alertname in the fallback text. */
function messagesByGroup(slack: SlackFake, groups: Group[]): Map<Group, MessageState[]> {
  const byName = new Map(groups.map((g) => [g.alertname, g]));
  const result = new Map<Group, MessageState[]>(groups.map((g) => [g, []]));
  for (const message of slack.messages.values()) {
    const name = /\b(StormG\d+)\b/.exec(message.renders[0]?.text ?? '')?.[1];
    const group = name ? byName.get(name) : undefined;
    if (group) result.get(group)?.push(message);
  }
  return result;
}

/** When the message started to show its final state for good (undefined if it does not now). */
function finalSince(message: MessageState): number | undefined {
  let since: number | undefined;
  for (const render of message.renders) since = isFinal(render) ? (since ?? render.at) : undefined;
  return since;
}

/** The group's message as it was at `at` (the last render accepted by then). */
function renderAt(message: MessageState, at: number): SlackCall | undefined {
  return message.renders.filter((r) => r.at <= at).at(-1);
}

/** Polls until every group's (single) message shows its final state, or the deadline. */
async function waitForFinal(slack: SlackFake, groups: Group[], deadline: number): Promise<number | undefined> {
  for (;;) {
    const byGroup = messagesByGroup(slack, groups);
    const since = groups.map((g) => {
      const messages = byGroup.get(g) ?? [];
      return messages.length === 1 && messages[0] ? finalSince(messages[0]) : undefined;
    });
    if (since.every((s) => s !== undefined)) return Math.max(...(since as number[]));
    if (Date.now() >= deadline) return undefined;
    await sleep(100);
  }
}

/** Lets trailing calls (thread replies, redundant updates) land before counting. */
async function waitQuiet(slack: SlackFake, quietMs: number, limitMs: number): Promise<void> {
  const deadline = Date.now() + limitMs;
  while (Date.now() < deadline) {
    const last = slack.calls.at(-1)?.at ?? 0;
    if (Date.now() - last >= quietMs) return;
    await sleep(200);
  }
}

// ---------------------------------------------------------------- the floor

interface Floor {
  seconds: number;
  approxSeconds: number;
  explanation: string[];
}

/**
 * The soonest all messages could show their final state after `end`, given what Slack
 * had already accepted:
 *  - U messages already posted but not yet final at `end` each need one chat.update;
 *    W updates were accepted in the 60 s before `end`, so A = 50 - W are free now, and
 *    the k-th update beyond A waits until the k-th oldest of those W leaves the window:
 *      update floor = 0 if U <= A, else t(W sorted)[U - A] + 60 s - end
 *    (the brief's approximation, assuming the W were spread evenly: (U - A) / 50 x 60 s);
 *  - P groups without a message yet need a post, one per second per channel.
 */
function computeFloor(slack: SlackFake, groups: Group[], end: number): Floor {
  const byGroup = messagesByGroup(slack, groups);
  let needUpdate = 0;
  const needPost = new Map<string, number>();
  for (const group of groups) {
    const message = byGroup.get(group)?.find((m) => (m.renders[0]?.at ?? Infinity) <= end);
    if (!message) needPost.set(group.channel, (needPost.get(group.channel) ?? 0) + 1);
    else {
      const shown = renderAt(message, end);
      if (!shown || !isFinal(shown)) needUpdate += 1;
    }
  }
  const window = slack.updatesInWindowEndingAt(end);
  const available = Math.max(0, UPDATES_PER_MINUTE - window.length);
  const beyond = Math.max(0, needUpdate - available);
  const updateFloorMs = beyond === 0 ? 0 : (window[beyond - 1] ?? end) + UPDATE_WINDOW_MS - end;
  let postFloorMs = 0;
  for (const [channel, pending] of needPost) {
    const lastPost = slack.calls.filter((c) => c.method === 'chat.postMessage' && c.status === 200 && c.channel === channel && c.at <= end).at(-1)?.at;
    const firstSlot = Math.max(0, (lastPost ?? -Infinity) + POST_INTERVAL_MS - end);
    postFloorMs = Math.max(postFloorMs, firstSlot + (pending - 1) * POST_INTERVAL_MS);
  }
  const approxSeconds = (beyond / UPDATES_PER_MINUTE) * (UPDATE_WINDOW_MS / 1000);
  return {
    seconds: Math.max(updateFloorMs, postFloorMs) / 1000,
    approxSeconds,
    explanation: [
      `at the end of the storm: ${needUpdate} posted messages not yet final (U), ${[...needPost.values()].reduce((a, b) => a + b, 0)} groups without a message (P)`,
      `chat.update accepted in the previous 60 s: ${window.length} (W), so A = ${UPDATES_PER_MINUTE} - W = ${available} free now`,
      `update floor = U <= A ? 0 : time the (U - A)-th oldest of W leaves the window = ${fixed(updateFloorMs / 1000)} s` +
        ` (even-spread approximation (U - A)/${UPDATES_PER_MINUTE} x 60 s = ${fixed(approxSeconds)} s)`,
      `post floor (1 post/s/channel for groups without a message) = ${fixed(postFloorMs / 1000)} s; floor = the larger`,
    ],
  };
}

// ---------------------------------------------------------------- what the bot stored

interface Stored {
  incidents: number;
  resolvedIncidents: number;
  resolvedAlerts: number;
}

async function readStore(prefix: string): Promise<Stored> {
  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
  const stored: Stored = { incidents: 0, resolvedIncidents: 0, resolvedAlerts: 0 };
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}incident:*`, 'COUNT', 1000);
      cursor = next;
      // The incident hashes only (incident:<id>), not their timeline, message ref, etc.
      for (const key of keys.filter((k) => /:incident:\d+$/.test(k))) {
        const doc = await redis.hget(key, 'doc');
        if (!doc) continue;
        const incident = JSON.parse(doc) as { state: string; alerts: Record<string, { status: string }> };
        stored.incidents += 1;
        if (incident.state === 'resolved') stored.resolvedIncidents += 1;
        stored.resolvedAlerts += Object.values(incident.alerts).filter((a) => a.status === 'resolved').length;
      }
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
  return stored;
}

/** A few of the bot's own counters, from GET /metrics. */
async function scrapeMetrics(url: string): Promise<Record<string, number>> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const wanted = ['chatops_slack_queue_depth', 'chatops_slack_deliveries_dropped_total'];
  const result: Record<string, number> = {};
  for (const line of text.split('\n')) {
    const match = /^(\w+)(\{[^}]*\})? ([\d.e+-]+)$/.exec(line);
    if (!match?.[1]) continue;
    if (wanted.includes(match[1]) || match[1] === 'chatops_slack_api_calls_total') result[`${match[1]}${match[2] ?? ''}`] = Number(match[3]);
  }
  return result;
}

// ---------------------------------------------------------------- report

interface Outcome {
  groups: Group[];
  slack: SlackFake;
  deliveries: Delivery[];
  startedAt: number;
  end: number;
  allFinalAt: number | undefined;
  floor: Floor;
  stored: Stored;
  metrics: Record<string, number>;
  botReports: Array<ChildReport | undefined>;
  replicas: number;
}

/** What a run comes to, for putting runs side by side. */
export interface StormFigures {
  replicas: number;
  posts429: number;
  updates429: number;
  /** 429s met while a 429 of the same limit was still in its window (Retry-After for a post, the minute for updates). */
  beyondFirst429: number;
  maxCalls: number;
  meanCalls: number;
  secondsToFinal: number | undefined;
  floorSeconds: number;
  allMet: boolean;
}

/** Alerts a group's message does not show as resolved at the end (all of them if there is no message). */
function lostAlerts(messages: MessageState[]): number {
  const last = messages.at(-1)?.renders.at(-1);
  const alerts = last ? alertsField(last) : undefined;
  if (!alerts) return ALERTS_PER_GROUP;
  return Math.max(0, ALERTS_PER_GROUP - (alerts.total - alerts.firing));
}

const verdict = (met: boolean) => (met ? 'MET' : 'NOT MET');

function report(o: Outcome): StormFigures {
  const { slack, groups } = o;
  const byGroup = messagesByGroup(slack, groups);
  const topPosts = slack.count('chat.postMessage', 200, (c) => c.thread_ts === undefined);
  const replies = slack.count('chat.postMessage', 200, (c) => c.thread_ts !== undefined);
  const updates = slack.count('chat.update');
  const refused = slack.calls.filter((c) => c.status === 429);
  const ok = o.deliveries.filter((d) => d.status === 200).length;
  const lost = groups.reduce((sum, g) => sum + lostAlerts(byGroup.get(g) ?? []), 0);
  const perIncident = groups.map((g) => (byGroup.get(g) ?? []).reduce((n, m) => n + m.renders.length + m.replies.length, 0));
  const maxCalls = Math.max(...perIncident);
  const meanCalls = perIncident.reduce((a, b) => a + b, 0) / perIncident.length;
  const overBudget = perIncident.filter((n) => n > TARGET_CALLS_PER_INCIDENT).length;
  const toFinal = o.allFinalAt === undefined ? undefined : Math.max(0, o.allFinalAt - o.end) / 1000;
  const finalTarget = o.floor.seconds + TARGET_SLACK_MARGIN_S;
  const beyondFirst = excess429s(slack.calls, { postWindowMs: POST_INTERVAL_MS, updateWindowMs: UPDATE_WINDOW_MS });

  const checks = [
    ['top-level posts (incident messages)', topPosts, `${GROUPS}`, verdict(topPosts === GROUPS)],
    ['webhooks answered 200', `${ok} / ${o.deliveries.length}`, 'all', verdict(ok === o.deliveries.length)],
    ['alerts lost (not shown resolved at the end)', lost, '0', verdict(lost === 0)],
    [
      'alerts stored resolved in Redis',
      `${o.stored.resolvedAlerts} / ${GROUPS * ALERTS_PER_GROUP}`,
      'all',
      verdict(o.stored.resolvedAlerts === GROUPS * ALERTS_PER_GROUP && o.stored.incidents === GROUPS),
    ],
    [
      'Slack calls per incident, max (mean)',
      `${maxCalls} (${fixed(meanCalls)})`,
      `<= ${TARGET_CALLS_PER_INCIDENT}`,
      verdict(maxCalls <= TARGET_CALLS_PER_INCIDENT),
    ],
    [
      's from end of storm to all 50 final',
      toFinal === undefined ? `not within ${FINAL_WAIT_LIMIT_MS / 1000} s` : fixed(toFinal),
      `<= floor ${fixed(o.floor.seconds)} + ${TARGET_SLACK_MARGIN_S} = ${fixed(finalTarget)}`,
      verdict(toFinal !== undefined && toFinal <= finalTarget),
    ],
    ['429s met beyond the first per limit window', beyondFirst, '0', verdict(beyondFirst === 0)],
  ] as const;
  const allMet = checks.every((row) => row[3] === 'MET');

  console.log('');
  console.log(
    table(
      ['Slack received', 'count'],
      [
        ['top-level posts (chat.postMessage, no thread_ts)', topPosts],
        ['thread replies (chat.postMessage with thread_ts)', replies],
        ['updates (chat.update)', updates],
        ['429s met (chat.postMessage)', refused.filter((c) => c.method === 'chat.postMessage').length],
        ['429s met (chat.update)', refused.filter((c) => c.method === 'chat.update').length],
        [`incidents costing more than ${TARGET_CALLS_PER_INCIDENT} calls`, `${overBudget} / ${GROUPS}`],
      ],
    ),
  );
  console.log('');
  console.log(`storm: ${o.deliveries.length} notifications over ${fixed((o.end - o.startedAt) / 1000)} s (start to last resolved notification accepted)`);
  console.log('floor for the final state (update budget), computed at the end of the storm:');
  for (const line of o.floor.explanation) console.log(`  ${line}`);
  console.log('');
  console.log(
    table(
      ['target', 'measured', 'target value', 'verdict'],
      checks.map((row) => [...row]),
    ),
  );
  console.log('');
  printDiagnostics(o, byGroup, perIncident);
  console.log('');
  console.log(`STORM TARGETS (${o.replicas} replica${o.replicas === 1 ? '' : 's'}): ${allMet ? 'ALL MET' : 'NOT MET'}`);
  return {
    replicas: o.replicas,
    posts429: refused.filter((c) => c.method === 'chat.postMessage').length,
    updates429: refused.filter((c) => c.method === 'chat.update').length,
    beyondFirst429: beyondFirst,
    maxCalls,
    meanCalls,
    secondsToFinal: toFinal,
    floorSeconds: o.floor.seconds,
    allMet,
  };
}

function printDiagnostics(o: Outcome, byGroup: Map<Group, MessageState[]>, perIncident: number[]): void {
  const histogram = new Map<number, number>();
  for (const n of perIncident) histogram.set(n, (histogram.get(n) ?? 0) + 1);
  console.log(
    `calls per incident (calls: incidents): ${[...histogram]
      .sort((a, b) => a[0] - b[0])
      .map(([n, c]) => `${n}: ${c}`)
      .join(', ')}`,
  );
  const failed = o.deliveries.filter((d) => d.status !== 200);
  if (failed.length > 0)
    console.log(
      `webhooks not answered 200: ${failed
        .slice(0, 5)
        .map((d) => `${d.send.group.alertname} ${d.send.kind}: ${d.status}`)
        .join('; ')}`,
    );
  const notFinal = o.groups.filter((g) => {
    const messages = byGroup.get(g) ?? [];
    return messages.length !== 1 || !messages[0] || finalSince(messages[0]) === undefined;
  });
  if (notFinal.length > 0) {
    console.log(`groups not showing their final state (${notFinal.length}):`);
    for (const g of notFinal.slice(0, 10)) {
      const messages = byGroup.get(g) ?? [];
      const last = messages.at(-1)?.renders.at(-1);
      const shown = last ? `${last.text} | ${JSON.stringify(alertsField(last))}` : 'no message';
      console.log(`  ${g.alertname}: ${messages.length} message(s), last shows: ${shown}`);
    }
  }
  printTimings(o);
  const s = o.stored;
  console.log(`Redis: ${s.incidents} incidents stored, ${s.resolvedIncidents} resolved, ${s.resolvedAlerts} / ${GROUPS * ALERTS_PER_GROUP} alerts resolved`);
  console.log(
    `bot /metrics at the end: ${Object.entries(o.metrics)
      .map(([k, v]) => `${k}=${v}`)
      .join(' ')}`,
  );
  for (const [i, logs] of o.botReports.entries()) {
    if (!logs) continue;
    console.log(
      `bot ${i + 1} log lines at warn and above: ${
        Object.entries(logs.logLines)
          .map(([l, n]) => `${l}=${n}`)
          .join(' ') || 'none'
      }`,
    );
    for (const sample of logs.samples) console.log(`  ${sample.level} x${sample.count}: ${sample.msg}`);
  }
}

/** For digging into a run: every Slack call, times relative to the storm's start (STORM_CALL_LOG=file.json). */
async function dumpCalls(file: string, slack: SlackFake, startedAt: number, end: number): Promise<void> {
  const calls = slack.calls.map((c) => ({
    t: (c.at - startedAt) / 1000,
    method: c.method,
    status: c.status,
    channel: c.channel,
    ts: c.ts,
    thread: c.thread_ts,
    text: c.text,
    alerts: alertsField(c),
  }));
  await writeFile(file, JSON.stringify({ endOfStorm: (end - startedAt) / 1000, calls }, null, 1));
  console.log(`Slack call log written to ${file}`);
}

/** When Slack got what: shows delays that are not the update budget's doing. */
function printTimings(o: Outcome): void {
  const rel = (at: number | undefined, from: number) => (at === undefined ? 'n/a' : `${fixed((at - from) / 1000)} s`);
  const posts = o.slack.calls.filter((c) => c.method === 'chat.postMessage' && c.status === 200);
  const top = posts.filter((c) => c.thread_ts === undefined);
  const replies = posts.filter((c) => c.thread_ts !== undefined);
  console.log(`top-level posts: first ${rel(top[0]?.at, o.startedAt)}, last ${rel(top.at(-1)?.at, o.startedAt)} after the storm's start`);
  console.log(`thread replies: first ${rel(replies[0]?.at, o.end)}, last ${rel(replies.at(-1)?.at, o.end)} after the end of the storm`);
  // A refused post's distance to the channel's previous accepted post: just under 1000 ms means timer jitter, no margin.
  const lastPost = new Map<string, number>();
  const gaps: number[] = [];
  for (const call of o.slack.calls.filter((c) => c.method === 'chat.postMessage')) {
    if (call.status === 200) lastPost.set(call.channel, call.at);
    else if (lastPost.has(call.channel)) gaps.push(call.at - (lastPost.get(call.channel) ?? 0));
  }
  if (gaps.length > 0) console.log(`429'd posts came ${Math.min(...gaps)}-${Math.max(...gaps)} ms after the channel's previous accepted post`);
}

// ---------------------------------------------------------------- main

/** One storm against `replicas` bots sharing one Redis prefix and one Slack fake; prints its report. */
export async function stormOnce(replicas: number): Promise<StormFigures> {
  const prefix = uniquePrefix('storm');
  const botConfig = await writeBotConfig(servicesYaml());
  const slack = await SlackFake.start({ postIntervalMs: POST_INTERVAL_MS, updatesPerMinute: UPDATES_PER_MINUTE });
  const bots: BenchChild[] = [];
  try {
    for (let i = 0; i < replicas; i += 1)
      bots.push(await startChild('./run-bot.ts', botEnv({ slackApiUrl: slack.apiUrl, config: botConfig, keyPrefix: prefix })));
    const groups = buildGroups();
    console.log(
      `storm bench, ${replicas} replica${replicas === 1 ? '' : 's'}: ${GROUPS * ALERTS_PER_GROUP} alerts in ${GROUPS} groups over ${SERVICES} services, ` +
        `${FIRING_NOTIFICATIONS} + ${RESOLVED_NOTIFICATIONS} notifications per group every ${GROUP_INTERVAL_MS} ms; ` +
        `Slack fake: 1 post/s/channel, ${UPDATES_PER_MINUTE} updates/min; node ${process.version}, ${availableParallelism()} cores`,
    );
    const { startedAt, deliveries } = await runStorm(
      bots.map((bot) => bot.url),
      groups,
    );
    const end = Math.max(...deliveries.filter((d) => d.send.kind === 'resolved').map((d) => d.answeredAt));
    console.log(
      `storm sent in ${fixed((end - startedAt) / 1000)} s; waiting up to ${FINAL_WAIT_LIMIT_MS / 1000} s for all ${GROUPS} messages to show their final state...`,
    );
    const allFinalAt = await waitForFinal(slack, groups, end + FINAL_WAIT_LIMIT_MS);
    await waitQuiet(slack, QUIET_MS, QUIET_WAIT_LIMIT_MS);
    const floor = computeFloor(slack, groups, end);
    const metrics: Record<string, number> = {};
    for (const bot of bots) for (const [name, value] of Object.entries(await scrapeMetrics(bot.url))) metrics[name] = (metrics[name] ?? 0) + value;
    const botReports = [];
    for (const bot of bots.splice(0)) botReports.push(await bot.stop());
    slack.assertNoUnexpectedCalls();
    const stored = await readStore(prefix);
    const figures = report({ groups, slack, deliveries, startedAt, end, allFinalAt, floor, stored, metrics, botReports, replicas });
    if (process.env.STORM_CALL_LOG) await dumpCalls(process.env.STORM_CALL_LOG, slack, startedAt, end);
    return figures;
  } finally {
    for (const bot of bots) await bot.stop();
    await slack.close();
    const deleted = await deleteKeys(prefix);
    await botConfig.remove();
    console.log(`cleaned up: ${deleted} Redis keys under the run's prefix deleted`);
  }
}

/** `--replicas N` (1 by default). */
function replicasArg(argv: string[]): number {
  const at = argv.indexOf('--replicas');
  const value = at >= 0 ? Number(argv[at + 1]) : 1;
  if (!Number.isInteger(value) || value < 1) throw new Error(`--replicas wants a whole number of bots, at least 1; got ${argv[at + 1]}`);
  return value;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  runBench(async () => {
    await stormOnce(replicasArg(process.argv.slice(2)));
  });
}
