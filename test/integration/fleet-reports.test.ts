/**
 * Fleet reports that tell the whole truth, through the whole bot over real sshd hosts
 * (support/fleet.ts): a rollout whose failures `max_failures` tolerated ends "succeeded
 * with failures", naming each failed host and its exit, and offers Retry failed hosts; a
 * failed dry run heads the approval request and is approved only with Approve anyway; a
 * continued plan dry-runs only the hosts it will run. Only the Slack Web API is faked.
 *
 * A host's "disk" is its folder on this machine: `broken` in it makes the command exit 7
 * there, `dry-broken` makes the dry run exit 3; `runs` and `dry-runs` count how often each
 * ran there.
 */
import { actionMessage, approve, requestedId, waitForState } from '../support/action-messages.js';
import { readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestBot, type TestBot } from '../support/bot.js';
import { FakeSlack } from '../support/fake-slack.js';
import { HOST_DIR, startFleet, type Fleet } from '../support/fleet.js';
import { notification, uniqueGroup } from '../support/fixtures.js';
import { blockText, buttonsOf, buttonValue, clickForReply, messageOf, topLevelPosts, type Message, lateRig } from '../support/slack-session.js';
import { actionTimeline, storedAction } from '../support/stored.js';
import { found, waitFor } from '../support/wait.js';

const runbook = (fleet: Fleet) => `id: disk-truth
title: Disk filling up
match:
  - label: alertname
    equals: DiskTruth
actions:
  - id: cleanup
    title: Free disk space
    kind: fleet
    dry_run_command: |
      cd -- "${fleet.scratch}/${HOST_DIR}"
      echo dry >> dry-runs
      if test -e dry-broken; then echo "disk is read-only"; exit 3; fi
    command: |
      cd -- "${fleet.scratch}/${HOST_DIR}"
      echo run >> runs
      if test -e broken; then echo "read-only file system"; exit 7; fi
    targets:
      from: alert-instance
    rollout:
      canary: 1
      batches: [1, "100%"]
      max_failures: 1
      pause: 0s
    timeout: 20s
`;

let fleet: Fleet;
let slack: FakeSlack;
let bot: TestBot;
const r = lateRig(
  () => slack,
  () => bot,
  30_000,
);

beforeAll(async () => {
  fleet = await startFleet(4);
  await fleet.writeRunbook('disk-truth.yaml', runbook(fleet));
  slack = await FakeSlack.start();
  bot = await startTestBot({
    slack,
    services: `services:
  storage:
    channel: C0STORAGE
    approvers: [U0BOB]
    approvals: 1
    hosts:
${fleet.hostEntries()}
`,
    env: { ...fleet.env, GITLAB_POLL_INTERVAL: '50ms' },
  });
}, 60_000);

afterAll(async () => {
  await bot?.stop();
  await slack?.close();
  await fleet?.stop();
});

/** Fresh hosts: no marks of earlier tests; `broken` and `dry-broken` on the hosts named. */
async function resetHosts(marks: { broken?: string[]; dryBroken?: string[] } = {}): Promise<void> {
  for (const name of fleet.names) {
    const dir = fleet.dirOf(name);
    for (const file of await readdir(dir)) await rm(join(dir, file), { force: true });
  }
  for (const name of marks.broken ?? []) await writeFile(join(fleet.dirOf(name), 'broken'), '');
  for (const name of marks.dryBroken ?? []) await writeFile(join(fleet.dirOf(name), 'dry-broken'), '');
}

/** An incident of DiskTruth firing on every host, and its message. */
async function diskAlert(): Promise<Message> {
  const group = uniqueGroup();
  const payload = notification({
    group: 'DiskTruth',
    service: 'storage',
    alerts: fleet.names.map((host) => ({ fingerprint: `${group}-${host}`, instance: `${host}:9100` })),
  });
  const res = await bot.postWebhook({ ...payload, groupKey: `${payload.groupKey}:${group}` });
  expect(res.status).toBe(200);
  const { incident } = (await res.json()) as { incident: string };
  const post = await found(() => topLevelPosts(r).find((c) => String(c.params.text).includes(`INC-${incident} `)), {
    timeoutMs: 10_000,
    message: `no message for INC-${incident}`,
  });
  return messageOf(post);
}

