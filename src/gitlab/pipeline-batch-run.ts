/**
 * The `gitlab-pipeline` fleet executor: a batch of hosts is one GitLab pipeline, started on
 * the runbook's ref with the hosts and the rendered command as CI/CD variables, and followed
 * to its end. The pipeline's job decides how to reach each host; the bot only sees the
 * pipeline's status, so every host of a batch shares one outcome.
 *
 * Like the rollback executor, it never sends the POST again once it may have reached GitLab
 * (see send-once.ts): each pipeline carries a marker of its own (CHATOPS_BATCH), and after an
 * answer that does not say whether GitLab acted, the pipeline with that marker is looked for
 * and followed if it appears. When none does, the batch fails with its outcome unknown, telling
 * a person where to look, rather than risk running the command twice. GitLab's failures and
 * refusals become failed outcomes; only a programming error throws.
 */
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import { z } from 'zod';
import { ExecutorRefusal } from '../actions/executor.js';
import { formatDuration } from '../config/duration.js';
import type { BatchRun, HostOutcome } from '../fleet/rollout-runner.js';
import { PIPELINE_BATCH_VARIABLE, PIPELINE_COMMAND_VARIABLE, PIPELINE_HOSTS_VARIABLE } from '../runbooks/schema.js';
import {
  classifyGitlabError,
  DEFAULT_RETRY,
  GitlabUnavailableError,
  projectWebUrl,
  withRetry,
  type GitlabApi,
  type GitlabOperation,
  type GitlabRead,
  type RetryPolicy,
} from './client.js';
import { DEFAULT_LOOKUP, lookFor, markedPipeline, unknownOutcome, type LookupPolicy } from './lookup.js';
import { GitlabPipeline, GitlabStarted } from './schema.js';
import { sendOnce, type GitlabChange, type SendResult } from './send-once.js';
import { isFinal, statusOutcome } from './status.js';

/** The gitlab-pipeline executor of a runbook's fleet action, as parsed (project as a string). */
export interface PipelineBatchSpec {
  /** A path (group/name) or a numeric id. */
  project: string;
  ref: string;
  /** The runbook's own variables; the bot adds CHATOPS_HOSTS, CHATOPS_COMMAND and CHATOPS_BATCH. */
  variables: Record<string, string>;
}

export interface GitlabPipelineBatchRunOptions {
  api: GitlabApi;
  spec: PipelineBatchSpec;
  /** Between two reads of the pipeline's status. */
  pollIntervalMs: number;
  log: Logger;
  /** The bot shutting down: stop waiting and leave the pipeline running. */
  signal?: AbortSignal;
  /** Retries of a creation that never reached GitLab, and the backoff of failed status reads. */
  retry?: RetryPolicy;
  /** How long, and how often, to look for a pipeline whose creation GitLab did not confirm. */
  lookup?: LookupPolicy;
}

type Started = z.output<typeof GitlabStarted>;

/** How the batch ended, the same for each of its hosts. */
interface BatchEnd {
  ok: boolean;
  output: string;
}

interface Context {
  api: GitlabApi;
  spec: PipelineBatchSpec;
  pollIntervalMs: number;
  log: Logger;
  signal: AbortSignal | undefined;
  retry: RetryPolicy;
  lookup: LookupPolicy;
  /** Where a person sees the project's pipelines. */
  pipelinesUrl: string;
}

type StatusRead = { status: string } | { refused: string } | { unavailable: string; retryAfterMs: number };

export function gitlabPipelineBatchRun(options: GitlabPipelineBatchRunOptions): BatchRun {
  if (!Number.isFinite(options.pollIntervalMs) || options.pollIntervalMs <= 0) {
    throw new RangeError(`gitlabPipelineBatchRun: pollIntervalMs must be a positive number of milliseconds, got ${options.pollIntervalMs}`);
  }
  const context: Context = {
    api: options.api,
    spec: options.spec,
    pollIntervalMs: options.pollIntervalMs,
    log: options.log.child({ component: 'gitlab-pipeline', project: options.spec.project }),
    signal: options.signal,
    retry: options.retry ?? DEFAULT_RETRY,
    lookup: options.lookup ?? DEFAULT_LOOKUP,
    pipelinesUrl: `${projectWebUrl(options.api, options.spec.project)}/-/pipelines`,
  };
  return async (hosts, command, timeoutMs) => {
    if (hosts.length === 0) throw new RangeError('gitlabPipelineBatchRun: a batch needs at least one host');
    if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) {
      throw new RangeError(`gitlabPipelineBatchRun: timeoutMs must be a positive number of milliseconds, got ${timeoutMs}`);
    }
    const startedAt = performance.now();
    const end = await runBatch(context, hosts, command, { at: startedAt + timeoutMs, ms: timeoutMs });
    const durationMs = Math.round(performance.now() - startedAt);
    return hosts.map((host): HostOutcome => ({ host, ok: end.ok, exitCode: end.ok ? 0 : null, output: end.output, durationMs }));
  };
}

