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
import { ExecutorRefusal, type ExecutionPlan, type Executor, type PlanRequest, type RunContext, type RunHandle, type RunStatus } from '../actions/executor.js';
import { formatDuration } from '../config/duration.js';
import type { GitlabSettings } from '../services/schema.js';
import { createGitlabApi, DEFAULT_RETRY, projectWebUrl, withRetry, type GitlabApi, type GitlabRead, type RetryPolicy } from './client.js';
import { DEFAULT_LOOKUP, type LookupPolicy } from './lookup.js';
import { GitlabDeployments, GitlabJob, GitlabPipeline, GitlabPlanParams, GitlabRunParams } from './schema.js';
import { findLostRollback, startRollback, type StartContext } from './rollback-start.js';
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
  /** How long, and how often, to look for the run of a start GitLab did not confirm. */
  lookup?: Partial<LookupPolicy>;
}

export class GitlabRollbackExecutor implements Executor {
  private readonly api: GitlabApi;
  private readonly services: (name: string) => GitlabSettings | undefined;
  private readonly log: Logger;
  private readonly retry: RetryPolicy;
  private readonly lookup: LookupPolicy;

  constructor(options: GitlabRollbackExecutorOptions) {
    this.api = createGitlabApi({
      url: options.url,
      token: options.token,
      ...(options.requestTimeoutMs === undefined ? {} : { requestTimeoutMs: options.requestTimeoutMs }),
    });
    this.services = options.services;
    this.log = options.log.child({ component: 'gitlab' });
    this.retry = { ...DEFAULT_RETRY, ...definedOnly(options.retry ?? {}) };
    this.lookup = { ...DEFAULT_LOOKUP, ...definedOnly(options.lookup ?? {}) };
  }

  async plan(request: PlanRequest): Promise<ExecutionPlan> {
    if (request.kind !== 'rollback') throw new ExecutorRefusal(`The GitLab rollback executor cannot run a ${request.kind} action`);
    const settings = this.services(request.service);
    if (!settings) {
      throw new ExecutorRefusal(`Service ${request.service} has no gitlab section in services.yaml, so it cannot be rolled back through GitLab`);
    }
    const { project, environment, rollback: strategy } = settings;
    const listed = await this.call({ method: 'GET', action: `list the successful deployments to ${environment}`, project }, () =>
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
   * Starts the rollback: one POST, sent once per approved action (see rollback-start.ts). After
   * an answer that does not say whether GitLab acted, the run is looked for and tracked if it
   * appears; if not, GitlabOutcomeUnknown says where a person checks.
   */
  async run(plan: ExecutionPlan, run: RunContext): Promise<RunHandle> {
    const params = readPlan(plan);
    const handle = await startRollback(this.startContext(params.project), params, run);
    this.logStarted(plan, params, handle);
    return handle;
  }

  /** After a restart, for a start never confirmed: the run it made, looked for and never sent again. */
  async recover(plan: ExecutionPlan, run: RunContext, claimedAt: Date): Promise<RunHandle> {
    const params = readPlan(plan);
    const handle = await findLostRollback(this.startContext(params.project), params, run, claimedAt);
    this.logStarted(plan, params, handle);
    return handle;
  }

  async status(plan: ExecutionPlan, handle: RunHandle): Promise<RunStatus> {
    const parsed = GitlabRunParams.safeParse({ project: plan.params.project, ...handle.params });
    const id = Number(handle.id);
    if (!parsed.success || !Number.isSafeInteger(id) || id <= 0) {
      throw new ExecutorRefusal(`Run ${handle.id} is not a GitLab job or pipeline this bot started (${handle.url || 'no url'})`);
    }
    const { kind, project } = parsed.data;
    if (kind === 'job') {
      const answer = await this.call({ method: 'GET', action: `read job #${id}`, project, object: `job #${id}` }, () => this.api.Jobs.show(project, id));
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

  private call<T>(op: GitlabRead, fn: () => Promise<T>): Promise<T> {
    return withRetry(op, this.retry, this.log, fn);
  }

  private startContext(project: string): StartContext {
    return { api: this.api, retry: this.retry, lookup: this.lookup, log: this.log, projectUrl: this.projectUrl(project) };
  }

  private logStarted(plan: ExecutionPlan, params: GitlabPlanParams, handle: RunHandle): void {
    const log = this.log.child({ service: plan.service, project: params.project });
    if (params.strategy === 'retry-job') {
      log.info({ retriedJobId: Number(params.targetJobId), jobId: Number(handle.id), sha: params.targetSha }, 'GitLab rollback job started');
    } else {
      log.info({ pipelineId: Number(handle.id), ref: params.ref, sha: params.targetSha }, 'GitLab rollback pipeline started');
    }
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

/** A GET answer in an unexpected shape will not fix itself by retrying: refuse, with the reason. */
function parseAnswer<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    throw new ExecutorRefusal(`GitLab answered with ${what} in an unexpected shape: ${z.prettifyError(parsed.error)}`, { cause: parsed.error });
  }
  return parsed.data;
}

function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
