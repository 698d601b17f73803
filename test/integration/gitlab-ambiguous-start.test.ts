/**
 * A rollback whose start GitLab answered ambiguously (a 5xx, no answer in time, a dropped
 * connection): the request is never sent again; the bot looks for the job or pipeline it
 * may have made and tracks that, and only when none appears within the lookup window does
 * the action end with its outcome unknown and a link to check. The actions layer (over the
 * memory stores) runs the real GitLab executor against the fake GitLab.
 */
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Action } from '../../src/actions/action.js';
import { refusingExecutor } from '../../src/actions/executor.js';
import { noIncidents } from '../support/no-incidents.js';
import { ActionService } from '../../src/actions/service.js';
import { GitlabRollbackExecutor, type GitlabRollbackExecutorOptions } from '../../src/gitlab/rollback-executor.js';
import type { GitlabSettings } from '../../src/services/schema.js';
import { memoryStores } from '../../src/store/memory/index.js';
import { deployment, FakeGitlab } from '../support/fake-gitlab.js';
import { found, waitFor } from '../support/wait.js';

const SHA_GOOD = 'b7c8d9e0f1a2b3c4d5e6f708192a3b4c5d6e7f80';
const SHA_BAD = 'c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00';

/** Newest first: the target is deployment #32, whose job is 502. */
const PAYMENT = [deployment({ id: 303, iid: 33, sha: SHA_BAD, jobId: 503 }), deployment({ id: 302, iid: 32, sha: SHA_GOOD, jobId: 502 })];
const CHECKOUT = [
  deployment({ id: 702, iid: 72, sha: SHA_BAD, jobId: 802, project: 'shop/checkout' }),
  deployment({ id: 701, iid: 71, sha: SHA_GOOD, jobId: 801, project: 'shop/checkout' }),
];

const SERVICES: Record<string, GitlabSettings> = {
  'payment-service': { project: 'shop/payment-service', environment: 'production', rollback: 'retry-job', variables: {} },
  checkout: { project: 'shop/checkout', environment: 'production', rollback: 'pipeline', ref: 'main', variables: { DEPLOY_ENV: 'production' } },
};

/** A GitLab of its own per test: what one test's GitLab made is not there for the next to find. */
let gitlab: FakeGitlab;
const stops: Array<() => Promise<void>> = [];

beforeEach(async () => {
  gitlab = await FakeGitlab.start();
});
afterEach(async () => {
  for (const stop of stops.splice(0)) await stop();
  await gitlab.close();
});

/** A bot's actions layer and GitLab executor, over memory stores. */
function bot(executorOptions: Partial<GitlabRollbackExecutorOptions> = {}) {
  gitlab.addProject('shop/payment-service', PAYMENT);
  gitlab.addProject('shop/checkout', CHECKOUT);
  const stores = memoryStores();
  const executor = new GitlabRollbackExecutor({
    url: gitlab.url,
    token: 'glpat-test-token',
    services: (name) => SERVICES[name],
    log: pino({ level: 'silent' }),
    retry: { attempts: 3, baseDelayMs: 5, maxDelayMs: 20 },
    lookup: { windowMs: 2_000, intervalMs: 20 },
    ...executorOptions,
  });
  const service = new ActionService({
    store: stores.actions,
    executors: { rollback: executor, fleet: refusingExecutor('no fleet here') },
    approvers: { isApprover: async (userId, ids) => ids.includes(userId) },
    policyOf: (name) => (SERVICES[name] ? { approvers: ['U0ALICE', 'U0BOB'], approvals: 1, channel: 'C0PAYMENTS' } : undefined),
    knownServices: () => Object.keys(SERVICES),
    incidents: noIncidents,
    log: pino({ level: 'silent' }),
    expiryMs: 60_000,
    cooldownMs: 600_000,
    pollIntervalMs: 20,
    killSwitchAdmins: [],
  });
  stops.push(() => service.stop());
  return { stores, service };
}

type Bot = ReturnType<typeof bot>;

/** Requests a rollback as U0ALICE and has U0BOB approve it, which runs it. */
async function approved(b: Bot, service: string): Promise<string> {
  const action = await b.service.request({ kind: 'rollback', service, userId: 'U0ALICE', force: false, reason: 'error rate doubled' });
  await b.service.approve(action.id, 'U0BOB');
  return action.id;
}

