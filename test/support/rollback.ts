/**
 * The world of the rollback tests: GitLab's deployments of payment-service, a services.yaml
 * naming who approves what, one rig of fakes and bot per test, and the helpers that request
 * a rollback and follow its approval message.
 *
 * Every test starts its own rig (own key prefix, own fakes), so action ids, cooldowns, the
 * kill switch and open incidents of one test never leak into another.
 */
import { Redis } from 'ioredis';
import { onTestFinished } from 'vitest';
import { createRequire } from 'node:module';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { startTestBot, type TestBot, type TestBotOptions } from './bot.js';
import { freePort, spawnTracked } from './child-process.js';
import { deployment, FakeGitlab, type DeploymentJson } from './fake-gitlab.js';
import { FakeSlack, type SlackCall } from './fake-slack.js';
import { closeAll } from './loopback-server.js';
import { testRedisUrl } from './redis.js';
import { messageOf, slash, type Message, type SlackRig } from './slack-session.js';
import { storedAction } from './stored.js';
import { found, waitFor } from './wait.js';

export const SHA_OLD = 'a1b2c3d4e5f60718293a4b5c6d7e8f9012345678';
export const SHA_GOOD = 'b7c8d9e0f1a2b3c4d5e6f708192a3b4c5d6e7f80';
export const SHA_BAD = 'c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00';

/** Newest first. The last two deployments are the same (bad) sha: the target is #32, job 502. */
export const PAYMENT_DEPLOYMENTS = [
  deployment({ id: 304, iid: 34, sha: SHA_BAD, jobId: 504 }),
  deployment({ id: 303, iid: 33, sha: SHA_BAD, jobId: 503 }),
  deployment({ id: 302, iid: 32, sha: SHA_GOOD, jobId: 502 }),
  deployment({ id: 301, iid: 31, sha: SHA_OLD, jobId: 501 }),
];

export const retryPath = (jobId: number) => `/api/v4/projects/shop%2Fpayment-service/jobs/${jobId}/retry`;

/** What a test file adds to the common world. */
export interface RollbackWorld {
  /** checkout's pipeline variables besides DEPLOY_ENV. */
  checkoutVariables?: Record<string, string>;
  /** More services.yaml entries, appended under `services:`. */
  moreServices?: string;
  /** GitLab's projects and their deployments; only payment-service's by default. */
  projects?: Record<string, DeploymentJson[]>;
}

export interface BotOptions {
  env?: Record<string, string>;
  /** Approvals payment-service needs (default 1). */
  approvals?: number;
  /** Shares a key prefix with other bots, as replicas on one Redis do, or as the bot after a restart. */
  prefix?: string;
}

export interface Rig extends SlackRig {
  gitlab: FakeGitlab;
  /** The bot the helpers act through: the first one started, unless the test replaces it. */
  bot: TestBot;
  /** Every bot started on the rig; all are stopped when the test ends. */
  bots: TestBot[];
  /** Key prefixes shared by several bots, deleted when the test ends (bots given a prefix leave their keys). */
  prefixes: string[];
  /** What the test file added to the common world, for the bots started later. */
  world: RollbackWorld;
}

/**
 * payment-service (retry-job; approvers U0ALICE, U0BOB, U0CAROL and the user group S0SRE) and
 * checkout (pipeline on main; approvers U0ALICE, U0BOB and S0SRE).
 */
function servicesYaml(world: RollbackWorld, approvals: number): string {
  const variables = Object.entries(world.checkoutVariables ?? {})
    .map(([key, value]) => `        ${key}: ${JSON.stringify(value)}\n`)
    .join('');
  return `services:
  payment-service:
    channel: C0PAYMENTS
    approvers: [U0ALICE, U0BOB, U0CAROL, S0SRE]
    approvals: ${approvals}
    gitlab:
      project: shop/payment-service
      environment: production
      rollback: retry-job
  checkout:
    channel: C0CHECKOUT
    approvers: [U0ALICE, U0BOB, S0SRE]
    approvals: 1
    gitlab:
      project: shop/checkout
      environment: production
      rollback: pipeline
      ref: main
      variables:
        DEPLOY_ENV: production
${variables}${world.moreServices ?? ''}`;
}

