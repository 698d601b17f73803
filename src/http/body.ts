import type { IncomingMessage } from 'node:http';
import { BotError, type ErrorCode } from '../errors.js';

/** Answered with 413: the sender (Alertmanager) must send less, e.g. group fewer alerts. */
export class BodyTooLargeError extends BotError {
  static override readonly code: ErrorCode = 'WEBHOOK_TOO_LARGE';

  constructor(readonly limit: number) {
    super(`request body exceeds ${limit} bytes`);
  }
}

/** Reads a request body, refusing early (by Content-Length) or as soon as the limit is crossed. */
export async function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) throw new BodyTooLargeError(limit);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) throw new BodyTooLargeError(limit);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks, size);
}
