/**
 * Rolls a service back through GitLab, in one of two ways chosen per service in services.yaml:
 * - retry-job: retry the deploy job of the previous successful deployment to the environment
 *   (what GitLab's own "Rollback environment" button does);
 * - pipeline: run a pipeline on the configured ref with ROLLBACK_TO_SHA set to that deployment's
 *   sha, plus the configured variables.
 * Everything is resolved in plan(), so approvers approve exact parameters; run() only executes
 * them and status() only reads.
 */
import type { Logger } from 'pino';
import { z } from 'zod';
import {
  ExecutorRefusal,
  type ExecutionPlan,
  type Executor,
  type PlanRequest,
  type RunHandle,
  type RunStatus,
} from '../actions/executor.js';
import { formatDuration } from '../config/duration.js';
import type { GitlabSettings } from '../services/schema.js';
import {
  createGitlabApi,
  DEFAULT_RETRY,
  projectWebUrl,
  withRetry,
  type GitlabApi,
  type GitlabOperation,
  type RetryPolicy,
} from './client.js';
import {
  GitlabDeployments,
  GitlabJob,
  GitlabPipeline,
  GitlabPlanParams,
  GitlabRunParams,
  GitlabStarted,
  PipelineVariables,
} from './schema.js';
import { chooseTarget, describeDeployment } from './rollback-target.js';
import { statusOutcome } from './status.js';

export { GitlabOutcomeUnknown, GitlabUnavailableError, classifyGitlabError } from './client.js';

export const GITLAB_EXECUTOR = 'gitlab';

/** How many recent successful deployments plan() reads (one request): the choice of targets. */
export const DEPLOYMENTS_CONSIDERED = 20;

export interface GitlabRollbackExecutorOptions {
  /** GitLab's base URL, e.g. https://gitlab.example.com (no /api/v4). */
  url: string;
  token: string;
  /** The gitlab section of a service in services.yaml, if it has one. */
  services: (name: string) => GitlabSettings | undefined;
  log: Logger;
  retry?: { attempts?: number; baseDelayMs?: number; maxDelayMs?: number };
  /** Per HTTP request; gitbeaker's own default is five minutes. */
  requestTimeoutMs?: number;
}

export class GitlabRollbackExecutor implements Executor {
  private readonly api: GitlabApi;
  private readonly services: (name: string) => GitlabSettings | undefined;
  private readonly log: Logger;
  private readonly retry: RetryPolicy;

  constructor(options: GitlabRollbackExecutorOptions) {
    this.api = createGitlabApi({
      url: options.url,
      token: options.token,
      ...(options.requestTimeoutMs === undefined ? {} : { requestTimeoutMs: options.requestTimeoutMs }),
    });
    this.services = options.services;
    this.log = options.log.child({ component: 'gitlab' });
    this.retry = { ...DEFAULT_RETRY, ...definedOnly(options.retry ?? {}) };
  }

