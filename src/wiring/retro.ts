/**
 * Retrospective drafts filed as GitLab issues, wired when GITLAB_URL and GITLAB_TOKEN are
 * set; a service files them in its `gitlab.retro_project`, else in RETRO_GITLAB_PROJECT, else
 * nowhere (the draft is posted in Slack all the same).
 */
import type { Logger } from 'pino';
import { ExecutorRefusal } from '../actions/executor.js';
import type { Config } from '../config/load.js';
import { createGitlabApi, GitlabUnavailableError, type RetryPolicy } from '../gitlab/client.js';
import { GitlabRetroIssues } from '../gitlab/retro-issues.js';
import { displayId } from '../incidents/incident.js';
import type { RetroFiling } from '../slack/retro-delivery.js';
import { RetryLater } from '../slack/retry-later.js';
import type { ServiceCatalog } from '../services/catalog.js';

/**
 * Filing runs inside the thread's delivery lease (30 s), beside a Slack call of up to 10 s:
 * one try per request of at most 5 s (look, create, look again: 15 s) keeps it inside. A
 * failure is retried by the thread's outbox as a whole, which looks before it creates again.
 */
const RETRO_REQUEST_TIMEOUT_MS = 5_000;
const ONE_TRY: RetryPolicy = { attempts: 1, baseDelayMs: 500, maxDelayMs: 5_000 };

export function createRetroFiling(config: Config, catalog: ServiceCatalog, log: Logger): RetroFiling | undefined {
  const { url, token, retroProject } = config.gitlab;
  if (!url || !token) return undefined;
  const issues = new GitlabRetroIssues(createGitlabApi({ url, token, requestTimeoutMs: RETRO_REQUEST_TIMEOUT_MS }), log, ONE_TRY);
  return {
    async file(incident, content, filed) {
      const project = (incident.service === undefined ? undefined : catalog.get(incident.service)?.gitlab?.retro_project) ?? retroProject;
      if (!project) return undefined;
      try {
        const key = `${config.redis.keyPrefix}/${incident.id}/${incident.openedAt}`;
        return await issues.file(project, { marker: displayId(incident.id), key, ...content }, filed?.project === project ? filed.iid : undefined);
      } catch (error) {
        // GitLab refused (a 4xx says what to fix): the draft goes to Slack without waiting for a person to fix it.
        if (error instanceof ExecutorRefusal) {
          log.warn({ incidentId: incident.id, project, reason: error.message }, 'retrospective not filed in GitLab');
          return undefined;
        }
        if (error instanceof GitlabUnavailableError) throw new RetryLater(error.message, undefined, { cause: error });
        throw error;
      }
    },
  };
}
