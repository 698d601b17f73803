/**
 * Scheduled runbooks through the whole bot: real sshd hosts (test/support/fleet.ts), real
 * Redis, fake Slack. Each test has its own fleet and runbooks folder, since every bot
 * schedules every runbook it loads.
 */
import { randomUUID } from 'node:crypto';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, expect, it, onTestFinished } from 'vitest';
import { startTestBot, type TestBot } from '../support/bot.js';
import { FakeSlack, type SlackCall } from '../support/fake-slack.js';
import { HOST_DIR, startFleet, type Fleet } from '../support/fleet.js';
import { testRedisUrl } from '../support/redis.js';
import { found, waitFor } from '../support/wait.js';

const redis = new Redis(testRedisUrl());
afterAll(() => redis.disconnect());

const CHANNEL = 'C0WEB';

function servicesOf(fleet: Fleet): string {
  return `services:
  web:
    channel: ${CHANNEL}
    approvers: [U0APPROVER]
    hosts:
${fleet.hostEntries()}
`;
}

/** A file in the folder of the host a command runs on, as shell text for inside a command. */
const onHost = (fleet: Fleet, file: string) => `"${fleet.scratch}/${HOST_DIR}/${file}"`;

/** A runbook whose only action runs on every host of service web, on `cron`. */
function scheduledRunbook(id: string, cron: string, action: string, mode = 'dry-run'): string {
  return `id: ${id}
title: Scheduled ${id}
match:
  - label: alertname
    equals: NeverFires
schedule:
  cron: "${cron}"
  mode: ${mode}
actions:
  - id: run
    title: Scheduled ${id}
    kind: fleet
${action.replace(/^/gm, '    ')}
    targets:
      from: service-hosts
      service: web
`;
}

/**
 * Every second for `count` seconds starting at least `leadMs` from now, then quiet for the
 * rest of the minute: the ticks are over, and can be counted, before a bot is stopped
 * (stopping one mid-tick could cut a claimed tick short).
 */
function burst(count: number, leadMs: number): { cron: string; endsAt: number } {
  const first = Math.ceil((Date.now() + leadMs) / 1000);
  const seconds = Array.from({ length: count }, (_s, i) => (first + i) % 60);
  return { cron: `${seconds.join(',')} * * * * *`, endsAt: (first + count) * 1000 };
}

async function fleetOf(hosts: number): Promise<Fleet> {
  const fleet = await startFleet(hosts);
  onTestFinished(() => fleet.stop());
  return fleet;
}

async function botOn(slack: FakeSlack, fleet: Fleet, prefix?: string): Promise<TestBot> {
  const bot = await startTestBot({ slack, env: fleet.env, services: servicesOf(fleet), ...(prefix ? { prefix } : {}) });
  onTestFinished(() => bot.stop());
  return bot;
}

async function slackStub(): Promise<FakeSlack> {
  const slack = await FakeSlack.start();
  onTestFinished(() => slack.close());
  return slack;
}

/** A prefix shared by bots the test starts; startTestBot only cleans up the prefixes it makes. */
function sharedPrefix(): string {
  const prefix = `test:${randomUUID()}:`;
  onTestFinished(async () => {
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length > 0) await redis.del(...keys);
  });
  return prefix;
}

/** Ticks claimed so far: each leaves its claim in Redis. */
const ticksOf = async (prefix: string, runbook: string) => (await redis.keys(`${prefix}lease:tick:runbook:${runbook}:*`)).length;

const scheduledPosts = (slack: FakeSlack): SlackCall[] =>
  slack.callsTo('chat.postMessage').filter((c) => c.params.channel === CHANNEL && String(c.params.text).includes('Scheduled dry run'));

it('runs each tick once, on one of two bot processes sharing a prefix', async () => {
  const fleet = await fleetOf(2);
  const slack = await slackStub();
  const prefix = sharedPrefix();
  const window = burst(5, 3_000);
  await fleet.writeRunbook('ticks.yaml', scheduledRunbook('ticks', window.cron, `dry_run_command: echo tick >> ${onHost(fleet, 'ticks')}\ncommand: "true"`));
  const bots = [await botOn(slack, fleet, prefix), await botOn(slack, fleet, prefix)];
  // A tick is done when the replica that claimed it has logged what it posted, or that it did not.
  const done = () => bots.flatMap((bot) => bot.logs.filter((l) => l.runbook === 'ticks' && /^scheduled run (posted|unchanged)/.test(String(l.msg))));

  const ticks = await found(
    async () => {
      const claimed = await ticksOf(prefix, 'ticks');
      // At least: a tick run twice would be done twice, and fail below rather than time out here.
      return Date.now() > window.endsAt && done().length >= claimed ? claimed : undefined;
    },
    { timeoutMs: 15_000, message: 'the burst of ticks, each done' },
  );

  expect(ticks).toBeGreaterThanOrEqual(3);
  expect(new Set(done().map((l) => l.firedAt)).size, 'no tick done twice').toBe(ticks);
  expect(await fleet.runsOf('ticks')).toEqual({ 'web-1': ticks, 'web-2': ticks });
  expect(scheduledPosts(slack), 'the same output is posted once, whichever replica ran it').toHaveLength(1);
}, 30_000);

