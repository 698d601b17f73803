/**
 * A fleet action whose runbook says `executor: gitlab-pipeline`, through the whole bot:
 * each batch becomes one pipeline on GitLab (faked at its HTTP edge) with the batch's
 * hosts in CHATOPS_HOSTS, tracked to its end before the next batch starts. No SSH here.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fleetEndText } from '../../src/slack/render/fleet-report.js';
import type { FleetEnd } from '../../src/timeline/fleet-facts.js';
import { startTestBot, type TestBot } from '../support/bot.js';
import { FakeGitlab, type GitlabCall } from '../support/fake-gitlab.js';
import { FakeSlack } from '../support/fake-slack.js';
import { buttonValue, click, slash, lateRig } from '../support/slack-session.js';
import { storedAction } from '../support/stored.js';
import { found, waitFor } from '../support/wait.js';

const RUNBOOK = `id: restart-workers
title: Restart workers
match:
  - label: alertname
    equals: WorkersStuck
actions:
  - id: restart
    title: Restart workers
    kind: fleet
    command: systemctl restart worker
    executor:
      type: gitlab-pipeline
      project: ops/remediation
      ref: main
      variables:
        PLAYBOOK: restart-worker
    targets:
      from: service-hosts
      service: workers
    rollout:
      canary: 1
      batches: ["100%"]
    timeout: 60s
`;

const SERVICES = `services:
  workers:
    channel: C0WORKERS
    approvers: [U0BOB]
    hosts: [w-1, w-2, w-3]
`;

let slack: FakeSlack;
let gitlab: FakeGitlab;
let bot: TestBot;
let dir: string;
const r = lateRig(
  () => slack,
  () => bot,
  20_000,
);

beforeAll(async () => {
  slack = await FakeSlack.start();
  gitlab = await FakeGitlab.start();
  gitlab.addProject('ops/remediation', []);
  dir = await mkdtemp(join(tmpdir(), 'chatops-pipeline-runbooks-'));
  await writeFile(join(dir, 'restart-workers.yaml'), RUNBOOK);
  bot = await startTestBot({ slack, services: SERVICES, env: { RUNBOOKS_DIR: dir, GITLAB_URL: gitlab.url, GITLAB_TOKEN: 'x', GITLAB_POLL_INTERVAL: '50ms' } });
});

afterAll(async () => {
  await bot?.stop();
  await slack?.close();
  await gitlab?.close();
  await rm(dir, { recursive: true, force: true });
});

const variablesOf = (call: GitlabCall) =>
  Object.fromEntries(((call.body as { variables: Array<{ key: string; value: string }> }).variables ?? []).map((v) => [v.key, v.value]));

/** Ids of the pipelines the bot polled, from GET /projects/:id/pipelines/:pipeline_id. */
const pipelineIdsPolled = () => gitlab.callsTo('pipeline').map((c) => Number(c.path.split('/').at(-1)));
const lastPolledPipeline = () => pipelineIdsPolled().at(-1) ?? 0;

describe('a fleet action run through GitLab pipelines', () => {
  it('runs the canary batch as one pipeline, then the rest as another, each tracked to its end', async () => {
    const reply = await slash(r, '/remediate', 'restart-workers', 'U0ALICE');
    const id = /ACT-(\d+) requested: Restart workers on 3 hosts/.exec(String(reply.text))?.[1];
    expect(id, String(reply.text)).toBeDefined();
    const request = await found(() => slack.callsTo('chat.postMessage').find((c) => String(c.params.text).startsWith(`[REQUESTED] ACT-${id} `)), {
      timeoutMs: 10_000,
      message: 'no approval message',
    });
    // Nothing reached GitLab before the approval: a pipeline executor has no reachability check.
    expect(gitlab.callsTo('createPipeline')).toEqual([]);
    const on = { channel: String(request.params.channel), ts: String(request.result?.ts) };
    expect(await click(r, 'action.approve', buttonValue(request, 'action.approve'), 'U0BOB', on)).toBe(200);

    const [canary] = await gitlab.waitForCalls('createPipeline', 1, 10_000);
    expect(canary?.project).toBe('ops/remediation');
    expect(variablesOf(canary as GitlabCall)).toEqual({
      PLAYBOOK: 'restart-worker',
      CHATOPS_HOSTS: 'w-1',
      CHATOPS_COMMAND: 'systemctl restart worker',
      // Each batch's own: what finds its pipeline again if GitLab does not confirm its creation.
      CHATOPS_BATCH: expect.stringMatching(/^[0-9a-f-]{36}$/) as string,
    });
    // The next batch waits for the canary's pipeline, polled meanwhile.
    await gitlab.waitForCalls('pipeline', 2, 10_000);
    expect(gitlab.callsTo('createPipeline')).toHaveLength(1);
    gitlab.setPipelineStatus(lastPolledPipeline(), 'success');

    const calls = await gitlab.waitForCalls('createPipeline', 2, 10_000);
    expect(variablesOf(calls[1] as GitlabCall)).toMatchObject({ CHATOPS_HOSTS: 'w-2 w-3' });
    await waitFor(() => lastPolledPipeline() !== pipelineIdsPolled()[0], { timeoutMs: 10_000, message: 'the second pipeline was never polled' });
    gitlab.setPipelineStatus(lastPolledPipeline(), 'success');
    await waitFor(async () => (await storedAction(r, id as string)).state === 'succeeded', { timeoutMs: 10_000, message: 'the action never succeeded' });
    const { result } = (await storedAction(r, id as string)).doc;
    expect(result).toEqual({ kind: 'fleet_succeeded', hosts: 3, skipped: 0 });
    expect(fleetEndText(result as FleetEnd)).toBe('all 3 host(s) succeeded');
  });
});
