/**
 * How a rollback's run starts in GitLab: one POST (retry the target deployment's job, or create
 * a pipeline on the ref that carries the action's id), sent at most once per claim of the action.
 * When GitLab's answer does not say whether it acted, or the process that sent it died before
 * the answer, the run is looked for (lookup.ts) and tracked if found; it is never sent again.
 */
import type { Logger } from 'pino';
import type { z } from 'zod';
import { ExecutorRefusal, type RunContext, type RunHandle } from '../actions/executor.js';
import { GitlabOutcomeUnknown, withRetry, type GitlabApi, type RetryPolicy } from './client.js';
import { lookFor, markedPipeline, retriedJob, unknownOutcome, type Look, type LookupPolicy, type Reader } from './lookup.js';
import { GitlabStarted, PipelineVariables, type GitlabPlanParams } from './schema.js';
import { sendOnce, type GitlabChange } from './send-once.js';

/** Set on every rollback pipeline: what finds the pipeline again when GitLab did not confirm it. */
export const ACTION_ID_VARIABLE = 'CHATOPS_ACTION_ID';

export interface StartContext {
  api: GitlabApi;
  retry: RetryPolicy;
  lookup: LookupPolicy;
  log: Logger;
  /** The project's page (GitLab's web UI). */
  projectUrl: string;
}

/** One way of starting a rollback, and how to find what it made. */
interface Start {
  kind: 'job' | 'pipeline';
  /** What the POST starts, for messages: "the retry of job #502". */
  made: string;
  op: GitlabChange;
  send(): Promise<unknown>;
  /** Looks for what the POST sent at `sentAt` made. */
  find(sentAt: number): Look;
  /** What was not found, for the message: "no job it could have started". */
  missing: string;
  /** What a person does after checking `op.checkUrl`. */
  next: string;
}

/** Sends the start once; after an ambiguous answer, tracks what it made if that appears. */
export async function startRollback(ctx: StartContext, params: GitlabPlanParams, run: RunContext): Promise<RunHandle> {
  const start = startOf(ctx, params, run.actionId);
  const sent = await sendOnce(start.op, ctx.retry, ctx.log, () => start.send());
  if ('answered' in sent) return handleOf(start, params, parseStarted(sent.answered, start.made));
  const { what, sentAt, cause } = sent.ambiguous;
  const happened = `GitLab ${what} when asked to ${start.op.action} in ${params.project}`;
  const looked = await lookFor(ctx.lookup, start.find(sentAt));
  if (!looked.found)
    throw new GitlabOutcomeUnknown(
      unknownOutcome({ happened, missing: start.missing, looked, policy: ctx.lookup, checkUrl: checkUrlOf(start), next: start.next }),
      { cause },
    );
  // The run attached is what the thread shows; why it came this way is for the log.
  ctx.log.warn(
    { what, kind: start.kind, id: looked.found.id, actionId: run.actionId },
    'GitLab did not confirm the rollback start, but made its run: tracking it',
  );
  return handleOf(start, params, looked.found);
}

/**
 * For a start claimed at `claimedAt` whose answer the bot never saw (it restarted): the run the
 * start may have made, looked for and never sent again.
 */
export async function findLostRollback(ctx: StartContext, params: GitlabPlanParams, run: RunContext, claimedAt: Date): Promise<RunHandle> {
  const start = startOf(ctx, params, run.actionId);
  const happened = `the bot restarted before GitLab confirmed the request to ${start.op.action} in ${params.project}`;
  const looked = await lookFor(ctx.lookup, start.find(claimedAt.getTime()));
  if (!looked.found)
    throw new GitlabOutcomeUnknown(
      unknownOutcome({ happened, missing: start.missing, looked, policy: ctx.lookup, checkUrl: checkUrlOf(start), next: start.next }),
    );
  ctx.log.info({ kind: start.kind, id: looked.found.id, actionId: run.actionId }, 'Found the run of a rollback start the bot had not confirmed: tracking it');
  return handleOf(start, params, looked.found);
}

function startOf(ctx: StartContext, params: GitlabPlanParams, actionId: string): Start {
  const { project } = params;
  const reader: Reader = { api: ctx.api, read: (op, call) => withRetry(op, { ...ctx.retry, attempts: 1 }, ctx.log, call) };
  if (params.strategy === 'retry-job') {
    const jobId = Number(params.targetJobId);
    return {
      kind: 'job',
      made: `the retry of job #${jobId}`,
      op: {
        method: 'POST',
        action: `retry job #${jobId} (the deploy job of deployment #${params.targetDeploymentIid})`,
        project,
        object: `job #${jobId}`,
        checkUrl: `${ctx.projectUrl}/-/jobs`,
      },
      send: () => ctx.api.Jobs.retry(project, jobId),
      find: (sentAt) => retriedJob(reader, project, jobId, sentAt),
      missing: 'no job it could have started',
      next: 'and request the rollback again only if no new job runs there',
    };
  }
  // Ours wins over a configured variable of the same name: it is what finds the pipeline again.
  const variables = { ...parseVariables(params.variables), [ACTION_ID_VARIABLE]: actionId };
  return {
    kind: 'pipeline',
    made: `the pipeline on ${params.ref}`,
    op: {
      method: 'POST',
      action: `run a pipeline on ${params.ref}`,
      project,
      hint: 'check gitlab.ref and gitlab.variables in services.yaml, and that the ref exists',
      checkUrl: `${ctx.projectUrl}/-/pipelines`,
    },
    send: () =>
      ctx.api.Pipelines.create(project, params.ref, {
        variables: Object.entries(variables).map(([key, value]) => ({ key, value, variable_type: 'env_var' })),
      }),
    find: (sentAt) => markedPipeline(reader, project, params.ref, { key: ACTION_ID_VARIABLE, value: actionId }, sentAt),
    missing: `no pipeline with ${ACTION_ID_VARIABLE}=${actionId}`,
    next: 'and request the rollback again only if no new pipeline runs there',
  };
}

function handleOf(start: Start, params: GitlabPlanParams, started: z.output<typeof GitlabStarted>): RunHandle {
  return { id: String(started.id), url: started.web_url, params: { kind: start.kind, project: params.project } };
}

function checkUrlOf(start: Start): string {
  return start.op.checkUrl ?? start.op.project;
}

function parseVariables(json: string): Record<string, string> {
  try {
    return PipelineVariables.parse(JSON.parse(json));
  } catch (error) {
    throw new ExecutorRefusal('The stored pipeline variables of this plan are unreadable; plan it again', { cause: error });
  }
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