async function runBatch(ctx: Context, hosts: readonly string[], command: string, deadline: { at: number; ms: number }): Promise<BatchEnd> {
  // The job splits CHATOPS_HOSTS on spaces: a name with whitespace would reach the wrong hosts.
  const unfit = hosts.find((host) => host === '' || /\s/.test(host));
  if (unfit !== undefined) {
    return failed(`host name ${JSON.stringify(unfit)} cannot be passed in ${PIPELINE_HOSTS_VARIABLE} (space-separated); no pipeline was started`);
  }
  if (ctx.signal?.aborted) return failed('the bot is shutting down; no pipeline was started');
  const created = await createPipeline(ctx, hosts, command);
  if ('failure' in created) return failed(created.failure);
  return followPipeline(ctx, created.pipeline, hosts.length, deadline);
}

async function createPipeline(ctx: Context, hosts: readonly string[], command: string): Promise<{ pipeline: Started } | { failure: string }> {
  const { project, ref } = ctx.spec;
  // Unique to this batch's request: what finds its pipeline again if GitLab does not confirm it.
  const marker = { key: PIPELINE_BATCH_VARIABLE, value: randomUUID() };
  const variables = {
    ...ctx.spec.variables,
    [PIPELINE_HOSTS_VARIABLE]: hosts.join(' '),
    [PIPELINE_COMMAND_VARIABLE]: command,
    [marker.key]: marker.value,
  };
  const op: GitlabChange = {
    method: 'POST',
    action: `run a pipeline on ${ref}`,
    project,
    hint: 'check executor.ref and executor.variables of the runbook action, and that the ref exists',
    checkUrl: ctx.pipelinesUrl,
  };
  let sent: SendResult<unknown>;
  try {
    sent = await sendOnce(op, ctx.retry, ctx.log, () =>
      ctx.api.Pipelines.create(project, ref, {
        variables: Object.entries(variables).map(([key, value]) => ({ key, value, variable_type: 'env_var' })),
      }),
    );
  } catch (error) {
    if (error instanceof ExecutorRefusal) return { failure: refusalText(op, error) };
    // Never sent: no pipeline exists, and the message says so.
    if (error instanceof GitlabUnavailableError) return { failure: error.message };
    throw error;
  }
  if ('ambiguous' in sent) return findPipeline(ctx, op, marker, sent.ambiguous);
  const parsed = GitlabStarted.safeParse(sent.answered);
  if (!parsed.success) {
    return { failure: `GitLab started a pipeline on ${ref} in ${project} but answered without its id and page; check ${ctx.pipelinesUrl} before trying again` };
  }
  ctx.log.info({ pipelineId: parsed.data.id, ref, hosts: hosts.length }, 'Fleet pipeline started');
  return { pipeline: parsed.data };
}

/** After an answer that does not say whether GitLab made the pipeline: the one with this batch's marker, if it appears. */
async function findPipeline(
  ctx: Context,
  op: GitlabChange,
  marker: { key: string; value: string },
  ambiguous: { what: string; sentAt: number },
): Promise<{ pipeline: Started } | { failure: string }> {
  const reader = { api: ctx.api, read: <T>(read: GitlabRead, call: () => Promise<T>) => withRetry(read, { ...ctx.retry, attempts: 1 }, ctx.log, call) };
  const looked = await lookFor(ctx.lookup, markedPipeline(reader, op.project, ctx.spec.ref, marker, ambiguous.sentAt));
  if (looked.found) {
    ctx.log.warn({ pipelineId: looked.found.id, what: ambiguous.what }, 'GitLab did not confirm the fleet pipeline, but made it: following it');
    return { pipeline: looked.found };
  }
  const failure = unknownOutcome({
    happened: `GitLab ${ambiguous.what} when asked to ${op.action} in ${op.project}`,
    missing: `no pipeline with ${marker.key}=${marker.value}`,
    looked,
    policy: ctx.lookup,
    checkUrl: ctx.pipelinesUrl,
    next: "before continuing: if that pipeline runs after all, it runs this batch's command on its hosts",
  });
  return { failure };
}

