import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Slack's rule: a request signed more than five minutes from now, in either direction, is
 * refused. Bolt refuses only the past side, so a request dated in the future stays valid
 * for as long as its date is ahead.
 */
export const SIGNATURE_WINDOW_MS = 5 * 60_000;

/**
 * How long an accepted signature is remembered. A signature is valid while its timestamp
 * is within the window of some replica's clock; twice the window covers a replica whose
 * clock is off by up to the window itself.
 */
export const SEEN_SIGNATURE_TTL_MS = 2 * SIGNATURE_WINDOW_MS;

/** Every signature accepted within the window, shared by every replica, so that a replay is refused. */
export interface SeenSignatures {
  /** Records `signature` for `ttlMs`; false when it was recorded already, by this replica or another. */
  firstSeen(signature: string, ttlMs: number): Promise<boolean>;
}

export interface SignatureHeaders {
  timestamp: string | string[] | undefined;
  signature: string | string[] | undefined;
}

export type SignatureCheck = { ok: true; signature: string } | { ok: false; reason: string };

const TIMESTAMP = /^\d{1,12}$/;
const SIGNATURE = /^v0=([0-9a-f]{64})$/;

/** Whether `body` was signed with `secret` (Slack's v0 HMAC-SHA256 over "v0:timestamp:body") within the window around `nowMs`. */
export function checkSignature(secret: string, headers: SignatureHeaders, body: Buffer, nowMs: number): SignatureCheck {
  const { timestamp, signature } = headers;
  if (typeof timestamp !== 'string' || !TIMESTAMP.test(timestamp)) return { ok: false, reason: 'missing or malformed x-slack-request-timestamp' };
  const hex = typeof signature === 'string' ? SIGNATURE.exec(signature)?.[1] : undefined;
  if (signature === undefined || hex === undefined) return { ok: false, reason: 'missing or malformed x-slack-signature' };
  if (Math.abs(nowMs - Number(timestamp) * 1000) > SIGNATURE_WINDOW_MS) return { ok: false, reason: 'timestamp more than five minutes from now' };
  const expected = createHmac('sha256', secret).update(`v0:${timestamp}:`).update(body).digest();
  if (!timingSafeEqual(expected, Buffer.from(hex, 'hex'))) return { ok: false, reason: 'signature mismatch' };
  return { ok: true, signature: hex };
}
