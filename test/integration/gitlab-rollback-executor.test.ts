/**
 * GitlabRollbackExecutor against GitLab faked at the HTTP edge (nock intercepts the fetch that
 * gitbeaker calls). Strict (test/support/http-mock.ts): every expectation must be used, and
 * any request nobody expected fails the test.
 */
import type nock from 'nock';
import { pino, type Logger } from 'pino';
import { describe, expect, it } from 'vitest';
import { ExecutorRefusal, type ExecutionPlan, type RunContext, type RunStatus } from '../../src/actions/executor.js';
import {
  GitlabOutcomeUnknown,
  GitlabRollbackExecutor,
  GitlabUnavailableError,
  type GitlabRollbackExecutorOptions,
} from '../../src/gitlab/rollback-executor.js';
import type { GitlabSettings } from '../../src/services/schema.js';
import { useHttpMock } from '../support/http-mock.js';

const GITLAB = 'https://gitlab.test';
const TOKEN = 'glpat-test-token-0123456789';
const PROJECT = 'shop/payment-service';
const API = `/api/v4/projects/${encodeURIComponent(PROJECT)}`;

const SHA_A = 'a1b2c3d4e5f60718293a4b5c6d7e8f9012345678';
const SHA_B = 'b7c8d9e0f1a2b3c4d5e6f708192a3b4c5d6e7f80';
const SHA_C = 'c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00';

const DEPLOYMENTS_QUERY = { environment: 'production', status: 'success', order_by: 'id', sort: 'desc', per_page: '20', page: '1' };

const http = useHttpMock();

// --- GitLab API JSON, shaped as GitLab answers it ---

const user = {
  id: 7,
  username: 'deploy-bot',
  name: 'Deploy Bot',
  state: 'active',
  locked: false,
  avatar_url: null,
  web_url: `${GITLAB}/deploy-bot`,
};

function pipelineJson(id: number, sha: string, status = 'success', duration: number | null = 312.4) {
  return {
    id,
    iid: id - 5000,
    project_id: 278964,
    sha,
    ref: 'main',
    status,
    source: 'api',
    before_sha: '0000000000000000000000000000000000000000',
    tag: false,
    yaml_errors: null,
    user,
    created_at: '2024-05-02T09:10:02.101Z',
    updated_at: '2024-05-02T09:15:20.733Z',
    started_at: status === 'created' ? null : '2024-05-02T09:10:05.004Z',
    finished_at: duration === null ? null : '2024-05-02T09:15:17.404Z',
    committed_at: null,
    duration,
    queued_duration: duration === null ? null : 2.9,
    coverage: null,
    web_url: `${GITLAB}/${PROJECT}/-/pipelines/${id}`,
    detailed_status: {
      icon: `status_${status}`,
      text: status,
      label: status,
      group: status,
      tooltip: status,
      has_details: true,
      details_path: `/${PROJECT}/-/pipelines/${id}`,
      illustration: null,
      favicon: `/assets/ci_favicons/favicon_status_${status}.png`,
    },
  };
}

function jobJson(id: number, sha: string, status = 'success', duration: number | null = 83.4, failureReason?: string) {
  return {
    id,
    name: 'deploy:production',
    stage: 'deploy',
    status,
    ...(failureReason ? { failure_reason: failureReason } : {}),
    ref: 'main',
    tag: false,
    coverage: null,
    allow_failure: false,
    archived: false,
    created_at: '2024-05-02T09:12:00.000Z',
    started_at: duration === null ? null : '2024-05-02T09:12:03.512Z',
    finished_at: duration === null ? null : '2024-05-02T09:13:26.912Z',
    erased_at: null,
    duration,
    queued_duration: duration === null ? null : 1.2,
    user,
    commit: {
      id: sha,
      short_id: sha.slice(0, 8),
      title: 'Release payment-service',
      message: 'Release payment-service\n',
      author_name: 'Ada',
      author_email: 'ada@example.com',
      created_at: '2024-05-01T17:00:00.000+00:00',
    },
    pipeline: { id: id + 5000, iid: id, project_id: 278964, sha, ref: 'main', status, source: 'push' },
    web_url: `${GITLAB}/${PROJECT}/-/jobs/${id}`,
    project: { ci_job_token_scope_enabled: false },
    artifacts: [],
    artifacts_expire_at: null,
    runner: null,
    tag_list: ['deploy'],
  };
}

