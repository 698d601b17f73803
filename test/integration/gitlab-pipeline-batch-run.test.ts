/**
 * The gitlab-pipeline fleet executor against the fake GitLab: one pipeline per batch, its
 * variables, its end, and what each way of GitLab failing gives the batch's hosts.
 */
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { HostOutcome } from '../../src/fleet/rollout-runner.js';
import { createGitlabApi } from '../../src/gitlab/client.js';
import { gitlabPipelineBatchRun, type GitlabPipelineBatchRunOptions } from '../../src/gitlab/pipeline-batch-run.js';
import { FakeGitlab, type GitlabCall } from '../support/fake-gitlab.js';
import { listenOnLoopback } from '../support/loopback-server.js';
import { waitFor } from '../support/wait.js';

const PROJECT = 'ops/remediation';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const HOSTS = ['web-1', 'web-2', 'web-10'];
const COMMAND = "sudo -n systemctl restart -- 'app.service'";

/** A GitLab of its own per test: a pipeline one test made is not there for the next to find. */
let gitlab: FakeGitlab;

beforeEach(async () => {
  gitlab = await FakeGitlab.start();
  gitlab.addProject(PROJECT, []);
});

afterEach(async () => {
  await gitlab.close();
});

function batchRun(overrides: Partial<GitlabPipelineBatchRunOptions> & { requestTimeoutMs?: number } = {}) {
  const { requestTimeoutMs, ...options } = overrides;
  return gitlabPipelineBatchRun({
    api: createGitlabApi({ url: gitlab.url, token: 'glpat-test-token', ...(requestTimeoutMs ? { requestTimeoutMs } : {}) }),
    spec: { project: PROJECT, ref: 'main', variables: { SITE: 'eu-west' } },
    pollIntervalMs: 10,
    log: pino({ level: 'silent' }),
    retry: { attempts: 3, baseDelayMs: 5, maxDelayMs: 20 },
    lookup: { windowMs: 2_000, intervalMs: 10 },
    ...options,
  });
}

function pipelineIdOf(call: GitlabCall): number {
  const id = /\/pipelines\/(\d+)$/.exec(call.path)?.[1];
  if (!id) throw new Error(`not a pipeline read: ${call.path}`);
  return Number(id);
}

function pipelineUrl(id: number): string {
  return `${gitlab.url}/${PROJECT}/-/pipelines/${id}`;
}

/** Runs the batch and gives the pipeline `status` when its first read arrives. */
async function runToStatus(status: string, run = batchRun()): Promise<{ outcomes: HostOutcome[]; id: number }> {
  const held = gitlab.hold('pipeline');
  const outcomes = run(HOSTS, COMMAND, 10_000);
  const id = pipelineIdOf(await held.arrived);
  gitlab.setPipelineStatus(id, status);
  held.release();
  return { outcomes: await outcomes, id };
}

function expectAllFailed(outcomes: HostOutcome[], output: RegExp | string): void {
  expect(outcomes.map((o) => o.host)).toEqual(HOSTS);
  for (const outcome of outcomes) {
    expect(outcome).toMatchObject({ ok: false, exitCode: null });
    if (typeof output === 'string') expect(outcome.output).toContain(output);
    else expect(outcome.output).toMatch(output);
  }
}

