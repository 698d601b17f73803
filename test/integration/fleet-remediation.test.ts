/**
 * Fleet remediation through the whole bot: an Alertmanager webhook opens an incident
 * whose message offers a runbook's fleet action; a signed click requests it; the dry run
 * runs on every target and its result goes to the thread; an approver approves; the
 * canary runs, then the batches, each summarised in the thread. Real sshd hosts on
 * loopback (support/fleet.ts), the real Redis, Bolt's real HTTP receiver; only the Slack
 * Web API is faked.
 *
 * Every host is a folder of this machine (the sshd are all local): a host's "disk" is
 * its folder, a `broken` file in it makes the command fail there, and `runs` counts how
 * often the command ran there.
 */
import { actionMessage, approve, waitForState } from '../support/action-messages.js';
import { randomUUID } from 'node:crypto';
import { access, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fleetEndText } from '../../src/slack/render/fleet-report.js';
import type { FleetEnd } from '../../src/timeline/fleet-facts.js';
import { startTestBot, type TestBot } from '../support/bot.js';
import { FakeSlack } from '../support/fake-slack.js';
import { HOST_DIR, startFleet, type Fleet } from '../support/fleet.js';
import { notification, uniqueGroup } from '../support/fixtures.js';
import { testRedisUrl } from '../support/redis.js';
import {
  blockText,
  buttonsOf,
  buttonValue,
  click,
  clickForReply,
  messageOf,
  slash,
  topLevelPosts,
  type Message,
  type SlackRig,
  lateRig,
} from '../support/slack-session.js';
import { actionTimeline, storedAction } from '../support/stored.js';
import { found, waitFor } from '../support/wait.js';

/** A disk clean-up as a team would write it: the dry run lists what the command deletes. */
function cleanupRunbook(fleet: Fleet, opts: { id: string; alertname: string; pause?: string; canary?: number }): string {
  return `id: ${opts.id}
title: Disk filling up
match:
  - label: alertname
    equals: ${opts.alertname}
actions:
  - id: cleanup
    title: Free disk space
    kind: fleet
    params:
      mountpoint:
        from: label
        pattern: "^/[A-Za-z0-9._/-]*$"
        default: ${fleet.scratch}
    dry_run_command: |
      cd -- {{mountpoint}}/"${HOST_DIR}" && find . -name '*.log' | sort
    command: |
      cd -- {{mountpoint}}/"${HOST_DIR}"
      echo run >> runs
      if test -e broken; then echo "read-only file system"; exit 1; fi
      find . -name '*.log' -print -delete | sort
    targets:
      from: alert-instance
    rollout:
      canary: ${opts.canary ?? 1}
      batches: [1, "100%"]
      max_failures: 0
      pause: ${opts.pause ?? '0s'}
    timeout: 20s
`;
}

function services(fleet: Fleet): string {
  return `services:
  storage:
    channel: C0STORAGE
    approvers: [U0BOB]
    approvals: 1
    hosts:
${fleet.hostEntries()}
`;
}

let fleet: Fleet;
let slack: FakeSlack;
const bots: TestBot[] = [];

async function startBot(prefix?: string, env: Record<string, string> = { ...fleet.env, GITLAB_POLL_INTERVAL: '50ms' }): Promise<TestBot> {
  const bot = await startTestBot({
    slack,
    services: services(fleet),
    env,
    ...(prefix ? { prefix } : {}),
  });
  bots.push(bot);
  return bot;
}

beforeAll(async () => {
  fleet = await startFleet(4);
  await fleet.writeRunbook('disk.yaml', cleanupRunbook(fleet, { id: 'disk-cleanup', alertname: 'DiskSpaceLow' }));
  await fleet.writeRunbook(
    'look.yaml',
    `id: look
title: Look around
match:
  - label: alertname
    equals: HostLooksOdd
actions:
  - id: diagnose
    title: Collect diagnostics
    kind: fleet
    readonly: true
    approval: none
    command: |
      cd -- "${fleet.scratch}/${HOST_DIR}" && echo run >> runs && ls
    targets:
      from: alert-instance
    rollout:
      canary: 0
      batches: ["100%"]
`,
  );
  await fleet.writeRunbook('slow.yaml', cleanupRunbook(fleet, { id: 'slow-disk-cleanup', alertname: 'DiskSpaceLowSlowly', pause: '4s' }));
  slack = await FakeSlack.start();
}, 60_000);

