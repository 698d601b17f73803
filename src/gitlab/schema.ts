/**
 * The fields of GitLab's REST answers that the rollback executor reads, and the shape of the
 * parameters it stores in a plan. Only the fields used are declared; anything else is dropped.
 */
import { z } from 'zod';

const Id = z.number().int().positive();

/** GET /projects/:id/deployments item. `deployable` is null for deployments recorded through the API. */
export const GitlabDeployment = z.object({
  id: Id,
  iid: Id,
  sha: z.string().min(7),
  ref: z.string(),
  status: z.string(),
  deployable: z
    .object({
      id: Id,
      name: z.string().optional(),
      status: z.string().optional(),
      web_url: z.string().optional(),
    })
    .nullish(),
});
export type GitlabDeployment = z.output<typeof GitlabDeployment>;

export const GitlabDeployments = z.array(GitlabDeployment);

/** GET /projects/:id/jobs/:job_id and POST …/retry. `duration` is seconds, null until it starts. */
export const GitlabJob = z.object({
  id: Id,
  status: z.string(),
  web_url: z.string(),
  name: z.string().optional(),
  duration: z.number().nullish(),
  failure_reason: z.string().nullish(),
});
export type GitlabJob = z.output<typeof GitlabJob>;

/** GET /projects/:id/pipelines/:id and POST /projects/:id/pipeline. */
export const GitlabPipeline = z.object({
  id: Id,
  status: z.string(),
  web_url: z.string(),
  duration: z.number().nullish(),
});
export type GitlabPipeline = z.output<typeof GitlabPipeline>;

/** What only the start of a run needs: the new job's or pipeline's id and page. */
export const GitlabStarted = z.object({ id: Id, web_url: z.string() });

const NumericString = z.string().regex(/^[1-9][0-9]*$/, 'expected a positive integer');

const CommonPlanParams = {
  project: z.string().min(1),
  environment: z.string().min(1),
  fromDeploymentId: NumericString,
  fromSha: z.string(),
  targetDeploymentId: NumericString,
  targetDeploymentIid: NumericString,
  targetSha: z.string().min(7),
  targetRef: z.string(),
};

/** ExecutionPlan.params as the executor writes them; read back (after a restart, too) by run(). */
export const GitlabPlanParams = z.discriminatedUnion('strategy', [
  z.object({ ...CommonPlanParams, strategy: z.literal('retry-job'), targetJobId: NumericString }),
  z.object({
    ...CommonPlanParams,
    strategy: z.literal('pipeline'),
    ref: z.string().min(1),
    /** JSON object of CI variable name to value, ROLLBACK_TO_SHA included. */
    variables: z.string(),
  }),
]);
export type GitlabPlanParams = z.output<typeof GitlabPlanParams>;

export const PipelineVariables = z.record(z.string(), z.string());

/** RunHandle.params. */
export const GitlabRunParams = z.object({
  kind: z.enum(['job', 'pipeline']),
  project: z.string().min(1),
});
export type GitlabRunParams = z.output<typeof GitlabRunParams>;

/** GET /projects/:id/jobs/:job_id, read to look for the job a retry of it made: its name and pipeline. */
export const GitlabJobOrigin = z.object({ id: Id, name: z.string(), pipeline: z.object({ id: Id }) });

/** GET /projects/:id/pipelines/:pipeline_id/jobs (newest first since GitLab 13.5). */
export const GitlabListedJobs = z.array(z.object({ id: Id, name: z.string(), created_at: z.string(), web_url: z.string() }));

/** GET /projects/:id/pipelines. */
export const GitlabListedPipelines = z.array(z.object({ id: Id, created_at: z.string(), web_url: z.string() }));

/** GET /projects/:id/pipelines/:pipeline_id/variables. */
export const GitlabPipelineVariables = z.array(z.object({ key: z.string(), value: z.string().nullish() }));
