/**
 * Looking for what a change GitLab did not confirm may have made (see send-once.ts), instead
 * of sending it again: the job a retry made, or the pipeline a create made. Looked for at once
 * and then every `intervalMs`, for `windowMs`; what is found is tracked as the run, and when
 * nothing is, the outcome is unknown and a person decides.
 */
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import { ExecutorRefusal } from '../actions/executor.js';
import { formatDuration } from '../config/duration.js';
import { GitlabUnavailableError, type GitlabApi, type GitlabRead } from './client.js';
import { GitlabJobOrigin, GitlabListedJobs, GitlabListedPipelines, GitlabPipelineVariables, type GitlabStarted } from './schema.js';

export interface LookupPolicy {
  /** How long to look before the outcome is declared unknown. */
  windowMs: number;
  /** Between two looks. */
  intervalMs: number;
}

/** Two minutes: longer than GitLab takes to answer a request it is still working on (its own timeout is 60 s). */
export const DEFAULT_LOOKUP: LookupPolicy = { windowMs: 120_000, intervalMs: 5_000 };

/**
 * How far GitLab's clock may be behind the bot's: a job made just after the bot sent its request
 * may carry a created_at this much earlier than the bot's clock said. Kept short, because a
 * retry of the same job that someone else made this shortly before the bot's would be taken
 * for the bot's (a job that deploys the same thing); with a clock further behind, the bot's own
 * job is not found and the outcome is unknown, which a person settles.
 */
export const CLOCK_SKEW_MS = 10_000;

/** Reads from GitLab, each under the caller's retry policy. */
export interface Reader {
  api: GitlabApi;
  read<T>(op: GitlabRead, call: () => Promise<T>): Promise<T>;
}

type Started = z.output<typeof GitlabStarted>;

/** One look: what was made, or undefined when nothing (yet). */
export type Look = () => Promise<Started | undefined>;

export type LookupEnd =
  | { found: Started }
  /** Looked for the whole window; `problem`: why the last look failed, if it did. */
  | { found?: undefined; refused?: undefined; problem?: string }
  /** GitLab refused a look (why, in its words): looking again would not help. */
  | { found?: undefined; refused: string };

/**
 * Looks until something is found or the window has passed. A failed read is looked again (the
 * last failure is kept for the message); a refused one (403, 404, an answer in a shape this code
 * cannot read) will not pass, so looking stops there.
 */
export async function lookFor(policy: LookupPolicy, look: Look): Promise<LookupEnd> {
  const deadline = performance.now() + policy.windowMs;
  let problem: string | undefined;
  for (;;) {
    try {
      const found = await look();
      if (found) return { found };
      problem = undefined;
    } catch (error) {
      if (error instanceof ExecutorRefusal) return { refused: error.message };
      if (!(error instanceof GitlabUnavailableError)) throw error;
      problem = error.message;
    }
    const left = deadline - performance.now();
    if (left <= 0) return problem === undefined ? {} : { problem };
    await sleep(Math.min(policy.intervalMs, left));
  }
}

/**
 * The job a retry of `jobId` made: GitLab retries a job as a new job of the same name in the
 * same pipeline, so a later job of that name there, created since the request, is it.
 */
export function retriedJob(reader: Reader, project: string, jobId: number, sentAt: number): Look {
  let origin: z.output<typeof GitlabJobOrigin> | undefined;
  const since = sentAt - CLOCK_SKEW_MS;
  return async () => {
    origin ??= parsed(
      GitlabJobOrigin,
      await reader.read({ method: 'GET', action: `read job #${jobId}`, project, object: `job #${jobId}` }, () => reader.api.Jobs.show(project, jobId)),
      `job #${jobId}`,
    );
    const { name, pipeline } = origin;
    const listed = parsed(
      GitlabListedJobs,
      await reader.read({ method: 'GET', action: `list the jobs of pipeline #${pipeline.id}`, project, object: `pipeline #${pipeline.id}` }, () =>
        // With `page` set, gitbeaker does not follow the Link header: one request, newest first.
        reader.api.Jobs.all(project, { pipelineId: pipeline.id, includeRetried: true, perPage: 100, page: 1 }),
      ),
      `the jobs of pipeline #${pipeline.id}`,
    );
    const made = listed.filter((job) => job.name === name && job.id > jobId && createdSince(job.created_at, since));
    return earliest(made);
  };
}

/**
 * The pipeline on `ref` that carries `marker` among its variables, created since the request.
 * The marker is unique to the request, so a pipeline someone else started is never taken for it.
 */
export function markedPipeline(reader: Reader, project: string, ref: string, marker: { key: string; value: string }, sentAt: number): Look {
  const since = sentAt - CLOCK_SKEW_MS;
  const checked = new Set<number>();
  return async () => {
    const listed = parsed(
      GitlabListedPipelines,
      await reader.read({ method: 'GET', action: `list the pipelines on ${ref}`, project }, () =>
        reader.api.Pipelines.all(project, { ref, updatedAfter: new Date(since).toISOString(), orderBy: 'id', sort: 'desc', perPage: 20, page: 1 }),
      ),
      `the pipelines on ${ref}`,
    );
    const candidates = listed.filter((p) => !checked.has(p.id) && createdSince(p.created_at, since)).sort((a, b) => a.id - b.id);
    for (const pipeline of candidates) {
      const variables = parsed(
        GitlabPipelineVariables,
        await reader.read({ method: 'GET', action: `read the variables of pipeline #${pipeline.id}`, project, object: `pipeline #${pipeline.id}` }, () =>
          reader.api.Pipelines.allVariables(project, pipeline.id),
        ),
        `the variables of pipeline #${pipeline.id}`,
      );
      if (variables.some((v) => v.key === marker.key && v.value === marker.value)) return { id: pipeline.id, web_url: pipeline.web_url };
      // A pipeline's variables never change: one read is enough.
      checked.add(pipeline.id);
    }
    return undefined;
  };
}

/** The message of an outcome nobody can tell: what happened, what was looked for, where a person checks and what next. */
export function unknownOutcome(o: {
  happened: string;
  missing: string;
  looked: Exclude<LookupEnd, { found: Started }>;
  policy: LookupPolicy;
  checkUrl: string;
  next: string;
}): string {
  const { looked } = o;
  const search =
    looked.refused === undefined
      ? `${o.missing} appeared within ${formatDuration(o.policy.windowMs)}${looked.problem ? ` (the last look failed: ${looked.problem})` : ''}`
      : `the bot could not look for what it made: ${looked.refused}`;
  return `Outcome unknown: ${o.happened}, and ${search}. The request was not sent again: check ${o.checkUrl} ${o.next}.`;
}

function createdSince(createdAt: string, since: number): boolean {
  const at = Date.parse(createdAt);
  return !Number.isNaN(at) && at >= since;
}

function earliest(made: ReadonlyArray<{ id: number; web_url: string }>): Started | undefined {
  const first = [...made].sort((a, b) => a.id - b.id)[0];
  return first && { id: first.id, web_url: first.web_url };
}

/** An answer in a shape this code cannot read will not change by looking again. */
function parsed<S extends z.ZodType>(schema: S, value: unknown, what: string): z.output<S> {
  const result = schema.safeParse(value);
  if (!result.success)
    throw new ExecutorRefusal(`GitLab answered with ${what} in an unexpected shape: ${z.prettifyError(result.error)}`, { cause: result.error });
  return result.data;
}