afterAll(async () => {
  for (const bot of bots) await bot.stop();
  await slack?.close();
  await fleet?.stop();
});

/** Fresh "disks": every host gets one old log file and loses the marks of earlier tests. */
async function resetHosts(): Promise<void> {
  for (const name of fleet.names) {
    const dir = fleet.dirOf(name);
    for (const file of await readdir(dir)) await rm(join(dir, file), { force: true });
    await writeFile(join(dir, `old-${name}.log`), 'x'.repeat(1000));
  }
}

const exists = (path: string) =>
  access(path).then(
    () => true,
    () => false,
  );

/** One incident of `alertname` firing on each of `hosts`, and its message. */
async function diskAlert(
  r: SlackRig,
  alertname: string,
  hosts: readonly string[],
  mountpoint: string | ((host: string) => string) = fleet.scratch,
): Promise<Message & { id: string }> {
  const group = uniqueGroup();
  const payload = notification({
    group: alertname,
    service: 'storage',
    alerts: hosts.map((host) => ({
      fingerprint: `${group}-${host}`,
      instance: `${host}:9100`,
      labels: { mountpoint: typeof mountpoint === 'string' ? mountpoint : mountpoint(host) },
    })),
  });
  const postsBefore = topLevelPosts(r).length;
  // Its own alert group, so that it opens an incident of its own.
  const res = await r.bot.postWebhook({ ...payload, groupKey: `${payload.groupKey}:${group}` });
  expect(res.status).toBe(200);
  const { incident } = (await res.json()) as { incident: string };
  // Only among new posts: a bot on a fresh key prefix numbers its incidents from 1 again.
  const post = await found(
    () =>
      topLevelPosts(r)
        .slice(postsBefore)
        .find((c) => String(c.params.text).includes(`INC-${incident} `)),
    {
      timeoutMs: 10_000,
      message: `no message for INC-${incident}`,
    },
  );
  return { id: incident, ...messageOf(post) };
}

/** Clicks the incident's runbook button; resolves with the requested action's id and the answer. */
async function runRunbook(r: SlackRig, incident: Message, userId = 'U0ALICE'): Promise<{ id: string; text: string }> {
  const reply = await clickForReply(r, 'runbook.run', buttonValue(incident.post, 'runbook.run'), userId, incident);
  const text = String(reply.text);
  const id = /ACT-(\d+) requested/.exec(text)?.[1];
  if (!id) throw new Error(`the runbook button requested nothing: ${text}`);
  return { id, text };
}

const timelineTexts = async (r: SlackRig, id: string) => (await actionTimeline(r, id)).map((e) => e.rendered);

/** Thread replies under the incident's message, joined. */
const threadText = (r: SlackRig, incident: Message) =>
  r.slack
    .callsTo('chat.postMessage')
    .filter((c) => c.params.thread_ts === incident.ts)
    .map((c) => String(c.params.text))
    .join('\n');

