import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { StoreUnavailableError } from '../errors.js';
import { BodyTooLargeError, readBody } from '../http/body.js';
import { sendJson } from '../http/respond.js';
import type { AlertNotification } from '../incidents/notification.js';
import type { IngestResult } from '../incidents/service.js';
import type { Metrics } from '../metrics.js';
import { bearerMatches } from './bearer.js';
import { notificationOf } from './notification.js';
import { WebhookPayload } from './schema.js';

export const MAX_WEBHOOK_BYTES = 1024 * 1024;

export interface WebhookRouteDeps {
  token: string;
  ingest: (notification: AlertNotification) => Promise<IngestResult>;
  log: Logger;
  metrics: Metrics;
}

type Verdict = { status: number; body: Record<string, unknown>; headers?: Record<string, string> };

async function decide(req: IncomingMessage, deps: WebhookRouteDeps, log: Logger): Promise<Verdict> {
  if (!bearerMatches(req.headers.authorization, deps.token)) {
    log.warn({ remote: req.socket.remoteAddress }, 'alertmanager webhook refused: missing or wrong bearer token');
    return { status: 401, body: { error: 'missing or wrong bearer token' }, headers: { 'www-authenticate': 'Bearer' } };
  }
  let raw: Buffer;
  try {
    raw = await readBody(req, MAX_WEBHOOK_BYTES);
  } catch (error) {
    if (error instanceof BodyTooLargeError) {
      log.warn({ limit: MAX_WEBHOOK_BYTES }, 'alertmanager webhook refused: body too large');
      return { status: 413, body: { error: error.message }, headers: { connection: 'close' } };
    }
    throw error;
  }
  let json: unknown;
  try {
    json = JSON.parse(raw.toString('utf8'));
  } catch (error) {
    log.warn({ reason: (error as Error).message }, 'alertmanager webhook refused: malformed JSON');
    return { status: 400, body: { error: `malformed JSON: ${(error as Error).message}` } };
  }
  const parsed = WebhookPayload.safeParse(json);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`);
    log.warn({ problems }, 'alertmanager webhook refused: not an Alertmanager v4 payload');
    return { status: 400, body: { error: 'not an Alertmanager webhook (version 4) payload', problems } };
  }
  for (const alert of parsed.data.alerts) deps.metrics.alertsReceived.inc({ status: alert.status });
  try {
    const result = await deps.ingest(notificationOf(parsed.data));
    log.debug({ groupKey: parsed.data.groupKey, ...result }, 'alertmanager notification merged');
    return { status: 200, body: { status: 'ok', incident: result.incidentId ?? null, changed: result.changed } };
  } catch (error) {
    if (error instanceof StoreUnavailableError) {
      log.error({ err: error }, 'alertmanager notification not stored: Redis unavailable; Alertmanager will retry');
      return { status: 503, body: { error: error.message } };
    }
    throw error;
  }
}

/**
 * POST /alertmanager. Answers as soon as the notification is stored; Slack delivery runs
 * afterwards from the queue. 4xx means "do not retry" to Alertmanager, 5xx "retry".
 */
export function webhookRoute(deps: WebhookRouteDeps) {
  return (req: IncomingMessage, res: ServerResponse): void => {
    const stop = deps.metrics.webhookDuration.startTimer();
    const finish = ({ status, body, headers }: Verdict) => {
      sendJson(res, status, body, headers);
      deps.metrics.webhookRequests.inc({ code: String(status) });
      stop({ code: String(status) });
    };
    decide(req, deps, deps.log)
      .then(finish)
      .catch((error: unknown) => {
        deps.log.error({ err: error }, 'alertmanager webhook failed');
        finish({ status: 500, body: { error: 'internal error; see the bot logs' } });
      });
  };
}