function deploymentJson(d: { id: number; iid: number; sha: string; jobId: number | null }) {
  return {
    id: d.id,
    iid: d.iid,
    ref: 'main',
    sha: d.sha,
    status: 'success',
    created_at: '2024-05-02T09:12:00.000Z',
    updated_at: '2024-05-02T09:13:27.101Z',
    user,
    environment: { id: 9, name: 'production', slug: 'production', external_url: 'https://pay.example.com', state: 'available', tier: 'production' },
    deployable: d.jobId === null ? null : jobJson(d.jobId, d.sha),
    pending_approval_count: 0,
    approvals: [],
  };
}

/** Newest first, as GitLab lists them with order_by=id&sort=desc: #42 redeployed #41's sha. */
const HISTORY = [
  deploymentJson({ id: 4242, iid: 42, sha: SHA_A, jobId: 1003 }),
  deploymentJson({ id: 4141, iid: 41, sha: SHA_A, jobId: 1002 }),
  deploymentJson({ id: 4040, iid: 40, sha: SHA_B, jobId: 1001 }),
  deploymentJson({ id: 3939, iid: 39, sha: SHA_C, jobId: 1000 }),
];

// --- harness ---

const retryJob: GitlabSettings = { project: PROJECT, environment: 'production', rollback: 'retry-job', variables: {} };
const viaPipeline: GitlabSettings = {
  project: PROJECT,
  environment: 'production',
  rollback: 'pipeline',
  ref: 'main',
  variables: { DEPLOY_ENV: 'production' },
};

interface Harness {
  executor: GitlabRollbackExecutor;
  logs: Array<Record<string, unknown>>;
}

function harness(settings: GitlabSettings | null = retryJob, extra: Partial<GitlabRollbackExecutorOptions> = {}): Harness {
  const logs: Array<Record<string, unknown>> = [];
  const log: Logger = pino({ level: 'debug' }, { write: (line: string) => void logs.push(JSON.parse(line) as Record<string, unknown>) });
  const executor = new GitlabRollbackExecutor({
    url: `${GITLAB}/`,
    token: TOKEN,
    services: (name) => (name === 'payment' ? (settings ?? undefined) : undefined),
    log,
    retry: { attempts: 3, baseDelayMs: 5 },
    ...extra,
  });
  return { executor, logs };
}

function gitlab() {
  return http.scope(GITLAB, { reqheaders: { 'private-token': TOKEN } });
}

/** The deployments list, with a Link to a next page that plan() must not follow. */
function deploymentsReply(scope: nock.Scope, body: unknown[]) {
  return scope
    .get(`${API}/deployments`)
    .query(DEPLOYMENTS_QUERY)
    .reply(200, body, {
      'Content-Type': 'application/json',
      Link: `<${GITLAB}${API}/deployments?environment=production&order_by=id&page=2&per_page=20&sort=desc&status=success>; rel="next"`,
      'X-Next-Page': '2',
      'X-Page': '1',
      'X-Per-Page': '20',
    });
}

async function refusalOf(promise: Promise<unknown>): Promise<ExecutorRefusal> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ExecutorRefusal);
  return error as ExecutorRefusal;
}

// --- plan ---