/** Fakes and a bot for the running test, all stopped when it ends. S0SRE's only member is U0DAVE. */
export async function startRig(opts: BotOptions & RollbackWorld = {}): Promise<Rig> {
  const { env, approvals, prefix, ...world } = opts;
  const slack = await FakeSlack.start();
  const gitlab = await FakeGitlab.start();
  const r: Rig = {
    slack,
    gitlab,
    // Set below: starting the bot needs the rig, to register it among `bots`.
    bot: undefined as unknown as TestBot,
    bots: [],
    prefixes: prefix ? [prefix] : [],
    world,
    // A /rollback answer waits for GitLab's deployments list, retries included, so it gets longer than the default.
    replyTimeoutMs: 10_000,
  };
  onTestFinished(async () => {
    for (const b of r.bots) await b.stop();
    if (r.prefixes.length > 0) {
      const redis = new Redis(testRedisUrl());
      for (const shared of r.prefixes) {
        const keys = await redis.keys(`${shared}*`);
        if (keys.length > 0) await redis.del(...keys);
      }
      redis.disconnect();
    }
    // Last, because closing fails the test if the bot called a method or route the fakes do not know.
    await closeAll([slack, gitlab]);
  });
  slack.setUserGroup('S0SRE', ['U0DAVE']);
  for (const [project, deployments] of Object.entries(world.projects ?? { 'shop/payment-service': PAYMENT_DEPLOYMENTS })) {
    gitlab.addProject(project, deployments);
  }
  r.bot = await anotherBot(r, { env, approvals, prefix });
  return r;
}

/** How a bot of the rig is started, in this process or another. */
function botOptions(r: Rig, opts: BotOptions): TestBotOptions {
  return {
    slack: r.slack,
    services: servicesYaml(r.world, opts.approvals ?? 1),
    ...(opts.prefix ? { prefix: opts.prefix } : {}),
    env: { GITLAB_URL: r.gitlab.url, GITLAB_TOKEN: 'x', GITLAB_POLL_INTERVAL: '50ms', ROLLBACK_COOLDOWN: '10m', ...opts.env },
  };
}

/** One more bot on the rig's fakes: a replica, or the bot after a restart, when given the same prefix. */
export async function anotherBot(r: Rig, opts: BotOptions = {}): Promise<TestBot> {
  const bot = await startTestBot(botOptions(r, opts));
  r.bots.push(bot);
  return bot;
}

/** A replica in a process of its own (replica-process.ts), which the test can kill without warning. */
export interface KillableReplica {
  url: string;
  /** SIGKILL: nothing released, nothing flushed. */
  kill(): Promise<void>;
}

/** A replica on the rig's fakes and `prefix` that the test can kill; it is stopped when the test ends. */
export async function killableReplica(r: Rig, opts: BotOptions & { prefix: string }): Promise<KillableReplica> {
  const port = await freePort();
  const { slack, ...rest } = botOptions(r, opts);
  const options: TestBotOptions = { ...rest, slack: { apiUrl: slack.apiUrl }, redisUrl: testRedisUrl(), env: { ...rest.env, PORT: String(port) } };
  const dir = await mkdtemp(join(tmpdir(), 'chatops-replica-'));
  const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
  const script = fileURLToPath(new URL('./replica-process.ts', import.meta.url));
  const replica = spawnTracked(process.execPath, ['--import', tsx, script, JSON.stringify(options)], { dir, keepLines: 200, tailLines: 40 });
  onTestFinished(() => replica.stop());
  const url = `http://127.0.0.1:${port}`;
  await waitFor(
    async () => {
      if (replica.exitInfo()) throw new Error(`the replica process exited: ${replica.output()}`);
      const res = await fetch(`${url}/healthz`).catch(() => undefined);
      await res?.body?.cancel();
      return res?.status === 200;
    },
    { timeoutMs: 40_000, message: 'the replica process never answered /healthz' },
  );
  return {
    url,
    kill: async () => {
      replica.child.kill('SIGKILL');
      await replica.exited;
    },
  };
}

/** `/rollback <text>`; resolves with the new action's id and the answer. */
export async function requestRollback(r: SlackRig, text: string, userId = 'U0ALICE'): Promise<{ id: string; reply: Record<string, unknown> }> {
  const reply = await slash(r, '/rollback', text, userId);
  const id = /ACT-(\d+) requested/.exec(String(reply.text))?.[1];
  if (!id) throw new Error(`/rollback ${text} requested nothing: ${String(reply.text)}`);
  return { id, reply };
}

export async function approvalMessage(r: SlackRig, id: string): Promise<Message> {
  const post = await found(() => r.slack.callsTo('chat.postMessage').find((c) => String(c.params.text).startsWith(`[REQUESTED] ACT-${id} `)), {
    timeoutMs: 10_000,
    message: `no approval message for ACT-${id}`,
  });
  return messageOf(post);
}

/** The first update of the approval message whose fallback text starts with `[STATE] ACT-<id> `. */
export function approvalUpdate(r: SlackRig, id: string, state: string): Promise<SlackCall> {
  return found(() => r.slack.callsTo('chat.update').find((c) => String(c.params.text).startsWith(`[${state}] ACT-${id} `)), {
    timeoutMs: 10_000,
    message: `no chat.update of ACT-${id} to ${state}`,
  });
}

export function waitForState(r: SlackRig, id: string, state: string, timeoutMs = 10_000): Promise<unknown> {
  return waitFor(async () => (await storedAction(r, id)).state === state, { timeoutMs, message: `ACT-${id} never became ${state}` });
}