describe('gitlab-pipeline batch run', () => {
  it('starts one pipeline on the ref with the hosts, the command and the runbook variables', async () => {
    const { outcomes, id } = await runToStatus('success');

    const [create, ...more] = gitlab.callsTo('createPipeline');
    expect(more).toEqual([]);
    expect(create).toMatchObject({ method: 'POST', project: PROJECT });
    expect(create?.body).toEqual({
      ref: 'main',
      variables: [
        { key: 'SITE', value: 'eu-west', variable_type: 'env_var' },
        { key: 'CHATOPS_HOSTS', value: 'web-1 web-2 web-10', variable_type: 'env_var' },
        { key: 'CHATOPS_COMMAND', value: COMMAND, variable_type: 'env_var' },
        { key: 'CHATOPS_BATCH', value: expect.stringMatching(UUID) as string, variable_type: 'env_var' },
      ],
    });
    expect(outcomes).toEqual(
      HOSTS.map((host) => ({
        host,
        ok: true,
        exitCode: 0,
        output: `GitLab pipeline #${id} success for the 3 hosts of this batch: ${pipelineUrl(id)}`,
        durationMs: expect.any(Number) as number,
      })),
    );
  });

  it.each(['failed', 'canceled', 'skipped'])('fails every host of the batch when the pipeline ends %s, naming it', async (status) => {
    const { outcomes, id } = await runToStatus(status);
    expectAllFailed(outcomes, `GitLab pipeline #${id} ${status}; it ran the 3 hosts of this batch together, so each counts as failed: ${pipelineUrl(id)}`);
  });

  it('keeps polling while the pipeline runs', async () => {
    const held = gitlab.hold('pipeline');
    const outcomes = batchRun()(HOSTS, COMMAND, 10_000);
    const id = pipelineIdOf(await held.arrived);
    gitlab.setPipelineStatus(id, 'running');
    held.release();
    await gitlab.waitForCalls('pipeline', 3);
    gitlab.setPipelineStatus(id, 'success');
    expect((await outcomes).every((o) => o.ok)).toBe(true);
    expect(gitlab.callsTo('createPipeline')).toHaveLength(1);
  });

  it('fails the batch with a clear message, once, when the project does not exist', async () => {
    const outcomes = await batchRun({ spec: { project: 'ops/missing', ref: 'main', variables: {} } })(HOSTS, COMMAND, 10_000);
    expectAllFailed(
      outcomes,
      'GitLab project ops/missing not found (404 Project Not Found): check executor.project of the runbook action and that GITLAB_TOKEN can read it',
    );
    expect(gitlab.callsTo('createPipeline')).toHaveLength(1);
    expect(gitlab.callsTo('pipeline')).toEqual([]);
  });

  it("fails the batch with GitLab's words when the ref is refused", async () => {
    gitlab.script('createPipeline', { status: 400, body: { message: { base: ['Reference not found'] } } });
    const outcomes = await batchRun()(HOSTS, COMMAND, 10_000);
    expectAllFailed(
      outcomes,
      /^GitLab rejected the request to run a pipeline on main in ops\/remediation \(400 \{"base":\["Reference not found"\]\}\): check executor\.ref/,
    );
    expect(gitlab.callsTo('createPipeline')).toHaveLength(1);
  });

  it.each([
    ['answered 500', { status: 500, body: { message: '500 Internal Server Error' } }],
    ['answered 502', { status: 502, body: { message: '502 Bad Gateway' } }],
    ['dropped the connection', { drop: true as const }],
  ])('GitLab made the pipeline and then %s: the POST is sent once, and that pipeline is found by its batch marker and followed', async (_, answer) => {
    gitlab.script('createPipeline', { ...answer, afterEffect: true });
    const { outcomes, id } = await runToStatus('success');

    expect(outcomes.every((o) => o.ok)).toBe(true);
    expect(outcomes[0]?.output).toBe(`GitLab pipeline #${id} success for the 3 hosts of this batch: ${pipelineUrl(id)}`);
    expect(gitlab.callsTo('createPipeline')).toHaveLength(1);
    expect(gitlab.createdPipelines()).toEqual([{ id, ref: 'main', variables: expect.objectContaining({ CHATOPS_HOSTS: 'web-1 web-2 web-10' }) as unknown }]);
  });

  it('GitLab made the pipeline but answered after the client gave up: followed, not failed', async () => {
    const held = gitlab.hold('createPipeline', { afterEffect: true });
    try {
      const { outcomes, id } = await runToStatus('success', batchRun({ requestTimeoutMs: 200 }));
      expect(outcomes.every((o) => o.ok)).toBe(true);
      expect(gitlab.createdPipelines().map((p) => p.id)).toEqual([id]);
      expect(gitlab.callsTo('createPipeline')).toHaveLength(1);
    } finally {
      held.release();
    }
  });

  it('a pipeline another request made on the ref meanwhile is not taken for this batch’s', async () => {
    // Someone else's pipeline on the same ref, with the same hosts and command, but not this batch's marker.
    const other = await fetch(`${gitlab.url}/api/v4/projects/${encodeURIComponent(PROJECT)}/pipeline`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ ref: 'main', variables: [{ key: 'CHATOPS_HOSTS', value: HOSTS.join(' '), variable_type: 'env_var' }] }),
    });
    expect(other.status).toBe(201);
    gitlab.script('createPipeline', { status: 500, body: { message: '500 Internal Server Error' } });

    const outcomes = await batchRun({ lookup: { windowMs: 200, intervalMs: 10 } })(HOSTS, COMMAND, 10_000);

    expectAllFailed(outcomes, /^Outcome unknown: GitLab answered 500/);
    // Its variables were read once, however often the bot looked.
    expect(gitlab.callsTo('pipelines').length).toBeGreaterThan(1);
    expect(gitlab.callsTo('pipelineVariables')).toHaveLength(1);
    expect(gitlab.callsTo('pipeline')).toEqual([]);
  });

  it('GitLab may have started the pipeline (504) but none appears: the batch fails with its outcome unknown and where to look, and the POST is not sent again', async () => {
    gitlab.script('createPipeline', { status: 504, body: { message: '504 Gateway Timeout' } });
    const outcomes = await batchRun({ lookup: { windowMs: 200, intervalMs: 10 } })(HOSTS, COMMAND, 10_000);
    const [create] = gitlab.callsTo('createPipeline');
    const marker = (create?.body as { variables: Array<{ key: string; value: string }> } | undefined)?.variables.find((v) => v.key === 'CHATOPS_BATCH')?.value;
    expect(marker).toMatch(UUID);
    expectAllFailed(
      outcomes,
      `Outcome unknown: GitLab answered 504 when asked to run a pipeline on main in ops/remediation, and no pipeline with CHATOPS_BATCH=${marker} appeared within 200 ms. ` +
        `The request was not sent again: check ${gitlab.url}/${PROJECT}/-/pipelines before continuing: if that pipeline runs after all, it runs this batch's command on its hosts.`,
    );
    expect(gitlab.callsTo('createPipeline')).toHaveLength(1);
    expect(gitlab.callsTo('pipelines').length).toBeGreaterThan(1);
    expect(gitlab.callsTo('pipeline')).toEqual([]);
  });

  it('does not send the POST again when GitLab did not answer it in time, and none appears', async () => {
    const held = gitlab.hold('createPipeline');
    try {
      const outcomes = await batchRun({ requestTimeoutMs: 200, lookup: { windowMs: 200, intervalMs: 10 } })(HOSTS, COMMAND, 10_000);
      expectAllFailed(
        outcomes,
        /^Outcome unknown: GitLab did not answer \(timeout\) when asked to run a pipeline on main in ops\/remediation, and no pipeline with CHATOPS_BATCH=\S+ appeared within 200 ms\. The request was not sent again: check /,
      );
      expect(gitlab.callsTo('createPipeline')).toHaveLength(1);
    } finally {
      held.release();
    }
  });

  it('sends the POST again only while it cannot reach GitLab, and then says no pipeline was started', async () => {
    // A port nothing listens on: every connection is refused, so nothing was ever sent.
    const { server, url } = await listenOnLoopback(() => undefined);
    await new Promise<void>((resolve) => server.close(() => resolve()));
    const run = batchRun({ api: createGitlabApi({ url, token: 'glpat-test-token' }) });

    const outcomes = await run(HOSTS, COMMAND, 10_000);

    expectAllFailed(
      outcomes,
      /^GitLab could not be reached 3 times \(last: ECONNREFUSED\) when asked to run a pipeline on main in ops\/remediation; the request was never sent, so nothing started$/,
    );
  });

  it('fails the batch when the pipeline outlives the timeout, leaving it running', async () => {
    const outcomes = await batchRun()(HOSTS, COMMAND, 150);
    const id = pipelineIdOf(gitlab.callsTo('pipeline')[0]!);
    expectAllFailed(
      outcomes,
      `timed out after 150 ms waiting for GitLab pipeline #${id} (last status: created); it was not cancelled and may still be running: ${pipelineUrl(id)}`,
    );
    expect(new Set(gitlab.calls.map((c) => c.route))).toEqual(new Set(['createPipeline', 'pipeline']));
    expect(outcomes[0]?.durationMs).toBeGreaterThanOrEqual(150);
  });

  it('tolerates a failed read of the pipeline and reads it again', async () => {
    gitlab.script('pipeline', { status: 500, body: { message: '500 Internal Server Error' } });
    const { outcomes } = await runToStatus('success');
    expect(outcomes.every((o) => o.ok)).toBe(true);
    expect(gitlab.callsTo('pipeline').map((c) => c.status)).toEqual([500, 200]);
  });

  it('keeps retrying failed reads until the deadline, then times out', async () => {
    gitlab.script('pipeline', { status: 503, body: { message: '503 Service Unavailable' } }, 1_000);
    // A second, not 150 ms: on a busy machine the first requests to a new server take most of 150 ms.
    const outcomes = await batchRun()(HOSTS, COMMAND, 1_000);
    expectAllFailed(outcomes, /^timed out after 1 second waiting for GitLab pipeline #\d+ \(last status: created\); it was not cancelled/);
    const reads = gitlab.callsTo('pipeline');
    expect(reads.length).toBeGreaterThan(3);
    expect(reads.every((c) => c.status === 503)).toBe(true);
  });

  it('fails the batch when the pipeline can no longer be read', async () => {
    gitlab.script('pipeline', { status: 404, body: { message: '404 Not found' } });
    const outcomes = await batchRun()(HOSTS, COMMAND, 10_000);
    expectAllFailed(outcomes, /^GitLab has no pipeline #\d+ in project ops\/remediation \(404 Not found\): it may have been deleted/);
    expect(gitlab.callsTo('pipeline')).toHaveLength(1);
  });

  it('stops waiting when the bot shuts down, and says the pipeline still runs', async () => {
    const controller = new AbortController();
    const outcomes = batchRun({ signal: controller.signal, pollIntervalMs: 60_000 })(HOSTS, COMMAND, 120_000);
    await waitFor(() => gitlab.callsTo('createPipeline')[0]?.status === 201);
    controller.abort();
    const done = await outcomes;
    expectAllFailed(done, /^the bot is shutting down; pipeline \S+ still runs$/);
    expect(done[0]?.output).toContain(`pipeline ${gitlab.url}/${PROJECT}/-/pipelines/`);
    expect(gitlab.callsTo('pipeline')).toEqual([]);
  });

  it('starts nothing when the bot is already shutting down, or for a host name the variable cannot carry', async () => {
    const outcomes = await batchRun({ signal: AbortSignal.abort() })(HOSTS, COMMAND, 10_000);
    expectAllFailed(outcomes, 'the bot is shutting down; no pipeline was started');
    const spaced = await batchRun()(['web-1', 'web 2'], COMMAND, 10_000);
    expect(spaced.map((o) => o.output)).toEqual(
      Array(2).fill('host name "web 2" cannot be passed in CHATOPS_HOSTS (space-separated); no pipeline was started'),
    );
    expect(gitlab.calls).toEqual([]);
  });

  it('throws on a programming error: an empty batch or a bad timeout', async () => {
    await expect(batchRun()([], COMMAND, 10_000)).rejects.toThrow(RangeError);
    await expect(batchRun()(HOSTS, COMMAND, 0)).rejects.toThrow(RangeError);
    expect(() => batchRun({ pollIntervalMs: 0 })).toThrow(RangeError);
    expect(gitlab.calls).toEqual([]);
  });
});