  async plan(request: PlanRequest): Promise<ExecutionPlan> {
    if (request.kind !== 'rollback') throw new ExecutorRefusal(`The GitLab rollback executor cannot run a ${request.kind} action`);
    const settings = this.services(request.service);
    if (!settings) {
      throw new ExecutorRefusal(
        `Service ${request.service} has no gitlab section in services.yaml, so it cannot be rolled back through GitLab`,
      );
    }
    const { project, environment, rollback: strategy } = settings;
    const listed = await this.call(
      { method: 'GET', action: `list the successful deployments to ${environment}`, project },
      () =>
        this.api.Deployments.all(project, {
          environment,
          status: 'success',
          orderBy: 'id',
          sort: 'desc',
          perPage: DEPLOYMENTS_CONSIDERED,
          // With `page` set, gitbeaker does not follow the Link header: one request.
          page: 1,
        }),
    );
    const deployments = parseAnswer(GitlabDeployments, listed, `the deployments of ${project}`);
    const { current, target } = chooseTarget(deployments, { project, environment, target: request.target });

    const summary = [
      `service: ${request.service}`,
      `environment: ${environment}`,
      `project: ${project}`,
      `strategy: ${strategy}`,
      `from: ${describeDeployment(current)}`,
    ];
    const common = {
      project,
      environment,
      fromDeploymentId: String(current.id),
      fromSha: current.sha,
      targetDeploymentId: String(target.id),
      targetDeploymentIid: String(target.iid),
      targetSha: target.sha,
      targetRef: target.ref,
    };

    if (strategy === 'retry-job') {
      if (!target.deployable) {
        throw new ExecutorRefusal(
          `Deployment #${target.iid} of ${project} to ${environment} has no job to retry (it was recorded through the API); ` +
            'set gitlab.rollback to "pipeline" in services.yaml to roll back with a pipeline instead',
        );
      }
      summary.push(`to: ${describeDeployment(target)}, job #${target.deployable.id}`);
      const params: GitlabPlanParams = { ...common, strategy, targetJobId: String(target.deployable.id) };
      return { executor: GITLAB_EXECUTOR, service: request.service, title: `roll back ${request.service}`, summary, params };
    }

    if (!settings.ref) {
      throw new ExecutorRefusal(`Service ${request.service} rolls back with a pipeline but has no gitlab.ref in services.yaml`);
    }
    // Ours wins over a configured ROLLBACK_TO_SHA: the target is what approvers approve.
    const variables = { ...settings.variables, ROLLBACK_TO_SHA: target.sha };
    summary.push(
      `to: pipeline on ${settings.ref} with ROLLBACK_TO_SHA=${target.sha}`,
      `target: ${describeDeployment(target)}`,
      `variables: ${Object.keys(variables).sort().join(', ')}`,
    );
    const params: GitlabPlanParams = { ...common, strategy, ref: settings.ref, variables: JSON.stringify(variables) };
    return { executor: GITLAB_EXECUTOR, service: request.service, title: `roll back ${request.service}`, summary, params };
  }

  /**
   * Starts the rollback: one POST. The caller calls it once per approved action; this method
   * never sends the POST again after a timeout (see withRetry), so it cannot start two runs.
   */
  async run(plan: ExecutionPlan): Promise<RunHandle> {
    const params = readPlan(plan);
    const { project } = params;
    const log = this.log.child({ service: plan.service, project });

    if (params.strategy === 'retry-job') {
      const jobId = Number(params.targetJobId);
      const started = await this.call(
        {
          method: 'POST',
          action: `retry job #${jobId} (the deploy job of deployment #${params.targetDeploymentIid})`,
          project,
          object: `job #${jobId}`,
          checkUrl: `${this.projectUrl(project)}/-/jobs`,
        },
        () => this.api.Jobs.retry(project, jobId),
      );
      const job = parseStarted(started, `the retry of job #${jobId}`);
      log.info({ retriedJobId: jobId, jobId: job.id, sha: params.targetSha }, 'GitLab rollback job started');
      return { id: String(job.id), url: job.web_url, params: { kind: 'job', project } };
    }

    const variables = parseVariables(params.variables);
    const started = await this.call(
      {
        method: 'POST',
        action: `run a pipeline on ${params.ref}`,
        project,
        hint: 'check gitlab.ref and gitlab.variables in services.yaml, and that the ref exists',
        checkUrl: `${this.projectUrl(project)}/-/pipelines`,
      },
      () =>
        this.api.Pipelines.create(project, params.ref, {
          variables: Object.entries(variables).map(([key, value]) => ({ key, value, variable_type: 'env_var' })),
        }),
    );
    const pipeline = parseStarted(started, `the pipeline on ${params.ref}`);
    log.info({ pipelineId: pipeline.id, ref: params.ref, sha: params.targetSha }, 'GitLab rollback pipeline started');
    return { id: String(pipeline.id), url: pipeline.web_url, params: { kind: 'pipeline', project } };
  }

