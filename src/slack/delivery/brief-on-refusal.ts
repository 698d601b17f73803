import { SlackPermanentError } from '../chat-api.js';

/**
 * Refusals of what a message holds (its blocks, its size), not of where it goes or who sends
 * it: the same message in brief is taken where the whole one was not.
 */
const CONTENT_REFUSALS: ReadonlySet<string> = new Set([
  'invalid_blocks',
  'invalid_blocks_format',
  'msg_too_long',
  'msg_blocks_too_long',
  'invalid_attachments',
  'too_many_attachments',
  'no_text',
]);

export function isContentRefusal(error: unknown): error is SlackPermanentError {
  return error instanceof SlackPermanentError && CONTENT_REFUSALS.has(error.reason);
}

/**
 * Sends the whole message and, when Slack refuses what it holds, the brief one instead, so
 * that a message is never dropped for its content; says which refusal it met, first to
 * `onRefused` (before the brief one is sent, which may have to wait for the rate limit).
 * Any other error, or a refusal of the brief one too, is the caller's.
 */
export async function sendOrBrief<M, R>(
  send: (message: M) => Promise<R>,
  whole: M,
  brief: M | undefined,
  onRefused: (reason: string) => void = () => undefined,
): Promise<{ result: R; refused?: string }> {
  try {
    return { result: await send(whole) };
  } catch (error) {
    if (brief === undefined || !isContentRefusal(error)) throw error;
    onRefused(error.reason);
    return { result: await send(brief), refused: error.reason };
  }
}

/** Messages remembered at most: far more than are ever refused at once. */
const REMEMBERED = 10_000;

/**
 * Sends messages as sendOrBrief does, remembering which version of each one Slack refused
 * whole, and why. A retry of that version (the brief one waited for the channel's rate
 * limit, say) sends the brief one at once: sending the whole one again would spend the
 * channel's rate on a refusal every time. Kept in memory: after a restart, one more
 * refusal finds it again.
 */
export class RefusedVersions {
  private readonly refused = new Map<string, { version: number; reason: string }>();

  /** `message` names it ("incident 4", "thread of incident 4"); `version` is what it shows. */
  async send<M, R>(message: string, version: number, send: (m: M) => Promise<R>, whole: M, brief: M | undefined): Promise<{ result: R; refused?: string }> {
    const known = this.refused.get(message);
    if (brief !== undefined && known?.version === version) return { result: await send(brief), refused: known.reason };
    return sendOrBrief(send, whole, brief, (reason) => this.remember(message, version, reason));
  }

  private remember(message: string, version: number, reason: string): void {
    this.refused.delete(message);
    this.refused.set(message, { version, reason });
    if (this.refused.size > REMEMBERED) this.refused.delete(this.refused.keys().next().value as string);
  }
}
