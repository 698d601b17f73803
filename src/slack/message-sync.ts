import type { SlackMessageRef } from '../incidents/store.js';
import type { ChatApi } from './chat-api.js';
import { RetryLater } from './delivery-queue.js';
import type { SlackMessage } from './render/block-kit.js';

/** Long enough for a slow first post to finish; short enough that a crashed replica's claim lapses. */
const FIRST_POST_LEASE_MS = 60_000;

/** Where one Slack message's reference is kept, and who may post it first. */
export interface MessageSlot {
  /** Names the message in logs and retries, e.g. "incident 4". */
  label: string;
  ref(): Promise<SlackMessageRef | undefined>;
  save(ref: SlackMessageRef): Promise<void>;
  lease(ttlMs: number): Promise<(() => Promise<void>) | undefined>;
}

/**
 * Brings one message to `message`: updates it once posted, else posts it, on exactly one
 * replica (the first post is leased). The lease is released only when the post failed;
 * after a post, the stored reference is what later runs see.
 */
export async function postOrUpdate(
  chat: ChatApi,
  slot: MessageSlot,
  message: SlackMessage,
  where: { channel: string; thread_ts?: string },
): Promise<{ ref: SlackMessageRef; posted: boolean }> {
  const existing = await slot.ref();
  if (existing) {
    await chat.update({ channel: existing.channel, ts: existing.ts, ...message });
    return { ref: existing, posted: false };
  }
  const release = await slot.lease(FIRST_POST_LEASE_MS);
  if (!release) throw RetryLater.waitingOn(`another replica is posting ${slot.label}`);
  let posted: SlackMessageRef;
  try {
    posted = await chat.postMessage({ ...where, ...message });
  } catch (error) {
    await release();
    throw error;
  }
  await slot.save(posted);
  return { ref: posted, posted: true };
}
