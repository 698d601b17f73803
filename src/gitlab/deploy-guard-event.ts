/**
 * GitLab's "Deployment events" webhook body, as much of it as the deploy guard reads. GitLab
 * sends one per status change of a deployment (running, success, failed, canceled); the
 * other fields it sends are ignored.
 */
import { z } from 'zod';

export const DeploymentEvent = z.object({
  object_kind: z.literal('deployment', { error: 'expected object_kind "deployment" (enable "Deployment events" only on this webhook)' }),
  status: z.string({ error: 'expected the deployment status (running, success, failed, canceled)' }),
  deployment_id: z.number({ error: 'expected the deployment id' }).int().positive(),
  /** The job that deployed; absent for a deployment recorded through the API. */
  deployable_id: z.number().int().nullish(),
  environment: z.string({ error: 'expected the environment name' }).min(1),
  project: z.object(
    {
      id: z.number({ error: 'expected the project id' }).int().positive(),
      path_with_namespace: z.string({ error: 'expected the project path (group/name)' }).min(1),
    },
    { error: 'expected the project: { id, path_with_namespace }' },
  ),
  short_sha: z.string().nullish(),
  ref: z.string().nullish(),
  /** "2021-04-28 21:50:00 +0200" */
  status_changed_at: z.string().nullish(),
});
export type DeploymentEvent = z.output<typeof DeploymentEvent>;