async function runOf(b: Bot, id: string): Promise<NonNullable<Action['run']>> {
  return found(async () => (await b.service.get(id))?.run, { timeoutMs: 10_000, message: `ACT-${id} never got its GitLab run` });
}

async function ended(b: Bot, id: string): Promise<Action> {
  return found(
    async () => {
      const action = await b.service.get(id);
      return action?.state === 'succeeded' || action?.state === 'failed' ? action : undefined;
    },
    { timeoutMs: 10_000, message: `ACT-${id} never ended` },
  );
}

/** The job GitLab made by retrying `jobId`, once there is exactly one. */
function onlyRetryOf(jobId: number): number {
  const made = gitlab.retriedJobs().filter((j) => j.retriedFrom === jobId);
  expect(made).toHaveLength(1);
  return made[0]!.id;
}

describe('a rollback whose start GitLab answered ambiguously', () => {
  it('retry-job: GitLab made the job and answered 500: the retry is sent once, the job is found and tracked, and the action succeeds', async () => {
    const b = bot();
    gitlab.script('retry', { status: 500, body: { message: '500 Internal Server Error' }, afterEffect: true });
    const id = await approved(b, 'payment-service');

    const run = await runOf(b, id);
    expect(run.id).toBe(String(onlyRetryOf(502)));
    gitlab.setJobStatus(run.id, 'success');
    const action = await ended(b, id);

    expect(action).toMatchObject({ state: 'succeeded', result: `job #${run.id} success after 42.5 seconds` });
    expect(gitlab.callsTo('retry').map((c) => c.status)).toEqual([500]);
  });

  it('retry-job: GitLab made the job but answered after the client gave up: tracked, not reported failed', async () => {
    const b = bot({ requestTimeoutMs: 300 });
    const held = gitlab.hold('retry', { afterEffect: true });
    try {
      const id = await approved(b, 'payment-service');
      const run = await runOf(b, id);
      expect(run.id).toBe(String(onlyRetryOf(502)));
      gitlab.setJobStatus(run.id, 'success');

      expect(await ended(b, id)).toMatchObject({ state: 'succeeded' });
      expect(gitlab.callsTo('retry')).toHaveLength(1);
    } finally {
      held.release();
    }
  });

  it('retry-job: GitLab made the job and the connection dropped before its answer: tracked', async () => {
    const b = bot();
    gitlab.script('retry', { drop: true, afterEffect: true });
    const id = await approved(b, 'payment-service');

    const run = await runOf(b, id);
    expect(run.id).toBe(String(onlyRetryOf(502)));
    gitlab.setJobStatus(run.id, 'failed');

    expect(await ended(b, id)).toMatchObject({ state: 'failed', result: `job #${run.id} failed (script_failure) after 42.5 seconds` });
    expect(gitlab.callsTo('retry')).toHaveLength(1);
  });

  it('pipeline: GitLab made the pipeline and answered 502: one pipeline, found by the action id it carries, and tracked', async () => {
    const b = bot();
    gitlab.script('createPipeline', { status: 502, body: { message: '502 Bad Gateway' }, afterEffect: true });
    const id = await approved(b, 'checkout');

    const run = await runOf(b, id);
    const pipelines = gitlab.createdPipelines();
    expect(pipelines).toEqual([{ id: Number(run.id), ref: 'main', variables: { DEPLOY_ENV: 'production', ROLLBACK_TO_SHA: SHA_GOOD, CHATOPS_ACTION_ID: id } }]);
    gitlab.setPipelineStatus(run.id, 'success');

    expect(await ended(b, id)).toMatchObject({ state: 'succeeded', result: `pipeline #${run.id} success after 5 minutes 12 seconds` });
    expect(gitlab.callsTo('createPipeline')).toHaveLength(1);
  });

  it('retry-job: GitLab answered 500 and made nothing: the outcome is unknown, with the link to check, and the retry is not sent again', async () => {
    const b = bot({ lookup: { windowMs: 300, intervalMs: 20 } });
    gitlab.script('retry', { status: 500, body: { message: '500 Internal Server Error' } });
    const id = await approved(b, 'payment-service');

    const action = await ended(b, id);

    expect(action.state).toBe('failed');
    expect(action.result).toBe(
      'Outcome unknown: GitLab answered 500 when asked to retry job #502 (the deploy job of deployment #32) in shop/payment-service, ' +
        `and no job it could have started appeared within 300 ms. The request was not sent again: check ${gitlab.url}/shop/payment-service/-/jobs ` +
        'and request the rollback again only if no new job runs there.',
    );
    expect(action.run).toBeUndefined();
    expect(gitlab.callsTo('retry')).toHaveLength(1);
    expect(gitlab.retriedJobs()).toEqual([]);
    // It did look: the retried job's pipeline, more than once within the window.
    expect(gitlab.callsTo('pipelineJobs').length).toBeGreaterThan(1);
  });

  it('pipeline: GitLab did not answer in time and made nothing: unknown, with the link, one POST', async () => {
    const b = bot({ requestTimeoutMs: 200, lookup: { windowMs: 300, intervalMs: 20 } });
    const held = gitlab.hold('createPipeline');
    try {
      const id = await approved(b, 'checkout');
      const action = await ended(b, id);
      expect(action.state).toBe('failed');
      expect(action.result).toMatch(
        new RegExp(
          `^Outcome unknown: GitLab did not answer \\(timeout\\) when asked to run a pipeline on main in shop/checkout, ` +
            `and no pipeline with CHATOPS_ACTION_ID=${id} appeared within 300 ms\\. The request was not sent again: ` +
            `check ${gitlab.url}/shop/checkout/-/pipelines and request the rollback again only if no new pipeline runs there\\.$`,
        ),
      );
      expect(gitlab.callsTo('createPipeline')).toHaveLength(1);
    } finally {
      held.release();
    }
  });
});