/** Reads the pipeline's status until it ends, the deadline passes or the bot shuts down. */
async function followPipeline(ctx: Context, pipeline: Started, hostCount: number, deadline: { at: number; ms: number }): Promise<BatchEnd> {
  const name = `GitLab pipeline #${pipeline.id}`;
  const op: GitlabRead = { method: 'GET', action: `read pipeline #${pipeline.id}`, project: ctx.spec.project, object: `pipeline #${pipeline.id}` };
  let status = 'created';
  let waitMs = ctx.pollIntervalMs;
  let failures = 0;
  for (;;) {
    const awake = await pause(Math.min(waitMs, Math.max(0, deadline.at - performance.now())), ctx.signal);
    if (!awake) return failed(`the bot is shutting down; pipeline ${pipeline.web_url} still runs`);
    const read = await readStatus(ctx, op, pipeline.id);
    if ('refused' in read) return failed(`${read.refused} (${pipeline.web_url})`);
    if ('unavailable' in read) {
      failures += 1;
      waitMs = backoffMs(ctx, failures, read.retryAfterMs);
      ctx.log.warn({ pipelineId: pipeline.id, reason: read.unavailable, failures, delayMs: waitMs }, 'Reading the fleet pipeline failed; retrying');
    } else {
      failures = 0;
      waitMs = ctx.pollIntervalMs;
      status = read.status;
      // A status GitLab added after this code was written is waited on, like a running one.
      if (isFinal(status)) return ended(ctx, pipeline, status, hostCount);
    }
    if (performance.now() >= deadline.at) {
      ctx.log.warn({ pipelineId: pipeline.id, status, timeoutMs: deadline.ms }, 'Fleet pipeline timed out; left running');
      return failed(
        `timed out after ${formatDuration(deadline.ms)} waiting for ${name} (last status: ${status}); ` +
          `it was not cancelled and may still be running: ${pipeline.web_url}`,
      );
    }
  }
}

function ended(ctx: Context, pipeline: Started, status: string, hostCount: number): BatchEnd {
  ctx.log.info({ pipelineId: pipeline.id, status }, 'Fleet pipeline ended');
  const hosts = hostCount === 1 ? 'the 1 host' : `the ${hostCount} hosts`;
  if (statusOutcome(status) === 'succeeded')
    return { ok: true, output: `GitLab pipeline #${pipeline.id} ${status} for ${hosts} of this batch: ${pipeline.web_url}` };
  return failed(`GitLab pipeline #${pipeline.id} ${status}; it ran ${hosts} of this batch together, so each counts as failed: ${pipeline.web_url}`);
}

/** One attempt: the caller retries within the deadline, which withRetry's own waits would ignore. */
async function readStatus(ctx: Context, op: GitlabRead, id: number): Promise<StatusRead> {
  let answer: unknown;
  try {
    answer = await withRetry(op, { ...ctx.retry, attempts: 1 }, ctx.log, () => ctx.api.Pipelines.show(ctx.spec.project, id));
  } catch (error) {
    if (error instanceof ExecutorRefusal) return { refused: refusalText(op, error) };
    if (error instanceof GitlabUnavailableError) {
      const failure = classifyGitlabError(error.cause);
      return { unavailable: error.message, retryAfterMs: failure.kind === 'answered' ? (failure.retryAfterMs ?? 0) : 0 };
    }
    throw error;
  }
  const parsed = GitlabPipeline.safeParse(answer);
  if (!parsed.success) return { refused: `GitLab answered with pipeline #${id} in an unexpected shape: ${z.prettifyError(parsed.error)}` };
  return { status: parsed.data.status };
}

/** Doubles from the policy's base delay, never below the poll interval nor above the policy's cap. */
function backoffMs(ctx: Context, failures: number, retryAfterMs: number): number {
  const doubled = ctx.retry.baseDelayMs * 2 ** (failures - 1);
  return Math.min(ctx.retry.maxDelayMs, Math.max(ctx.pollIntervalMs, doubled, retryAfterMs));
}

/** Resolves false instead of waiting on when the bot is shutting down. */
async function pause(ms: number, signal: AbortSignal | undefined): Promise<boolean> {
  try {
    await sleep(ms, undefined, signal ? { signal } : {});
    return true;
  } catch (error) {
    if (signal?.aborted) return false;
    throw error;
  }
}

/**
 * refusalMessage sends a 404 about the project to services.yaml, where rollbacks name theirs;
 * a fleet pipeline's project is named by the runbook.
 */
function refusalText(op: GitlabOperation, error: ExecutorRefusal): string {
  const failure = classifyGitlabError(error.cause);
  if (failure.kind !== 'answered' || failure.status !== 404) return error.message;
  if (op.object && !/project/i.test(failure.description)) return error.message;
  return `GitLab project ${op.project} not found (${said(failure.status, failure.description)}): check executor.project of the runbook action and that GITLAB_TOKEN can read it`;
}

/** The status and GitLab's first line, without a proxy's page of HTML. */
function said(status: number, description: string): string {
  const text = (
    description
      .replace(/^\d{3}\s*/, '')
      .trim()
      .split('\n', 1)[0] ?? ''
  ).slice(0, 200);
  return text && !text.startsWith('<') ? `${status} ${text}` : String(status);
}

function failed(output: string): BatchEnd {
  return { ok: false, output };
}
