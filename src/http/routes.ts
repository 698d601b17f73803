import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Registry } from 'prom-client';
import { sendJson, sendText } from './respond.js';

export interface OpsRouteDeps {
  ping: () => Promise<void>;
  registry: Registry;
  readinessTimeoutMs?: number;
  /** Why Slack cannot be served yet (its auth.test unanswered), or undefined. */
  slackNotReady?: () => string | undefined;
}

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

/** GET /healthz: the process is up and serving. */
export const healthRoute: Handler = (_req, res) => sendJson(res, 200, { status: 'ok' });

/** GET /readyz: 200 only while Redis answers and Slack has said who the bot is, so a load balancer stops sending work otherwise. */
export function readinessRoute({ ping, readinessTimeoutMs = 1_000, slackNotReady = () => undefined }: OpsRouteDeps): Handler {
  return (_req, res) => {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${readinessTimeoutMs} ms`)), readinessTimeoutMs);
    });
    Promise.race([ping(), timeout])
      .then(
        () => undefined,
        (error: Error) => error.message,
      )
      .then((redis) => {
        const slack = slackNotReady();
        if (redis === undefined && slack === undefined) sendJson(res, 200, { status: 'ready' });
        else sendJson(res, 503, { status: 'not ready', ...(redis === undefined ? {} : { redis }), ...(slack === undefined ? {} : { slack }) });
      })
      .finally(() => clearTimeout(timer));
  };
}

/** GET /metrics: Prometheus text format. */
export function metricsRoute({ registry }: OpsRouteDeps): Handler {
  return (_req, res) => {
    registry
      .metrics()
      .then((text) => sendText(res, 200, text, registry.contentType))
      .catch((error: Error) => sendText(res, 500, `metrics unavailable: ${error.message}\n`));
  };
}
