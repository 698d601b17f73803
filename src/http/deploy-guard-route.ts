/**
 * POST /gitlab: GitLab's deployment webhooks, which arm the deploy guard. The secret token
 * GitLab sends in X-Gitlab-Token must equal GITLAB_WEBHOOK_TOKEN (401 otherwise); a body
 * that is not a deployment event is a 400 that names what is wrong; an event the guard has
 * no use for (another status, a project or environment no guarded service deploys to) is a
 * 200 that says why, so GitLab's "Recent events" shows it. Without GITLAB_WEBHOOK_TOKEN the
 * route is off: 404, with the variable to set.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { StoreUnavailableError } from '../errors.js';
import { DeploymentEvent } from '../gitlab/deploy-guard-event.js';
import type { DeployEvent, DeployReceipt, IgnoredBecause } from '../verify/deploy-guard.js';
import { BodyTooLargeError, readBody } from './body.js';
import { sendJson } from './respond.js';
import { secretMatches } from './secret-match.js';

/** A deployment event is a few kilobytes. */
export const MAX_GITLAB_EVENT_BYTES = 256 * 1024;

export interface DeployGuardRouteDeps {
  /** GITLAB_WEBHOOK_TOKEN; undefined turns the route off. */
  token: string | undefined;
  receive(event: DeployEvent): Promise<DeployReceipt>;
  log: Logger;
}

type Answer = { status: number; body: Record<string, unknown>; headers?: Record<string, string> };

const WHY: Record<IgnoredBecause, string> = {
  status: 'only a successful deployment arms the deploy guard',
  'no-guarded-service': 'no service in services.yaml with a deploy_guard has this gitlab.project and gitlab.environment',
  'rolling-back': 'a rollback of the service started within its cooldown; this deploy is most likely that rollback',
  newer: 'the deploy guard already watches a newer deployment of the service',
  same: 'the deploy guard already watched this deployment',
};

function eventOf(event: DeploymentEvent): DeployEvent {
  return {
    project: event.project.path_with_namespace,
    projectId: event.project.id,
    environment: event.environment,
    status: event.status,
    deploymentId: event.deployment_id,
    ...(event.deployable_id ? { deployableId: event.deployable_id } : {}),
    ...(event.short_sha ? { sha: event.short_sha } : {}),
    ...(event.ref ? { ref: event.ref } : {}),
  };
}

async function answer(req: IncomingMessage, deps: DeployGuardRouteDeps & { token: string }, log: Logger): Promise<Answer> {
  const presented = req.headers['x-gitlab-token'];
  if (!secretMatches(typeof presented === 'string' ? presented : '', deps.token)) {
    log.warn({ remote: req.socket.remoteAddress }, 'GitLab webhook refused: missing or wrong X-Gitlab-Token');
    return { status: 401, body: { error: 'missing or wrong X-Gitlab-Token: set the webhook secret token to GITLAB_WEBHOOK_TOKEN' } };
  }
  let json: unknown;
  try {
    json = JSON.parse((await readBody(req, MAX_GITLAB_EVENT_BYTES)).toString('utf8'));
  } catch (error) {
    if (error instanceof BodyTooLargeError) return { status: 413, body: { error: error.message }, headers: { connection: 'close' } };
    return { status: 400, body: { error: `malformed JSON: ${(error as Error).message}` } };
  }
  const parsed = DeploymentEvent.safeParse(json);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`);
    log.warn({ problems, gitlabEvent: req.headers['x-gitlab-event'] }, 'GitLab webhook refused: not a deployment event');
    return { status: 400, body: { error: 'not a GitLab deployment event: enable only "Deployment events" on this webhook', problems } };
  }
  try {
    const receipt = await deps.receive(eventOf(parsed.data));
    const ignored = receipt.ignored.map(({ service, because }) => ({ ...(service ? { service } : {}), reason: WHY[because] }));
    return { status: 200, body: { armed: receipt.armed, ignored } };
  } catch (error) {
    if (error instanceof StoreUnavailableError) {
      log.error({ err: error }, 'GitLab deployment event not stored: Redis unavailable');
      return { status: 503, body: { error: error.message } };
    }
    throw error;
  }
}

export function deployGuardRoute(deps: DeployGuardRouteDeps) {
  return (req: IncomingMessage, res: ServerResponse): void => {
    const { token } = deps;
    if (token === undefined) {
      // The body is left unread: closing the connection stops the sender from going on.
      sendJson(
        res,
        404,
        { error: 'GitLab webhooks are off: set GITLAB_WEBHOOK_TOKEN (the webhook secret token) to receive deployment events' },
        { connection: 'close' },
      );
      return;
    }
    answer(req, { ...deps, token }, deps.log)
      .then(({ status, body, headers }) => sendJson(res, status, body, headers))
      .catch((error: unknown) => {
        deps.log.error({ err: error }, 'GitLab webhook failed');
        sendJson(res, 500, { error: 'internal error; see the bot logs' });
      });
  };
}