describe('plan', () => {
  it('retry-job: picks the latest successful deployment with another sha, in one request', async () => {
    const { executor } = harness();
    const scope = deploymentsReply(gitlab(), HISTORY);

    const plan = await executor.plan({ kind: 'rollback', service: 'payment' });

    expect(plan).toEqual({
      executor: 'gitlab',
      service: 'payment',
      title: 'roll back payment',
      summary: [
        'service: payment',
        'environment: production',
        `project: ${PROJECT}`,
        'strategy: retry-job',
        'from: deployment #42, sha a1b2c3d4 (main)',
        'to: deployment #40, sha b7c8d9e0 (main), job #1001',
      ],
      params: {
        project: PROJECT,
        environment: 'production',
        strategy: 'retry-job',
        fromDeploymentId: '4242',
        fromSha: SHA_A,
        targetDeploymentId: '4040',
        targetDeploymentIid: '40',
        targetSha: SHA_B,
        targetRef: 'main',
        targetJobId: '1001',
      },
    });
    expect(scope.isDone()).toBe(true);
  });

  it.each([
    ['a sha prefix', 'c0ffee0', 'deployment #39', '1000'],
    ['a full sha in capitals', SHA_C.toUpperCase(), 'deployment #39', '1000'],
    ['a deployment number as GitLab shows it', '#40', 'deployment #40', '1001'],
    ['a deployment id', '3939', 'deployment #39', '1000'],
  ])('retry-job: takes the target the requester named by %s', async (_, target, expected, jobId) => {
    const { executor } = harness();
    const scope = deploymentsReply(gitlab(), HISTORY);

    const plan = await executor.plan({ kind: 'rollback', service: 'payment', target });

    expect(plan.summary.at(-1)).toBe(`to: ${expected}, sha ${jobId === '1000' ? 'c0ffee00' : 'b7c8d9e0'} (main), job #${jobId}`);
    expect(plan.params.targetJobId).toBe(jobId);
    expect(scope.isDone()).toBe(true);
  });

  it.each([
    ['the current sha', 'a1b2c3d', /is deployment #42, sha a1b2c3d4 \(main\), which is what production runs now/],
    ['a sha not among the last deployments', 'deadbee', /None of the last 4 successful deployments of shop\/payment-service to production is deadbee/],
    ['something that is neither', 'main', /main is neither a deployment number nor a sha/],
  ])('refuses a named target that is %s', async (_, target, message) => {
    const { executor } = harness();
    const scope = deploymentsReply(gitlab(), HISTORY);

    const refusal = await refusalOf(executor.plan({ kind: 'rollback', service: 'payment', target }));

    expect(refusal.message).toMatch(message);
    expect(scope.isDone()).toBe(true);
  });

  it('refuses when every recent successful deployment is the current sha', async () => {
    const { executor } = harness();
    const scope = deploymentsReply(gitlab(), HISTORY.slice(0, 2));

    const refusal = await refusalOf(executor.plan({ kind: 'rollback', service: 'payment' }));

    expect(refusal.message).toBe(
      'No earlier version of shop/payment-service was deployed successfully to production ' +
        '(the last 2 successful deployments are all sha a1b2c3d4), so there is nothing to roll back to',
    );
    expect(scope.isDone()).toBe(true);
  });

  it('refuses when the environment has no successful deployment at all', async () => {
    const { executor } = harness();
    const scope = deploymentsReply(gitlab(), []);

    const refusal = await refusalOf(executor.plan({ kind: 'rollback', service: 'payment' }));

    expect(refusal.message).toMatch(/GitLab has no successful deployment of shop\/payment-service to production.*gitlab\.environment/);
    expect(scope.isDone()).toBe(true);
  });

  it('refuses a service without a gitlab section, without calling GitLab', async () => {
    const { executor } = harness(null);
    const refusal = await refusalOf(executor.plan({ kind: 'rollback', service: 'payment' }));
    expect(refusal.message).toBe('Service payment has no gitlab section in services.yaml, so it cannot be rolled back through GitLab');
  });

  it('retry-job: refuses a target deployment that has no job (recorded through the API)', async () => {
    const { executor } = harness();
    const scope = deploymentsReply(gitlab(), [HISTORY[0], deploymentJson({ id: 4000, iid: 40, sha: SHA_B, jobId: null })]);

    const refusal = await refusalOf(executor.plan({ kind: 'rollback', service: 'payment' }));

    expect(refusal.message).toMatch(/Deployment #40 .* has no job to retry .*gitlab\.rollback to "pipeline"/);
    expect(scope.isDone()).toBe(true);
  });

  it('pipeline: shows the ref, the full sha and the variable names', async () => {
    const { executor } = harness(viaPipeline);
    const scope = deploymentsReply(gitlab(), HISTORY);

    const plan = await executor.plan({ kind: 'rollback', service: 'payment' });

    expect(plan.summary).toEqual([
      'service: payment',
      'environment: production',
      `project: ${PROJECT}`,
      'strategy: pipeline',
      'from: deployment #42, sha a1b2c3d4 (main)',
      `to: pipeline on main with ROLLBACK_TO_SHA=${SHA_B}`,
      'target: deployment #40, sha b7c8d9e0 (main)',
      'variables: DEPLOY_ENV, ROLLBACK_TO_SHA',
    ]);
    expect(plan.params).toMatchObject({ strategy: 'pipeline', ref: 'main', targetSha: SHA_B });
    expect(JSON.parse(plan.params.variables ?? '')).toEqual({ DEPLOY_ENV: 'production', ROLLBACK_TO_SHA: SHA_B });
    expect(scope.isDone()).toBe(true);
  });
});

// --- GitLab failures ---

describe('GitLab failures', () => {
  it('404 for the project: an ExecutorRefusal a person can act on, not retried, with the cause kept', async () => {
    const { executor } = harness();
    const scope = gitlab()
      .get(`${API}/deployments`)
      .query(DEPLOYMENTS_QUERY)
      .reply(404, { message: '404 Project Not Found' }, { 'Content-Type': 'application/json' });

    const refusal = await refusalOf(executor.plan({ kind: 'rollback', service: 'payment' }));

    expect(refusal.message).toBe(
      'GitLab project shop/payment-service not found (404 Project Not Found): ' + 'check gitlab.project in services.yaml and that GITLAB_TOKEN can read it',
    );
    expect((refusal.cause as Error).name).toBe('GitbeakerRequestError');
    expect(scope.isDone()).toBe(true);
  });

  it('a refusal logged with its cause does not carry the token', async () => {
    const { executor, logs } = harness();
    const scope = gitlab().get(`${API}/deployments`).query(DEPLOYMENTS_QUERY).reply(403, { message: '403 Forbidden' });

    const refusal = await refusalOf(executor.plan({ kind: 'rollback', service: 'payment' }));
    pino({}, { write: (line: string) => void logs.push({ line }) }).error({ err: refusal }, 'Rollback refused');

    expect(refusal.message).toMatch(/^GitLab refused to list the successful deployments to production in shop\/payment-service \(403 Forbidden\)/);
    expect(JSON.stringify(logs)).not.toContain(TOKEN);
    expect(scope.isDone()).toBe(true);
  });

  it('500 then success: the GET is retried with backoff and succeeds', async () => {
    const { executor, logs } = harness();
    const scope = gitlab()
      .get(`${API}/deployments`)
      .query(DEPLOYMENTS_QUERY)
      .reply(500, { message: '500 Internal Server Error' }, { 'Content-Type': 'application/json' });
    deploymentsReply(scope, HISTORY);

    const plan = await executor.plan({ kind: 'rollback', service: 'payment' });

    expect(plan.params.targetJobId).toBe('1001');
    expect(logs.filter((l) => l.msg === 'GitLab request failed; retrying')).toMatchObject([{ reason: 'status 500', attempt: 1, delayMs: 5 }]);
    expect(scope.isDone()).toBe(true);
  });

  it('429 with Retry-After: waits as long as GitLab asks, then succeeds', async () => {
    const { executor, logs } = harness();
    const scope = gitlab()
      .get(`${API}/deployments`)
      .query(DEPLOYMENTS_QUERY)
      .reply(429, 'Retry later\n', { 'Content-Type': 'text/plain', 'Retry-After': '1', 'RateLimit-Limit': '600', 'RateLimit-Remaining': '0' });
    deploymentsReply(scope, HISTORY);

    const started = Date.now();
    const plan = await executor.plan({ kind: 'rollback', service: 'payment' });

    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    expect(plan.params.targetSha).toBe(SHA_B);
    expect(logs.filter((l) => l.msg === 'GitLab request failed; retrying')).toMatchObject([{ reason: 'status 429', delayMs: 1000 }]);
    expect(scope.isDone()).toBe(true);
  });

  it('5xx on every attempt: GitlabUnavailableError (transient) after the configured attempts', async () => {
    const { executor } = harness();
    const scope = gitlab().get(`${API}/deployments`).query(DEPLOYMENTS_QUERY).times(3).reply(503, 'Service Unavailable');

    const error = await executor.plan({ kind: 'rollback', service: 'payment' }).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(GitlabUnavailableError);
    expect(error).not.toBeInstanceOf(ExecutorRefusal);
    expect((error as Error).message).toMatch(/GitLab failed 3 times \(last: status 503\)/);
    expect(scope.isDone()).toBe(true);
  });

  it('a GET that times out is retried', async () => {
    const { executor } = harness(retryJob, { requestTimeoutMs: 100 });
    const scope = gitlab().get(`${API}/deployments`).query(DEPLOYMENTS_QUERY).delay(500).reply(200, []);
    deploymentsReply(scope, HISTORY);

    const plan = await executor.plan({ kind: 'rollback', service: 'payment' });

    expect(plan.params.targetJobId).toBe('1001');
    expect(scope.isDone()).toBe(true);
  });
});

// --- run ---

async function planned(settings: GitlabSettings): Promise<ExecutionPlan> {
  const { executor } = harness(settings);
  const scope = deploymentsReply(gitlab(), HISTORY);
  const plan = await executor.plan({ kind: 'rollback', service: 'payment' });
  expect(scope.isDone()).toBe(true);
  return plan;
}

/** What run() is told by the actions layer: the action's id (a rollback reports no steps while it runs). */
function runContext(): RunContext {
  return { actionId: '7', report: async () => {}, stoppedByPause: async () => {} };
}

/** A job as GitLab shows it, in pipeline 6001: the deploy job of deployment #40 and its retries. */
function pipelineJobJson(id: number, createdAt: string) {
  return {
    ...jobJson(id, SHA_B, id === 1001 ? 'success' : 'pending', null),
    created_at: createdAt,
    pipeline: { id: 6001, project_id: 278964, sha: SHA_B, ref: 'main', status: 'running' },
  };
}

describe('run', () => {
  it('retry-job: makes exactly one retry call, for the target deployment’s job', async () => {
    const plan = await planned(retryJob);
    const { executor, logs } = harness();
    const scope = gitlab()
      .post(`${API}/jobs/1001/retry`)
      .once()
      .reply(201, jobJson(1004, SHA_B, 'pending', null));

    const handle = await executor.run(plan, runContext());

    expect(handle).toEqual({ id: '1004', url: `${GITLAB}/${PROJECT}/-/jobs/1004`, params: { kind: 'job', project: PROJECT } });
    expect(logs.find((l) => l.msg === 'GitLab rollback job started')).toMatchObject({ retriedJobId: 1001, jobId: 1004, service: 'payment' });
    expect(scope.isDone()).toBe(true);
  });

  it('pipeline: posts the ref and the variables, ROLLBACK_TO_SHA included', async () => {
    const plan = await planned(viaPipeline);
    const { executor } = harness(viaPipeline);
    const scope = gitlab()
      .post(`${API}/pipeline`, {
        ref: 'main',
        variables: [
          { key: 'DEPLOY_ENV', value: 'production', variable_type: 'env_var' },
          { key: 'ROLLBACK_TO_SHA', value: SHA_B, variable_type: 'env_var' },
          { key: 'CHATOPS_ACTION_ID', value: '7', variable_type: 'env_var' },
        ],
      })
      .reply(201, pipelineJson(9061, SHA_B, 'created', null));

    const handle = await executor.run(plan, runContext());

    expect(handle).toEqual({ id: '9061', url: `${GITLAB}/${PROJECT}/-/pipelines/9061`, params: { kind: 'pipeline', project: PROJECT } });
    expect(scope.isDone()).toBe(true);
  });

  it('a POST answered 503 is not sent again: the job GitLab made anyway is found in the retried job’s pipeline, and tracked', async () => {
    const plan = await planned(retryJob);
    const { executor, logs } = harness(retryJob, { lookup: { windowMs: 0 } });
    const now = new Date().toISOString();
    const scope = gitlab()
      .post(`${API}/jobs/1001/retry`)
      .once()
      .reply(503, 'Service Unavailable')
      .get(`${API}/jobs/1001`)
      .reply(200, pipelineJobJson(1001, '2024-05-02T09:12:00.000Z'))
      .get(`${API}/pipelines/6001/jobs`)
      .query({ include_retried: 'true', per_page: '100', page: '1' })
      // Newest first: a later job of another name, the retry, and the job retried.
      .reply(200, [{ ...pipelineJobJson(1005, now), name: 'smoke-test' }, pipelineJobJson(1004, now), pipelineJobJson(1001, '2024-05-02T09:12:00.000Z')]);

    const handle = await executor.run(plan, runContext());

    expect(handle).toEqual({ id: '1004', url: `${GITLAB}/${PROJECT}/-/jobs/1004`, params: { kind: 'job', project: PROJECT } });
    expect(logs.find((l) => l.msg === 'GitLab did not confirm the rollback start, but made its run: tracking it')).toMatchObject({
      what: 'answered 503',
      kind: 'job',
      id: 1004,
      actionId: '7',
    });
    expect(scope.isDone()).toBe(true);
  });

  it('a POST that times out is not sent again: when no job appears, the outcome is unknown and a person must look', async () => {
    const plan = await planned(retryJob);
    const { executor } = harness(retryJob, { requestTimeoutMs: 100, lookup: { windowMs: 0 } });
    const scope = gitlab()
      .post(`${API}/jobs/1001/retry`)
      .once()
      .delay(500)
      .reply(201, jobJson(1004, SHA_B, 'pending', null))
      .get(`${API}/jobs/1001`)
      .reply(200, pipelineJobJson(1001, '2024-05-02T09:12:00.000Z'))
      .get(`${API}/pipelines/6001/jobs`)
      .query(true)
      .reply(200, [pipelineJobJson(1001, '2024-05-02T09:12:00.000Z')]);

    const error = await executor.run(plan, runContext()).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(GitlabOutcomeUnknown);
    expect(error).toBeInstanceOf(ExecutorRefusal);
    expect((error as Error).message).toBe(
      'Outcome unknown: GitLab did not answer (timeout) when asked to retry job #1001 (the deploy job of deployment #40) in shop/payment-service, ' +
        `and no job it could have started appeared within 0 ms. The request was not sent again: check ${GITLAB}/${PROJECT}/-/jobs ` +
        'and request the rollback again only if no new job runs there.',
    );
    expect(scope.isDone()).toBe(true);
  });

  it('a look GitLab refuses ends the look at once, and the outcome unknown says why', async () => {
    const plan = await planned(viaPipeline);
    const { executor } = harness(viaPipeline, { lookup: { windowMs: 60_000, intervalMs: 10 } });
    const scope = gitlab()
      .post(`${API}/pipeline`)
      .once()
      .reply(500, { message: '500 Internal Server Error' })
      .get(`${API}/pipelines`)
      .query((q) => q.ref === 'main' && q.order_by === 'id' && q.sort === 'desc' && typeof q.updated_after === 'string')
      .reply(200, [{ ...pipelineJson(9061, SHA_B, 'created', null), created_at: new Date().toISOString() }])
      .get(`${API}/pipelines/9061/variables`)
      .reply(403, { message: '403 Forbidden' });

    const started = Date.now();
    const error = await executor.run(plan, runContext()).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(GitlabOutcomeUnknown);
    expect((error as Error).message).toBe(
      'Outcome unknown: GitLab answered 500 when asked to run a pipeline on main in shop/payment-service, and the bot could not look for what it made: ' +
        'GitLab refused to read the variables of pipeline #9061 in shop/payment-service (403 Forbidden): ' +
        'the user of GITLAB_TOKEN lacks the permission (it needs the api scope, at least the Developer role, and the right to deploy if the environment is protected). ' +
        `The request was not sent again: check ${GITLAB}/${PROJECT}/-/pipelines and request the rollback again only if no new pipeline runs there.`,
    );
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(scope.isDone()).toBe(true);
  });

  it('403 on the retry: an ExecutorRefusal that names the permission problem', async () => {
    const plan = await planned(retryJob);
    const { executor } = harness();
    const scope = gitlab().post(`${API}/jobs/1001/retry`).reply(403, { message: '403 Forbidden' });

    const refusal = await refusalOf(executor.run(plan, runContext()));

    expect(refusal.message).toMatch(/^GitLab refused to retry job #1001 .* \(403 Forbidden\): the user of GITLAB_TOKEN lacks the permission/);
    expect(scope.isDone()).toBe(true);
  });

  it('400 on the pipeline: the refusal carries GitLab’s reason and what to check', async () => {
    const plan = await planned(viaPipeline);
    const { executor } = harness(viaPipeline);
    const scope = gitlab()
      .post(`${API}/pipeline`)
      .reply(400, { message: { base: ['Reference not found'] } });

    const refusal = await refusalOf(executor.run(plan, runContext()));

    expect(refusal.message).toBe(
      'GitLab rejected the request to run a pipeline on main in shop/payment-service (400 {"base":["Reference not found"]}): ' +
        'check gitlab.ref and gitlab.variables in services.yaml, and that the ref exists',
    );
    expect(scope.isDone()).toBe(true);
  });

  it('refuses a plan that is not a GitLab plan, without calling GitLab', async () => {
    const { executor } = harness();
    const refusal = await refusalOf(executor.run({ executor: 'fleet', service: 'payment', title: 'x', summary: [], params: {} }, runContext()));
    expect(refusal.message).toMatch(/cannot be run by the GitLab executor/);
  });
});

// --- status ---

describe('status', () => {
  const jobHandle = { id: '1004', url: `${GITLAB}/${PROJECT}/-/jobs/1004`, params: { kind: 'job', project: PROJECT } };
  const pipelineHandle = { id: '9061', url: `${GITLAB}/${PROJECT}/-/pipelines/9061`, params: { kind: 'pipeline', project: PROJECT } };
  /** status() reads the run from its handle; the plan only has to be the one it came from. */
  const plan: ExecutionPlan = { executor: 'gitlab', service: 'payment', title: 'roll back payment', summary: [], params: { project: PROJECT } };

  const IN_PROGRESS = ['created', 'pending', 'running', 'waiting_for_resource', 'preparing', 'scheduled', 'manual'];

  it.each<[string, number | null, string | undefined, RunStatus]>([
    ['success', 83.4, undefined, { state: 'succeeded', detail: 'job #1004 success after 1 minute 23 seconds' }],
    ['failed', 42, 'script_failure', { state: 'failed', detail: 'job #1004 failed (script_failure) after 42 seconds' }],
    ['failed', 0.2, 'forward_deployment_failure', { state: 'failed', detail: 'job #1004 failed (forward_deployment_failure) after 200 ms' }],
    ['canceled', 12, undefined, { state: 'failed', detail: 'job #1004 canceled after 12 seconds' }],
    ['skipped', null, undefined, { state: 'failed', detail: 'job #1004 skipped' }],
    ...IN_PROGRESS.map((status): [string, null, undefined, RunStatus] => [status, null, undefined, { state: 'running' }]),
  ])('job %s (duration %s, %s) -> %j', async (status, duration, reason, expected) => {
    const { executor } = harness();
    const scope = gitlab()
      .get(`${API}/jobs/1004`)
      .reply(200, jobJson(1004, SHA_B, status, duration, reason));

    expect(await executor.status(plan, jobHandle)).toEqual(expected);
    expect(scope.isDone()).toBe(true);
  });

  it.each<[string, number | null, RunStatus]>([
    ['success', 312.4, { state: 'succeeded', detail: 'pipeline #9061 success after 5 minutes 12 seconds' }],
    ['failed', 3725, { state: 'failed', detail: 'pipeline #9061 failed after 1 hour 2 minutes' }],
    ['canceled', null, { state: 'failed', detail: 'pipeline #9061 canceled' }],
    ['skipped', null, { state: 'failed', detail: 'pipeline #9061 skipped' }],
    ...IN_PROGRESS.map((status): [string, null, RunStatus] => [status, null, { state: 'running' }]),
  ])('pipeline %s (duration %s) -> %j', async (status, duration, expected) => {
    const { executor } = harness(viaPipeline);
    const scope = gitlab()
      .get(`${API}/pipelines/9061`)
      .reply(200, pipelineJson(9061, SHA_B, status, duration));

    expect(await executor.status(plan, pipelineHandle)).toEqual(expected);
    expect(scope.isDone()).toBe(true);
  });

  it('a status read that fails with 502 is retried', async () => {
    const { executor } = harness();
    const scope = gitlab()
      .get(`${API}/jobs/1004`)
      .reply(502, '<html><body>502 Bad Gateway</body></html>', { 'Content-Type': 'text/html' })
      .get(`${API}/jobs/1004`)
      .reply(200, jobJson(1004, SHA_B, 'running', null));

    expect(await executor.status(plan, jobHandle)).toEqual({ state: 'running' });
    expect(scope.isDone()).toBe(true);
  });
});
