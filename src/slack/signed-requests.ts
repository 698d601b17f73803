import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { StoreUnavailableError } from '../errors.js';
import { BodyTooLargeError, readBody } from '../http/body.js';
import { checkSignature, SEEN_SIGNATURE_TTL_MS, type SeenSignatures } from './request-signature.js';

/** Slack's largest payloads (a click carries its whole message) stay well under this. */
export const MAX_SLACK_BODY_BYTES = 1024 * 1024;

export interface SignedRequestOptions {
  /** The path Slack posts to. */
  path: string;
  signingSecret: string;
  seen: SeenSignatures;
  log: Logger;
  now?: () => number;
}

/** Answers without a body, as Bolt does for a refused request: the reason is logged, not told. */
function refuse(res: ServerResponse, status: number): false {
  if (!res.headersSent) res.writeHead(status, { connection: 'close' });
  res.end();
  return false;
}

/**
 * Slack's own check, which Bolt only half does: signed within five minutes of now either
 * way, and each signature accepted once, across replicas. Reads the body, so it is handed
 * on buffered, the form Bolt reads without reading the stream again.
 */
async function admit(req: IncomingMessage, res: ServerResponse, options: SignedRequestOptions): Promise<boolean> {
  const { log } = options;
  let body: Buffer;
  try {
    body = await readBody(req, MAX_SLACK_BODY_BYTES);
  } catch (error) {
    if (error instanceof BodyTooLargeError) {
      log.warn({ limit: MAX_SLACK_BODY_BYTES }, 'Slack request refused: body too large');
      return refuse(res, 413);
    }
    // The client went away (or the server's request bound closed the connection) mid-body.
    log.debug({ err: error }, 'Slack request body not received');
    return refuse(res, 400);
  }
  // Slack's SSL check is not signed; Bolt answers it and drops anything else in its body.
  const isSslCheck = new URLSearchParams(body.toString('utf8')).get('ssl_check') === '1';
  if (!isSslCheck) {
    const headers = { timestamp: req.headers['x-slack-request-timestamp'], signature: req.headers['x-slack-signature'] };
    const check = checkSignature(options.signingSecret, headers, body, (options.now ?? Date.now)());
    if (!check.ok) {
      log.warn({ reason: check.reason, remote: req.socket.remoteAddress }, 'Slack request refused: not signed by Slack within five minutes');
      return refuse(res, 401);
    }
    let first: boolean;
    try {
      first = await options.seen.firstSeen(check.signature, SEEN_SIGNATURE_TTL_MS);
    } catch (error) {
      // Without the record a replay cannot be told apart, so nothing is let through.
      log.error({ err: error }, 'Slack request refused: Redis did not answer, so a replay cannot be ruled out');
      return refuse(res, error instanceof StoreUnavailableError ? 503 : 500);
    }
    if (!first) {
      log.warn({ remote: req.socket.remoteAddress }, 'Slack request refused: a replay of a request already accepted');
      return refuse(res, 401);
    }
  }
  Object.assign(req, { rawBody: body });
  return true;
}

/**
 * Wraps the receiver's request listener: a POST to Slack's path runs only once admitted;
 * every other request goes straight on, so that the receiver's own routing (and its
 * answer for paths it does not serve) stays as it is.
 */
export function admitSignedRequests(next: RequestListener, options: SignedRequestOptions): RequestListener {
  return (req, res) => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    if (req.method !== 'POST' || path !== options.path) return next(req, res);
    admit(req, res, options)
      .then((admitted) => {
        if (admitted) next(req, res);
      })
      .catch((error: unknown) => {
        options.log.error({ err: error }, 'Slack request failed before reaching its listener');
        refuse(res, 500);
      });
  };
}