describe('a disk clean-up from an alert’s button, over real sshd hosts', () => {
  let bot: TestBot;
  const r = lateRig(
    () => slack,
    () => bot,
    30_000,
  );
  beforeAll(async () => {
    bot = await startBot();
  });

  it('dry-runs on every target, waits for approval, then runs the canary and the batches, each host once', async () => {
    await resetHosts();
    const incident = await diskAlert(r, 'DiskSpaceLow', ['web-1', 'web-2', 'web-3']);
    const { id, text } = await runRunbook(r, incident);
    expect(text).toBe(`ACT-${id} requested: Free disk space on 3 hosts; the approval request is in the incident's thread.`);

    // The dry run ran everywhere, changed nothing, and its findings are in the thread.
    const request = await actionMessage(r, id, 'REQUESTED');
    expect(request.post.params.thread_ts).toBe(incident.ts);
    const shown = blockText(request.post);
    expect(shown).toContain('hosts (3): web-1, web-2, web-3');
    expect(shown).toContain('batches: canary: web-1 | batch 2: web-2 | batch 3: web-3');
    expect(shown).toContain(`cd -- '${fleet.scratch}'/`);
    expect(shown).toContain('dry run ok on all 3 host(s)');
    expect((await storedAction(r, id)).doc.rehearsal).toEqual({ ok: true, check: 'dry_run_command', hosts: 3, failed: [] });
    const rehearsed = (await actionTimeline(r, id)).find((e) => 'step' in e && e.step.kind === 'rehearsed');
    expect(rehearsed && 'step' in rehearsed && rehearsed.step.kind === 'rehearsed' && rehearsed.step.rehearsal.hosts.map((h) => [h.host, h.ok])).toEqual([
      ['web-1', true],
      ['web-2', true],
      ['web-3', true],
    ]);
    expect([...buttonsOf(request.post).keys()]).toEqual(['action.approve', 'action.deny', 'action.cancel']);
    await waitFor(() => threadText(r, incident).includes(`Dry run of ACT-${id}`), { timeoutMs: 10_000, message: 'no dry run in the thread' });
    for (const name of ['web-1', 'web-2', 'web-3']) expect(threadText(r, incident)).toContain(`./old-${name}.log`);
    expect(await fleet.runsOf('runs')).toEqual({});
    expect(await exists(join(fleet.dirOf('web-1'), 'old-web-1.log'))).toBe(true);
    expect((await storedAction(r, id)).state).toBe('requested');

    await approve(r, id);
    await waitForState(r, id, 'succeeded');
    expect(await fleet.runsOf('runs')).toEqual({ 'web-1': 1, 'web-2': 1, 'web-3': 1 });
    for (const name of ['web-1', 'web-2', 'web-3']) expect(await exists(join(fleet.dirOf(name), `old-${name}.log`))).toBe(false);
    expect(await exists(join(fleet.dirOf('web-4'), 'old-web-4.log'))).toBe(true);

    const steps = await timelineTexts(r, id);
    const canary = steps.findIndex((t) => t.startsWith('Canary (batch 1 of 3): web-1 ok'));
    const second = steps.findIndex((t) => t.startsWith('Batch 2 of 3: web-2 ok'));
    const third = steps.findIndex((t) => t.startsWith('Batch 3 of 3: web-3 ok'));
    expect(canary).toBeGreaterThan(-1);
    expect(second).toBeGreaterThan(canary);
    expect(third).toBeGreaterThan(second);
    await actionMessage(r, id, 'SUCCEEDED');
    await waitFor(() => threadText(r, incident).includes('Batch 3 of 3: web-3 ok'), { timeoutMs: 10_000, message: 'no batch results in the thread' });
    const results = await bot.redis.hgetall(`${bot.prefix}rollout:${id}:hosts`);
    expect(Object.keys(results).sort()).toEqual(['web-1', 'web-2', 'web-3']);
    expect(Object.values(results).map((v) => (JSON.parse(v) as { ok: boolean }).ok)).toEqual([true, true, true]);
    const metrics = await (await fetch(`${bot.url}/metrics`)).text();
    expect(metrics).toContain('chatops_fleet_host_runs_total{outcome="ok"} 3');
    expect(metrics).toContain('chatops_fleet_rollouts_total{end="succeeded"} 1');
  });

  it('refuses a second request of the same action on the same hosts while the first is open', async () => {
    await resetHosts();
    const incident = await diskAlert(r, 'DiskSpaceLow', ['web-1', 'web-2']);
    const { id } = await runRunbook(r, incident);
    const again = await clickForReply(r, 'runbook.run', buttonValue(incident.post, 'runbook.run'), 'U0CAROL', incident);
    expect(String(again.text)).toBe(`ACT-${id} (requested) already does this on web-1, web-2; approve, cancel or wait for it rather than asking twice.`);
    const other = await slash(r, '/remediate', 'disk-cleanup cleanup web-2', 'U0CAROL');
    expect(String(other.text)).toMatch(new RegExp(`^ACT-${id} \\(requested\\) already does this on web-2;`));

    const request = await actionMessage(r, id, 'REQUESTED');
    expect(await click(r, 'action.cancel', buttonValue(request.post, 'action.cancel'), 'U0ALICE', request)).toBe(200);
    await waitForState(r, id, 'cancelled');
    const afterwards = await slash(r, '/remediate', 'disk-cleanup cleanup web-2', 'U0CAROL');
    const next = /^ACT-(\d+) requested: Free disk space on 1 host; waiting for 1 approval\(s\)\.$/.exec(String(afterwards.text))?.[1];
    expect(next, String(afterwards.text)).toBeDefined();
    expect(await fleet.runsOf('runs')).toEqual({});
    const pending = await actionMessage(r, next as string, 'REQUESTED');
    expect(await click(r, 'action.cancel', buttonValue(pending.post, 'action.cancel'), 'U0CAROL', pending)).toBe(200);
    await waitForState(r, next as string, 'cancelled');
  });

  it('halts a batch over max_failures with the failed host’s output; Continue needs a new approval and skips the hosts that succeeded', async () => {
    await resetHosts();
    await writeFile(join(fleet.dirOf('web-3'), 'broken'), '');
    const incident = await diskAlert(r, 'DiskSpaceLow', fleet.names);
    const { id } = await runRunbook(r, incident);
    await approve(r, id);
    await waitForState(r, id, 'failed');
    expect(await fleet.runsOf('runs')).toEqual({ 'web-1': 1, 'web-2': 1, 'web-3': 1, 'web-4': 1 });
    const halted = (await actionTimeline(r, id)).find((e) => 'step' in e && e.step.kind === 'halted');
    expect(halted).toMatchObject({
      actor: 'bot',
      step: {
        kind: 'halted',
        reason: { kind: 'too_many_failures', batch: 3 },
        failed: [{ host: 'web-3', ok: false, exitCode: 1, output: expect.stringContaining('read-only file system') }],
      },
    });
    expect(halted?.rendered).toMatch(/^Halted after batch 3/);
    expect(halted?.rendered).toContain('web-3 FAILED (exit 1)');
    expect(halted?.rendered).toContain('read-only file system');
    const failed = await actionMessage(r, id, 'FAILED');
    expect([...buttonsOf(failed.post).keys()]).toEqual(['action.continue', 'action.abort']);
    expect((await storedAction(r, id)).doc).toMatchObject({ resumable: true });

    await rm(join(fleet.dirOf('web-3'), 'broken'));
    const reply = await clickForReply(r, 'action.continue', buttonValue(failed.post, 'action.continue'), 'U0ALICE', failed);
    const next = /ACT-(\d+) requested: continue ACT-/.exec(String(reply.text))?.[1];
    expect(next, String(reply.text)).toBeDefined();
    const request = await actionMessage(r, next as string, 'REQUESTED');
    expect(blockText(request.post)).toContain(`continues ACT-${id}: hosts that succeeded there are skipped`);
    expect(await fleet.runsOf('runs')).toEqual({ 'web-1': 1, 'web-2': 1, 'web-3': 1, 'web-4': 1 });

    // The halted action offers nothing more: a second Continue is refused.
    const again = await clickForReply(r, 'action.continue', buttonValue(failed.post, 'action.continue'), 'U0ALICE', failed);
    expect(String(again.text)).toMatch(/already continued or aborted/);

    await approve(r, next as string);
    await waitForState(r, next as string, 'succeeded');
    expect(await fleet.runsOf('runs')).toEqual({ 'web-1': 1, 'web-2': 1, 'web-3': 2, 'web-4': 1 });
  });

  it('stops everything when the canary fails; Abort ends the rollout', async () => {
    await resetHosts();
    await writeFile(join(fleet.dirOf('web-1'), 'broken'), '');
    const incident = await diskAlert(r, 'DiskSpaceLow', ['web-1', 'web-2', 'web-3']);
    const { id } = await runRunbook(r, incident);
    await approve(r, id);
    await waitForState(r, id, 'failed');
    expect(await fleet.runsOf('runs')).toEqual({ 'web-1': 1 });
    const { result } = (await storedAction(r, id)).doc;
    expect(result).toEqual({ kind: 'fleet_halted', reason: { kind: 'canary_failed', failures: 1 }, failed: ['web-1'] });
    expect(fleetEndText(result as FleetEnd)).toBe('Halted: the canary batch failed on 1 host; no other host was touched. Failed: web-1.');

    const failed = await actionMessage(r, id, 'FAILED');
    expect(await click(r, 'action.abort', buttonValue(failed.post, 'action.abort'), 'U0BOB', failed)).toBe(200);
    await waitFor(async () => (await storedAction(r, id)).doc.resumable === false, { timeoutMs: 10_000, message: 'the rollout was not aborted' });
    expect(await actionTimeline(r, id)).toContainEqual(expect.objectContaining({ actor: 'U0BOB', step: { kind: 'aborted', actionId: id } }));
    expect(await timelineTexts(r, id)).toContainEqual(expect.stringMatching(/^<@U0BOB> aborted ACT-/));
    const continued = await clickForReply(r, 'action.continue', buttonValue(failed.post, 'action.continue'), 'U0ALICE', failed);
    expect(String(continued.text)).toMatch(/already continued or aborted/);
    expect(await fleet.runsOf('runs')).toEqual({ 'web-1': 1 });
  });

  it('runs a read-only action with approval: none at once, for anyone, and skips the dry run', async () => {
    await resetHosts();
    const incident = await diskAlert(r, 'HostLooksOdd', ['web-2', 'web-4']);
    const { id, text } = await runRunbook(r, incident, 'U0CAROL');
    expect(text).toBe(`ACT-${id} requested: Collect diagnostics on 2 hosts; it runs now; results follow in the incident's thread.`);
    await waitForState(r, id, 'succeeded');
    expect(await fleet.runsOf('runs')).toEqual({ 'web-2': 1, 'web-4': 1 });
    const stored = (await storedAction(r, id)).doc;
    expect(stored).toMatchObject({ requestedBy: 'U0CAROL', approvalsRequired: 0, approvedBy: [] });
    expect(stored.rehearsal).toBeUndefined();
    expect(await actionTimeline(r, id)).toContainEqual(
      expect.objectContaining({ actor: 'U0CAROL', step: expect.objectContaining({ kind: 'requested', approval: 'read_only' }) }),
    );
    expect(await timelineTexts(r, id)).toContainEqual(
      expect.stringMatching(/^<@U0CAROL> ran ACT-\d+: Collect diagnostics on 2 hosts \(read-only, no approval needed\)/),
    );
  });

  it('refuses a label value with shell metacharacters: nothing is stored and nothing runs', async () => {
    await resetHosts();
    const witness = `/tmp/chatops-pwned-${randomUUID()}`;
    const incident = await diskAlert(r, 'DiskSpaceLow', ['web-1', 'web-2'], `/tmp; touch ${witness}`);
    const keysBefore = await bot.redis.keys(`${bot.prefix}action*`);
    const reply = await clickForReply(r, 'runbook.run', buttonValue(incident.post, 'runbook.run'), 'U0ALICE', incident);
    expect(String(reply.text)).toBe(
      `Refused: parameter "mountpoint" (label mountpoint) is "/tmp; touch ${witness}", which does not match its pattern ^/[A-Za-z0-9._/-]*$. Nothing was run.`,
    );
    expect(await bot.redis.keys(`${bot.prefix}action*`)).toEqual(keysBefore);
    expect(await fleet.runsOf('runs')).toEqual({});
    expect(await exists(witness)).toBe(false);
  });

  it('refuses when the alerts disagree on a label a parameter reads, rather than falling back to its default', async () => {
    await resetHosts();
    const incident = await diskAlert(r, 'DiskSpaceLow', ['web-1', 'web-2'], (host) => (host === 'web-1' ? fleet.scratch : '/data'));
    const reply = await clickForReply(r, 'runbook.run', buttonValue(incident.post, 'runbook.run'), 'U0ALICE', incident);
    expect(String(reply.text)).toBe(
      'Refused: parameter "mountpoint" reads label mountpoint, and the alerts of this incident disagree on it, so no one value fits every host. Nothing was run; run it from an incident of a single host.',
    );
    expect(await fleet.runsOf('runs')).toEqual({});
  });

  it('checks the kill switch between batches', async () => {
    await resetHosts();
    const incident = await diskAlert(r, 'DiskSpaceLowSlowly', ['web-1', 'web-2', 'web-3']);
    const { id } = await runRunbook(r, incident);
    await approve(r, id);
    await waitFor(async () => (await timelineTexts(r, id)).some((t) => t.startsWith('Canary (batch 1 of 3)')), { timeoutMs: 20_000, message: 'no canary' });
    try {
      const paused = await slash(r, '/automation', 'pause disk maintenance', 'U0BOB');
      expect(String(paused.text)).toMatch(/paused/i);
      await waitForState(r, id, 'failed');
    } finally {
      await slash(r, '/automation', 'resume', 'U0BOB');
    }
    expect(await fleet.runsOf('runs')).toEqual({ 'web-1': 1 });
    expect(await timelineTexts(r, id)).toContainEqual(
      expect.stringMatching(/^Stopped before the next batch: automation paused by <@U0BOB> \(disk maintenance\)\. Continue/),
    );
    expect((await storedAction(r, id)).doc).toMatchObject({ resumable: true });
  });

  it('/remediate --dry-run shows the plan and the dry run, and runs nothing', async () => {
    await resetHosts();
    const reply = await slash(r, '/remediate', 'disk-cleanup web-2 --dry-run', 'U0ALICE');
    expect(reply.response_type).toBe('in_channel');
    const text = String(reply.text);
    expect(text).toContain('*Dry run of Free disk space on 1 host* (disk-cleanup / cleanup)');
    expect(text).toContain('hosts (1): web-2');
    expect(text).toContain('./old-web-2.log');
    expect(await fleet.runsOf('runs')).toEqual({});
    expect(await exists(join(fleet.dirOf('web-2'), 'old-web-2.log'))).toBe(true);
  });

  it('/remediate refuses hosts that are not in the inventory', async () => {
    const reply = await slash(r, '/remediate', 'disk-cleanup cleanup db-9', 'U0ALICE');
    expect(String(reply.text)).toMatch(/^db-9 is not in the host inventory/);
  });
});