  async status(plan: ExecutionPlan, handle: RunHandle): Promise<RunStatus> {
    const parsed = GitlabRunParams.safeParse({ project: plan.params.project, ...handle.params });
    const id = Number(handle.id);
    if (!parsed.success || !Number.isSafeInteger(id) || id <= 0) {
      throw new ExecutorRefusal(`Run ${handle.id} is not a GitLab job or pipeline this bot started (${handle.url || 'no url'})`);
    }
    const { kind, project } = parsed.data;
    if (kind === 'job') {
      const answer = await this.call({ method: 'GET', action: `read job #${id}`, project, object: `job #${id}` }, () =>
        this.api.Jobs.show(project, id),
      );
      const job = parseAnswer(GitlabJob, answer, `job #${id}`);
      return this.toRunStatus(`job #${id}`, job.status, job.duration, job.failure_reason);
    }
    const answer = await this.call({ method: 'GET', action: `read pipeline #${id}`, project, object: `pipeline #${id}` }, () =>
      this.api.Pipelines.show(project, id),
    );
    const pipeline = parseAnswer(GitlabPipeline, answer, `pipeline #${id}`);
    return this.toRunStatus(`pipeline #${id}`, pipeline.status, pipeline.duration, undefined);
  }

  private toRunStatus(what: string, status: string, duration: number | null | undefined, reason: string | null | undefined): RunStatus {
    const outcome = statusOutcome(status);
    if (outcome === 'running') return { state: 'running' };
    // GitLab counts in seconds.
    const took = typeof duration === 'number' ? ` after ${formatDuration(duration * 1000)}` : '';
    if (outcome === 'succeeded') return { state: 'succeeded', detail: `${what} ${status}${took}` };
    if (outcome === 'failed') return { state: 'failed', detail: `${what} ${status}${reason ? ` (${reason})` : ''}${took}` };
    // A status this code does not know (GitLab adds some now and then): keep polling, and say so.
    this.log.warn({ what, status }, 'Unknown GitLab status; treating it as still running');
    return { state: 'running' };
  }

  private call<T>(op: GitlabOperation, fn: () => Promise<T>): Promise<T> {
    return withRetry(op, this.retry, this.log, fn);
  }

  private projectUrl(project: string): string {
    return projectWebUrl(this.api, project);
  }
}

function readPlan(plan: ExecutionPlan): GitlabPlanParams {
  const parsed = GitlabPlanParams.safeParse(plan.params);
  if (plan.executor !== GITLAB_EXECUTOR || !parsed.success) {
    throw new ExecutorRefusal(`This ${plan.executor} plan for ${plan.service} cannot be run by the GitLab executor; plan it again`, {
      cause: parsed.error,
    });
  }
  return parsed.data;
}

function parseVariables(json: string): Record<string, string> {
  try {
    return PipelineVariables.parse(JSON.parse(json));
  } catch (error) {
    throw new ExecutorRefusal('The stored pipeline variables of this plan are unreadable; plan it again', { cause: error });
  }
}

/** A GET answer in an unexpected shape will not fix itself by retrying: refuse, with the reason. */
function parseAnswer<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    throw new ExecutorRefusal(`GitLab answered with ${what} in an unexpected shape: ${z.prettifyError(parsed.error)}`, { cause: parsed.error });
  }
  return parsed.data;
}

/** After a POST succeeded, something did start: say so rather than let anyone start it again. */
function parseStarted(value: unknown, what: string): z.output<typeof GitlabStarted> {
  const parsed = GitlabStarted.safeParse(value);
  if (!parsed.success) {
    throw new ExecutorRefusal(`GitLab started ${what} but answered without its id and page; check GitLab for it before trying again`, {
      cause: parsed.error,
    });
  }
  return parsed.data;
}

function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
