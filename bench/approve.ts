/**
 * Approval-to-rollback latency: how long after an approver clicks Approve does the
 * rollback reach GitLab?
 *
 *   npm run bench:approve
 *
 * The bot runs in a child process (run-bot.ts) against the local Redis, a Slack fake
 * (slack-fake.ts, no rate limits) and a GitLab fake in this process (gitlab-fake.ts) that
 * answers the deployments list, the job retry and the job status, and records when each
 * retry POST arrives. One service, approvers U0ALICE and U0BOB, one approval needed,
 * rollback by retry-job.
 *
 *   1. U0ALICE requests ACTIONS rollbacks, one signed `/rollback <service> --force` at a
 *      time; the id of each comes from the command's answer (response_url) and is checked
 *      against Redis (${prefix}action:seq and the action's state, `requested`).
 *   2. U0BOB approves them one at a time with a signed Approve click. Measured: from just
 *      before the click is sent to the arrival of the retry POST at the GitLab fake. The
 *      path in between: Bolt's signature check and ack, approve (read, CAS), then execute
 *      (read, kill switch, expiry, a fresh plan = one GET of the deployments, the claim CAS),
 *      then the POST. The next click waits until the action has succeeded, so each click
 *      meets a bot that is done with the previous one (Slack deliveries aside: approval
 *      messages are paced at one post per second per channel and go on in the background).
 *
 * Target: p99 < 100 ms over the ACTIONS clicks.
 */
import { availableParallelism, loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { Redis } from 'ioredis';
import type { Action } from '../src/actions/action.js';
import { ACTION_IDS, actionButtonValue } from '../src/slack/contract.js';
import { buttonClickForm, slackSignature, slashCommandForm } from '../test/support/slack-signing.js';
import { waitFor } from '../test/support/wait.js';
import { startChild, type BenchChild, type ChildReport } from './child.js';
import { FAKE_GITLAB_PROJECT, GitlabFake, TARGET_JOB_ID, type RetryPost } from './gitlab-fake.js';
import { SlackFake } from './slack-fake.js';
import { REDIS_URL, botEnv, deleteKeys, fixed, table, uniquePrefix, writeBotConfig, runBench } from './support.js';

const ACTIONS = 200;
const SERVICE = 'bench-rollback';
const CHANNEL = 'C0BENCH';
const REQUESTER = 'U0ALICE';
const APPROVER = 'U0BOB';
const TARGET_P99_MS = 100;
/** Per step (one command answered, one retry POST arrived, one action finished). */
const STEP_TIMEOUT_MS = 10_000;
/** The whole run, whatever happens: past this the process reports and exits. */
const RUN_LIMIT_MS = 240_000;

const SERVICES_YAML = `services:
  ${SERVICE}:
    channel: ${CHANNEL}
    approvers: [${REQUESTER}, ${APPROVER}]
    approvals: 1
    gitlab:
      project: ${FAKE_GITLAB_PROJECT}
      environment: production
      rollback: retry-job
`;

// ---------------------------------------------------------------- small helpers

function withTimeout<T>(promise: Promise<T>, ms: number, what: () => string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what()}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Nearest-rank percentile of sorted values. */
function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[Math.min(rank, sorted.length) - 1] ?? Number.NaN;
}