it('posts a dry run when its output first appears, changes or fails, and not while it stays the same', async () => {
  const fleet = await fleetOf(2);
  const slack = await slackStub();
  const state = (host: string) => join(fleet.dirOf(host), 'state');
  await Promise.all(fleet.names.map((host) => writeFile(state(host), 'v1\n')));
  await fleet.writeRunbook('state.yaml', scheduledRunbook('state', '* * * * * *', `dry_run_command: cat ${onHost(fleet, 'state')}\ncommand: "true"`));
  const bot = await botOn(slack, fleet);
  const laterTicks = async (more: number) => {
    const seen = await ticksOf(bot.prefix, 'state');
    await waitFor(async () => (await ticksOf(bot.prefix, 'state')) >= seen + more, { timeoutMs: 10_000, message: `${more} more ticks` });
  };

  const first = await found(() => scheduledPosts(slack)[0], { timeoutMs: 10_000, message: 'the first dry run posted' });
  expect(first.params.text).toMatch(/^\*Scheduled dry run: Scheduled state on 2 hosts/);
  expect(first.params.text).toContain('dry run ok on all 2 host(s)');
  expect(first.params.text).toContain('```v1```');
  await laterTicks(3);
  expect(scheduledPosts(slack), 'unchanged output is not posted again').toHaveLength(1);

  await writeFile(state('web-2'), 'v2\n');
  const changed = await found(() => scheduledPosts(slack)[1], { timeoutMs: 10_000, message: 'the changed output posted' });
  expect(changed.params.text).toContain('```v2```');
  expect(changed.params.text).not.toContain(':warning:');
  await laterTicks(3);
  expect(scheduledPosts(slack)).toHaveLength(2);

  await rm(state('web-1'));
  const failed = await found(() => scheduledPosts(slack)[2], { timeoutMs: 10_000, message: 'the failed dry run posted' });
  expect(failed.params.text).toMatch(/^:warning: \*Scheduled dry run/);
  expect(failed.params.text).toContain('dry run FAILED on 1 of 2 host(s): web-1');
  expect(failed.params.text).toContain('web-1 FAILED (exit 1)');
}, 40_000);

it('runs and posts nothing while the kill switch is on', async () => {
  const fleet = await fleetOf(2);
  const slack = await slackStub();
  const prefix = sharedPrefix();
  await redis.set(`${prefix}automation:paused`, JSON.stringify({ by: 'U0ALICE', reason: 'database maintenance', at: new Date().toISOString() }));
  await fleet.writeRunbook(
    'paused.yaml',
    scheduledRunbook('paused', '* * * * * *', `dry_run_command: echo tick >> ${onHost(fleet, 'paused')}\ncommand: "true"`),
  );
  const bot = await botOn(slack, fleet, prefix);

  await waitFor(async () => (await ticksOf(prefix, 'paused')) >= 3, { timeoutMs: 10_000, message: 'three ticks while paused' });
  expect(await fleet.runsOf('paused')).toEqual({});
  expect(scheduledPosts(slack)).toEqual([]);
  expect(bot.logs.find((l) => l.msg === 'scheduled run skipped: automation is paused')).toMatchObject({
    level: 'warn',
    runbook: 'paused',
    pausedBy: 'U0ALICE',
  });

  await redis.del(`${prefix}automation:paused`);
  await waitFor(async () => Object.keys(await fleet.runsOf('paused')).length === 2, { timeoutMs: 10_000, message: 'ticks run again once resumed' });
  await found(() => scheduledPosts(slack)[0], { timeoutMs: 10_000, message: 'the first dry run after resuming posted' });
}, 30_000);

it('applies a read-only action that needs no approval, as the scheduler', async () => {
  const fleet = await fleetOf(2);
  const slack = await slackStub();
  // One tick: a tick that fires while the previous run still runs is refused as a duplicate.
  const window = burst(1, 3_000);
  const action = `command: echo applied >> ${onHost(fleet, 'applied')}\nreadonly: true\napproval: none`;
  await fleet.writeRunbook('apply.yaml', scheduledRunbook('apply', window.cron, action, 'apply'));
  const bot = await botOn(slack, fleet);

  const ticks = await found(
    async () => {
      const claimed = await ticksOf(bot.prefix, 'apply');
      const runs = await fleet.runsOf('applied');
      return Date.now() > window.endsAt && claimed > 0 && runs['web-1'] === claimed && runs['web-2'] === claimed ? claimed : undefined;
    },
    { timeoutMs: 20_000, message: 'every requested run applied on both hosts' },
  );
  expect(bot.logs.filter((l) => l.msg === 'scheduled run requested')).toHaveLength(ticks);
  const message = await found(
    () =>
      slack
        .callsTo('chat.postMessage')
        .find((c) => c.params.channel === CHANNEL && JSON.stringify(c.params.blocks ?? '').includes('*Requested by*\\nscheduler')),
    {
      timeoutMs: 5_000,
      message: "the action's message, requested by the scheduler",
    },
  );
  expect(String(message.params.text)).toContain('Scheduled apply on 2 hosts');
  expect(scheduledPosts(slack), 'an applied run posts only its own messages').toEqual([]);
}, 40_000);
