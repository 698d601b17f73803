/**
 * GitLab's deployment webhook as the deploy guard tests send it: a body in GitLab's
 * "Deployment events" shape, and a POST /gitlab with the secret token header.
 */
export const GITLAB_WEBHOOK_TOKEN = 'test-gitlab-webhook-token-0123456789';

export interface DeploymentEventOptions {
  deploymentId: number;
  status?: string;
  project?: string;
  projectId?: number;
  environment?: string;
  sha?: string;
  jobId?: number;
}

/** A body as GitLab sends it for a deployment's status change (with fields the bot ignores). */
export function deploymentEvent(o: DeploymentEventOptions): Record<string, unknown> {
  const project = o.project ?? 'shop/payment-service';
  const jobId = o.jobId ?? o.deploymentId + 200;
  return {
    object_kind: 'deployment',
    status: o.status ?? 'success',
    status_changed_at: '2026-11-22 10:00:00 +0000',
    deployment_id: o.deploymentId,
    deployable_id: jobId,
    deployable_url: `https://gitlab.example.com/${project}/-/jobs/${jobId}`,
    environment: o.environment ?? 'production',
    environment_tier: 'production',
    environment_slug: o.environment ?? 'production',
    environment_external_url: null,
    project: {
      id: o.projectId ?? 42,
      name: project.split('/').pop(),
      path_with_namespace: project,
      web_url: `https://gitlab.example.com/${project}`,
    },
    short_sha: (o.sha ?? 'c0ffee00c0ffee00').slice(0, 8),
    user: { id: 1, name: 'Deployer', username: 'deployer' },
    user_url: 'https://gitlab.example.com/deployer',
    commit_url: `https://gitlab.example.com/${project}/-/commit/${o.sha ?? 'c0ffee00c0ffee00'}`,
    commit_title: 'Ship it',
    ref: 'main',
  };
}

/** POST /gitlab with `token` in X-Gitlab-Token (none when null), as GitLab's webhook does. */
export function postDeployment(baseUrl: string, body: unknown, token: string | null = GITLAB_WEBHOOK_TOKEN, raw?: string): Promise<Response> {
  return fetch(`${baseUrl}/gitlab`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-gitlab-event': 'Deployment Hook', ...(token === null ? {} : { 'x-gitlab-token': token }) },
    body: raw ?? JSON.stringify(body),
  });
}