interface Stats {
  n: number;
  min: number;
  mean: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

function stats(values: readonly number[]): Stats {
  const sorted = [...values].sort((a, b) => a - b);
  return {
    n: sorted.length,
    min: sorted[0] ?? Number.NaN,
    mean: sorted.reduce((s, v) => s + v, 0) / Math.max(1, sorted.length),
    p50: percentile(sorted, 50),
    p90: percentile(sorted, 90),
    p99: percentile(sorted, 99),
    max: sorted[sorted.length - 1] ?? Number.NaN,
  };
}

const statsRow = (name: string, s: Stats) => [name, s.n, fixed(s.min), fixed(s.mean), fixed(s.p50), fixed(s.p90), fixed(s.p99), fixed(s.max)];
const STATS_HEADERS = ['measure (ms)', 'n', 'min', 'mean', 'p50', 'p90', 'p99', 'max'];

function logSummary(report: ChildReport | undefined): string {
  if (!report) return 'bot logs: (no report)';
  const levels =
    Object.entries(report.logLines)
      .map(([level, n]) => `${level}=${n}`)
      .join(' ') || 'none';
  const samples = report.samples.map((s) => `  ${s.level} x${s.count}: ${s.msg}`).join('\n');
  return `bot log lines at warn and above: ${levels}${samples ? `\n${samples}` : ''}`;
}

// ---------------------------------------------------------------- the bench

interface Context {
  bot: BenchChild;
  slack: SlackFake;
  gitlab: GitlabFake;
  redis: Redis;
  prefix: string;
  signingSecret: string;
  /** response_url base on the Slack fake; what the bot posts there is recorded as method /response/<name>. */
  responseBase: string;
}

async function signedPost(ctx: Context, form: Record<string, string>): Promise<{ status: number; ms: number }> {
  const body = new URLSearchParams(form).toString();
  const headers = { 'content-type': 'application/x-www-form-urlencoded', ...slackSignature(body, { signingSecret: ctx.signingSecret }) };
  const t0 = performance.now();
  const res = await fetch(`${ctx.bot.url}/slack/events`, { method: 'POST', headers, body });
  await res.text();
  return { status: res.status, ms: performance.now() - t0 };
}

const responseText = (ctx: Context, name: string) => ctx.slack.calls.find((c) => c.method === `/response/${name}`)?.text;

async function readAction(ctx: Context, id: string): Promise<Action | undefined> {
  const doc = await ctx.redis.hget(`${ctx.prefix}action:${id}`, 'doc');
  return doc ? (JSON.parse(doc) as Action) : undefined;
}

/** One `/rollback` from the requester; resolves with the new action's id once it is stored as requested. */
async function requestOne(ctx: Context, n: number): Promise<string> {
  const name = `request-${n}`;
  const form = slashCommandForm('/rollback', `${SERVICE} --force bench request ${n}`, `${ctx.responseBase}${name}`, REQUESTER);
  const { status } = await signedPost(ctx, form);
  if (status !== 200) throw new Error(`/rollback #${n} answered HTTP ${status}`);
  const text = await waitFor(() => responseText(ctx, name), { timeoutMs: STEP_TIMEOUT_MS, intervalMs: 2, message: `no answer to /rollback #${n}` });
  const id = /ACT-(\d+) requested/.exec(text ?? '')?.[1];
  if (!id) throw new Error(`/rollback #${n} was not accepted: ${text}`);
  const seq = await ctx.redis.get(`${ctx.prefix}action:seq`);
  if (seq !== id) throw new Error(`/rollback #${n} answered ACT-${id} but ${ctx.prefix}action:seq is ${seq}`);
  await waitFor(async () => (await readAction(ctx, id))?.state === 'requested', {
    timeoutMs: STEP_TIMEOUT_MS,
    intervalMs: 2,
    message: `ACT-${id} not stored as requested`,
  });
  return id;
}

interface Click {
  id: string;
  /** Click sent -> retry POST arrived at the GitLab fake. */
  toRetryMs: number;
  /** Click sent -> HTTP answer (Bolt's ack). */
  ackMs: number;
  /** Click sent -> the re-plan's deployments GET arrived (signature, ack, approve, execute's reads). */
  toReplanMs: number;
  /** Re-plan GET arrived -> retry POST arrived (answer parsed, plan compared, claim CAS, POST sent). */
  replanToRetryMs: number;
  post: RetryPost;
}

/** One Approve click from the approver; resolves once the action has run and succeeded. */
async function approveOne(ctx: Context, id: string, n: number): Promise<Click> {
  const name = `approve-${n}`;
  const form = buttonClickForm(ACTION_IDS.actionApprove, actionButtonValue(id), `${ctx.responseBase}${name}`, APPROVER);
  const body = new URLSearchParams(form).toString();
  const headers = { 'content-type': 'application/x-www-form-urlencoded', ...slackSignature(body, { signingSecret: ctx.signingSecret }) };
  const arrival = ctx.gitlab.retryNumber(n);
  const t0 = performance.now();
  const res = await fetch(`${ctx.bot.url}/slack/events`, { method: 'POST', headers, body });
  const ackMs = performance.now() - t0;
  await res.text();
  if (res.status !== 200) throw new Error(`Approve of ACT-${id} answered HTTP ${res.status}`);
  const post = await withTimeout(arrival, STEP_TIMEOUT_MS, () => `no retry POST for ACT-${id}; the bot said: ${responseText(ctx, name) ?? '(nothing)'}`);
  const finished = await waitFor(
    async (): Promise<Action | false> => {
      const action = await readAction(ctx, id);
      return action && (action.state === 'succeeded' || action.state === 'failed') ? action : false;
    },
    { timeoutMs: STEP_TIMEOUT_MS, intervalMs: 2, message: `ACT-${id} did not finish` },
  );
  if (!finished) throw new Error(`ACT-${id} not found`);
  if (finished.state !== 'succeeded') throw new Error(`ACT-${id} ${finished.state}: ${finished.result ?? ''}`);
  // The match is by order (one click at a time); the job id the bot stored proves it.
  if (finished.run?.id !== String(post.newJobId)) {
    throw new Error(`ACT-${id} stored run ${finished.run?.id ?? '(none)'}, but retry POST #${n} created job ${post.newJobId}`);
  }
  if (post.retriedJobId !== TARGET_JOB_ID) throw new Error(`retry POST #${n} retried job ${post.retriedJobId}, expected ${TARGET_JOB_ID}`);
  const replan = ctx.gitlab.deploymentReads.filter((at) => at >= t0 && at <= post.at).pop();
  if (replan === undefined) throw new Error(`ACT-${id} reached GitLab's retry without re-planning`);
  return { id, toRetryMs: post.at - t0, ackMs, toReplanMs: replan - t0, replanToRetryMs: post.at - replan, post };
}

async function main(): Promise<void> {
  const prefix = uniquePrefix('approve');
  const config = await writeBotConfig(SERVICES_YAML);
  const slack = await SlackFake.start();
  const gitlab = await GitlabFake.start();
  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
  const env = botEnv({
    slackApiUrl: slack.apiUrl,
    config,
    keyPrefix: prefix,
    extra: {
      GITLAB_URL: gitlab.url,
      GITLAB_TOKEN: 'glpat-bench-0000000000',
      // Every request is --force as well; a short cooldown keeps the warning off most of them.
      ROLLBACK_COOLDOWN: '1ms',
    },
  });
  let bot: BenchChild | undefined;
  try {
    bot = await startChild('./run-bot.ts', env);
    const ctx: Context = {
      bot,
      slack,
      gitlab,
      redis,
      prefix,
      signingSecret: env.SLACK_SIGNING_SECRET ?? '',
      responseBase: `${slack.apiUrl.replace(/api\/$/, '')}response/`,
    };
    console.log(
      `approve bench: ${ACTIONS} actions, one click at a time, node ${process.version}, ${availableParallelism()} cores, load average ${loadavg()[0]?.toFixed(2)}`,
    );
    console.log(`bot pid ${bot.pid}, bench pid ${process.pid} (Slack and GitLab fakes); Redis ${REDIS_URL}`);

    const created = performance.now();
    const ids: string[] = [];
    for (let n = 0; n < ACTIONS; n += 1) ids.push(await requestOne(ctx, n));
    console.log(`created ${ids.length} actions (ACT-${ids[0]}..ACT-${ids[ids.length - 1]}) in ${fixed((performance.now() - created) / 1000, 1)} s`);

    const slackBefore = slack.calls.length;
    const gitlabBefore = { ...gitlab.counts };
    const approving = performance.now();
    const clicks: Click[] = [];
    for (const [n, id] of ids.entries()) clicks.push(await approveOne(ctx, id, n));
    const approveSeconds = (performance.now() - approving) / 1000;
    const slackDuring = slack.calls.length - slackBefore;
    console.log(`approved ${clicks.length} actions in ${fixed(approveSeconds, 1)} s; every one ran once and succeeded`);

    const report: ChildReport | undefined = await bot.stop();
    bot = undefined;
    slack.assertNoUnexpectedCalls();
    gitlab.assertNoUnexpectedCalls();

    const latency = stats(clicks.map((c) => c.toRetryMs));
    const slowest = [...clicks].sort((a, b) => b.toRetryMs - a.toRetryMs).slice(0, 5);
    console.log('');
    console.log(
      table(STATS_HEADERS, [
        statsRow('click -> retry POST', latency),
        statsRow('  click -> re-plan GET', stats(clicks.map((c) => c.toReplanMs))),
        statsRow('  re-plan GET -> retry POST', stats(clicks.map((c) => c.replanToRetryMs))),
        statsRow('click -> ack (HTTP 200)', stats(clicks.map((c) => c.ackMs))),
      ]),
    );
    console.log('');
    console.log(`slowest clicks: ${slowest.map((c) => `ACT-${c.id} ${fixed(c.toRetryMs)} ms`).join(', ')}`);
    console.log(`first click: ${fixed(clicks[0]?.toRetryMs ?? Number.NaN)} ms (cold path: first approve, first retry POST)`);
    const during = {
      deployments: gitlab.counts.deployments - gitlabBefore.deployments,
      retries: gitlab.counts.retries - gitlabBefore.retries,
      jobs: gitlab.counts.jobs - gitlabBefore.jobs,
    };
    console.log(`GitLab fake during the approvals: ${during.deployments} deployment lists (re-plans), ${during.retries} retry POSTs, ${during.jobs} job reads`);
    console.log(`Slack fake calls during the approvals (background delivery, not measured): ${slackDuring}`);
    console.log(logSummary(report));
    console.log(
      `load average at the end: ${loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')} (${availableParallelism()} cores, shared with the bot, Redis and the fakes)`,
    );
    console.log('');
    const met = latency.p99 < TARGET_P99_MS && clicks.length === ACTIONS && gitlab.counts.retries === ACTIONS;
    console.log(
      `TARGET (click -> GitLab retry POST p99 < ${TARGET_P99_MS} ms over ${ACTIONS} approvals): p99 ${fixed(latency.p99)} ms, ${met ? 'MET' : 'NOT MET'}`,
    );
  } finally {
    if (bot) await bot.stop();
    redis.disconnect();
    await slack.close();
    await gitlab.close();
    const deleted = await deleteKeys(prefix);
    await config.remove();
    console.log(`cleaned up: ${deleted} Redis keys under the run's prefix deleted`);
  }
}

const watchdog = setTimeout(() => {
  console.error(`approve bench: still running after ${RUN_LIMIT_MS / 1000} s; giving up`);
  process.exit(2);
}, RUN_LIMIT_MS);
watchdog.unref();

runBench(main);