describe('a restart in the middle of a rollout', () => {
  it('resumes on the next bot without running again the hosts that succeeded', async () => {
    await resetHosts();
    // A Slack of its own: a bot on a fresh key prefix numbers incidents and actions from 1 again.
    const own = await FakeSlack.start();
    const prefix = `test:${randomUUID()}:`;
    const start = () => startTestBot({ slack: own, services: services(fleet), env: { ...fleet.env, GITLAB_POLL_INTERVAL: '50ms' }, prefix });
    const first = await start();
    const r: SlackRig & { bot: TestBot } = { slack: own, bot: first, replyTimeoutMs: 30_000 };
    try {
      const incident = await diskAlert(r, 'DiskSpaceLowSlowly', ['web-1', 'web-2', 'web-3']);
      const { id } = await runRunbook(r, incident);
      await approve(r, id);
      await waitFor(async () => (await timelineTexts(r, id)).some((t) => t.startsWith('Canary (batch 1 of 3)')), { timeoutMs: 20_000, message: 'no canary' });
      // Stopped while it waits between batches: the action stays running for another process.
      await first.stop();
      const reader = new Redis(testRedisUrl());
      expect(await reader.hget(`${prefix}action:${id}`, 'state')).toBe('running');
      reader.disconnect();

      r.bot = await start();
      await waitForState(r, id, 'succeeded');
      expect(await fleet.runsOf('runs')).toEqual({ 'web-1': 1, 'web-2': 1, 'web-3': 1 });
      expect(await timelineTexts(r, id)).toContainEqual(expect.stringMatching(/^Batch 3 of 3: web-3 ok/));
    } finally {
      if (r.bot !== first) await r.bot.stop();
      const cleaner = new Redis(testRedisUrl());
      const keys = await cleaner.keys(`${prefix}*`);
      if (keys.length > 0) await cleaner.del(...keys);
      cleaner.disconnect();
      await own.close();
    }
  });
});

describe('SSH settings', () => {
  it('refuse to start with a key but no known_hosts file, naming the variable', async () => {
    await expect(
      startTestBot({ slack, services: services(fleet), env: { SSH_PRIVATE_KEY_FILE: fleet.env.SSH_PRIVATE_KEY_FILE ?? '', RUNBOOKS_DIR: fleet.runbooksDir } }),
    ).rejects.toThrow(/SSH_KNOWN_HOSTS_FILE is not set/);
  });

  it('left unset, start the bot and refuse SSH fleet actions with the reason, before anything is stored', async () => {
    const bot = await startBot(undefined, { SSH_USER: 'chatops', RUNBOOKS_DIR: fleet.runbooksDir });
    const r: SlackRig = { slack, bot, replyTimeoutMs: 10_000 };
    const reply = await slash(r, '/remediate', 'disk-cleanup web-1', 'U0ALICE');
    expect(String(reply.text)).toBe('Fleet actions over SSH are not configured on this bot: set SSH_PRIVATE_KEY_FILE and SSH_KNOWN_HOSTS_FILE.');
    expect(await bot.redis.keys(`${bot.prefix}action*`)).toEqual([]);
  });
});