describe('a rollback claimed by a process that died before GitLab answered', () => {
  /** As a crash leaves it: approved, claimed (running) at `startedAt`, with no run attached. */
  async function claimedWithoutRun(b: Bot, service: string): Promise<string> {
    const requested = await b.service.request({ kind: 'rollback', service, userId: 'U0ALICE', force: false, reason: 'error rate doubled' });
    const stored = (await b.stores.actions.getAction(requested.id))!;
    const running: Action = { ...stored, state: 'running', approvedBy: ['U0BOB'], startedAt: new Date(Date.now() - 1_000).toISOString() };
    const entry = { at: new Date().toISOString(), actor: 'bot', step: { kind: 'started' as const, actionId: stored.id } };
    expect(await b.stores.actions.commitAction({ action: running, expectedVersion: stored.version, entry })).toBe(true);
    return stored.id;
  }

  it('is looked for after the restart, not sent again: the job the dead process made is tracked to its end', async () => {
    const b = bot();
    const id = await claimedWithoutRun(b, 'payment-service');
    // The dead process's retry reached GitLab.
    expect((await fetch(`${gitlab.url}/api/v4/projects/shop%2Fpayment-service/jobs/502/retry`, { method: 'POST' })).status).toBe(201);

    await b.service.resume();
    const run = await runOf(b, id);
    expect(run.id).toBe(String(onlyRetryOf(502)));
    gitlab.setJobStatus(run.id, 'success');

    expect(await ended(b, id)).toMatchObject({ state: 'succeeded' });
    expect(gitlab.callsTo('retry')).toHaveLength(1);
  });

  it('ends with its outcome unknown when nothing it could have made appears', async () => {
    const b = bot({ lookup: { windowMs: 200, intervalMs: 20 } });
    const id = await claimedWithoutRun(b, 'checkout');

    await b.service.resume();
    const action = await ended(b, id);

    expect(action.state).toBe('failed');
    expect(action.result).toBe(
      'Outcome unknown: the bot restarted before GitLab confirmed the request to run a pipeline on main in shop/checkout, ' +
        `and no pipeline with CHATOPS_ACTION_ID=${id} appeared within 200 ms. The request was not sent again: ` +
        `check ${gitlab.url}/shop/checkout/-/pipelines and request the rollback again only if no new pipeline runs there.`,
    );
    expect(gitlab.callsTo('createPipeline')).toEqual([]);
    await waitFor(() => gitlab.callsTo('pipelines').length > 0, { message: 'the restarted bot never looked for the pipeline' });
  });
});