/** The id in a "ACT-n requested: …" answer. */

async function runRunbook(incident: Message): Promise<string> {
  return requestedId(await clickForReply(r, 'runbook.run', buttonValue(incident.post, 'runbook.run'), 'U0ALICE', incident));
}

const timelineTexts = async (id: string) => (await actionTimeline(r, id)).map((e) => e.rendered);

const threadText = (incident: Message) =>
  slack
    .callsTo('chat.postMessage')
    .filter((c) => c.params.thread_ts === incident.ts)
    .map((c) => String(c.params.text))
    .join('\n');

describe('fleet reports over real sshd hosts', () => {
  it('a rollout with a failure max_failures tolerated ends succeeded with failures, naming the host and its exit, and retries just that host', async () => {
    await resetHosts();
    const incident = await diskAlert();
    const id = await runRunbook(incident);
    await actionMessage(r, id, 'REQUESTED');
    await writeFile(join(fleet.dirOf('web-2'), 'broken'), '');
    await approve(r, id);
    await waitForState(r, id, 'succeeded');
    expect(await fleet.runsOf('runs')).toEqual({ 'web-1': 1, 'web-2': 1, 'web-3': 1, 'web-4': 1 });

    expect((await storedAction(r, id)).doc.result).toEqual({ kind: 'fleet_succeeded', hosts: 4, skipped: 0, failed: [{ host: 'web-2', exitCode: 7 }] });
    const said = '3 of 4 host(s) succeeded; 1 FAILED, within max_failures: web-2 (exit 7)';
    const message = await actionMessage(r, id, 'SUCCEEDED WITH FAILURES');
    expect(blockText(message.post)).toContain('succeeded with failures (1 host failed)');
    expect(blockText(message.post)).toContain(said);
    expect([...buttonsOf(message.post).keys()]).toEqual(['action.retry_failed']);
    expect(await timelineTexts(id)).toContainEqual(expect.stringMatching(new RegExp(`^ACT-${id} succeeded with failures after \\d+s: ${escapeRegExp(said)}`)));
    await waitFor(() => threadText(incident).includes(`succeeded with failures after`), { timeoutMs: 10_000, message: 'no end in the thread' });
    expect(threadText(incident)).toContain(said);
    const metrics = await (await fetch(`${bot.url}/metrics`)).text();
    expect(metrics).toContain('chatops_fleet_rollouts_total{end="succeeded_with_failures"} 1');
    expect(metrics).toContain('chatops_fleet_rollouts_total{end="succeeded"} 0');

    // Retry failed hosts: a new request over web-2 alone, dry-run and approved again.
    await rm(join(fleet.dirOf('web-2'), 'broken'));
    const retry = requestedId(await clickForReply(r, 'action.retry_failed', buttonValue(message.post, 'action.retry_failed'), 'U0ALICE', message));
    const request = await actionMessage(r, retry, 'REQUESTED');
    expect(blockText(request.post)).toContain('hosts (1): web-2');
    expect((await storedAction(r, retry)).doc.reason).toBe(`retries the failed hosts of ACT-${id}`);
    expect(await timelineTexts(id)).toContainEqual(`<@U0ALICE> asked to retry the failed hosts of ACT-${id} (web-2) as ACT-${retry}`);
    const again = await clickForReply(r, 'action.retry_failed', buttonValue(message.post, 'action.retry_failed'), 'U0ALICE', message);
    expect(String(again.text)).toBe(`The failed hosts of ACT-${id} were already asked for again as ACT-${retry}.`);
    await approve(r, retry);
    await waitForState(r, retry, 'succeeded');
    expect(await fleet.runsOf('runs')).toEqual({ 'web-1': 1, 'web-2': 2, 'web-3': 1, 'web-4': 1 });
    expect((await storedAction(r, retry)).doc.result).toEqual({ kind: 'fleet_succeeded', hosts: 1, skipped: 0 });
  }, 60_000);

  it('a failed dry run heads the approval request; Approve is refused and Approve anyway is recorded as such', async () => {
    await resetHosts({ dryBroken: ['web-3'] });
    const id = await runRunbook(await diskAlert());
    const request = await actionMessage(r, id, 'REQUESTED');
    expect(String(request.post.params.text)).toMatch(/\(its dry run FAILED\)$/);
    const blocks = request.post.params.blocks as Array<{ text?: { text: string } }>;
    expect(blocks[1]?.text?.text).toMatch(/^:rotating_light: The dry run FAILED on 1 of 4 hosts: web-3 \(exit 3: disk is read-only\)\. \*Approve\* is refused/);
    expect([...buttonsOf(request.post).keys()]).toEqual(['action.approve_anyway', 'action.deny', 'action.cancel']);

    // An Approve button (as on a message rendered before the dry run was known to fail) is refused, and nothing runs.
    const refused = await clickForReply(r, 'action.approve', JSON.stringify({ v: 1, action: id }), 'U0BOB', request);
    expect(String(refused.text)).toBe(
      `The dry run of ACT-${id} failed on web-3, so Approve is refused. Read each host's output in the thread; then click Approve anyway to approve it as planned, on every host (recorded as approved anyway), or Deny it.`,
    );
    expect((await storedAction(r, id)).state).toBe('requested');
    expect(await fleet.runsOf('runs')).toEqual({});

    const anyway = await clickForReply(r, 'action.approve_anyway', buttonValue(request.post, 'action.approve_anyway'), 'U0BOB', request);
    expect(String(anyway.text)).toMatch(new RegExp(`^ACT-${id} is approved \\(1 of 1\\) and runs now`));
    await waitForState(r, id, 'succeeded');
    expect(await fleet.runsOf('runs')).toEqual({ 'web-1': 1, 'web-2': 1, 'web-3': 1, 'web-4': 1 });
    expect(await actionTimeline(r, id)).toContainEqual(
      expect.objectContaining({ actor: 'U0BOB', step: { kind: 'approved', actionId: id, count: 1, required: 1, anyway: { failed: ['web-3'] } } }),
    );
    expect(await timelineTexts(id)).toContain(`<@U0BOB> approved ACT-${id} ANYWAY, although its dry run failed on web-3 (1 of 1)`);
  }, 60_000);

  it('a continued plan dry-runs only the hosts it will run, and says which it skips', async () => {
    await resetHosts({ broken: ['web-3', 'web-4'] });
    const id = await runRunbook(await diskAlert());
    await approve(r, id);
    await waitForState(r, id, 'failed');
    expect(await fleet.runsOf('runs')).toEqual({ 'web-1': 1, 'web-2': 1, 'web-3': 1, 'web-4': 1 });
    for (const name of fleet.names) await rm(join(fleet.dirOf(name), 'dry-runs'), { force: true });
    for (const name of ['web-3', 'web-4']) await rm(join(fleet.dirOf(name), 'broken'));

    const failed = await actionMessage(r, id, 'FAILED');
    const next = requestedId(await clickForReply(r, 'action.continue', buttonValue(failed.post, 'action.continue'), 'U0ALICE', failed));
    const request = await actionMessage(r, next, 'REQUESTED');
    expect(await fleet.runsOf('dry-runs')).toEqual({ 'web-3': 1, 'web-4': 1 });
    expect(blockText(request.post)).toContain(
      'dry run ok on all 2 host(s); not dry-run on web-1, web-2: they succeeded in the rollout this one continues and will not run again',
    );
    const rehearsed = (await actionTimeline(r, next)).find((e) => 'step' in e && e.step.kind === 'rehearsed');
    expect(rehearsed && 'step' in rehearsed && rehearsed.step.kind === 'rehearsed' && rehearsed.step.rehearsal).toMatchObject({
      ok: true,
      hosts: [{ host: 'web-3' }, { host: 'web-4' }],
      skipped: ['web-1', 'web-2'],
    });
    await approve(r, next);
    await waitForState(r, next, 'succeeded');
    expect(await fleet.runsOf('runs')).toEqual({ 'web-1': 1, 'web-2': 1, 'web-3': 2, 'web-4': 2 });
  }, 60_000);
});

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
