import type { SlackMessageRef } from '../incidents/store.js';
import type { ChatApi, PostArgs } from './chat-api.js';
import { RetryLater } from './delivery-queue.js';
import type { MessageChange } from './delivery/slack-budget.js';
import type { SlackMessage } from './render/block-kit.js';

/** Long enough for a slow post or update to finish; short enough that a crashed replica's hold lapses soon. */
const MESSAGE_LEASE_MS = 30_000;

/** Where one Slack message's reference is kept, and who may change it. */
export interface MessageSlot {
  /** Names the message in logs and retries, e.g. "incident 4". */
  label: string;
  ref(): Promise<SlackMessageRef | undefined>;
  save(ref: SlackMessageRef): Promise<void>;
  /** Held while the message is brought up to date, so one replica at a time does it. */
  lease(ttlMs: number): Promise<(() => Promise<void>) | undefined>;
}

/** What the message should show: a rendering of one version of what Redis holds. */
export interface DesiredMessage {
  version: number;
  /** The state the message shows; where given, a change that keeps it is only a change of detail. */
  state?: string;
  message: SlackMessage;
  where: { channel: string; thread_ts?: string };
}

export type Post = (args: PostArgs) => Promise<SlackMessageRef>;

/** What bringing `shown` to `want` changes for people: the state, unless both name the same one. */
export function changeOf(shown: SlackMessageRef, want: DesiredMessage): MessageChange {
  return want.state !== undefined && shown.state === want.state ? 'detail' : 'state';
}

/** Whether the reference shows `version` or a later one; a reference from before versions were kept shows none. */
export function showsVersion(ref: SlackMessageRef | undefined, version: number): boolean {
  return ref?.version !== undefined && ref.version >= version;
}

/**
 * Brings one message to the version Redis holds: nothing when the reference already shows
 * it, an update when the message exists, else a post. Under the message's lease, the
 * desired state is read after the lease is taken, and the reference records the version
 * only after Slack answered, so a failure leaves it behind for the reconciler to retry.
 */
export async function reconcileMessage(
  chat: ChatApi,
  slot: MessageSlot,
  desired: () => Promise<DesiredMessage | undefined>,
  post: Post = (args) => chat.postMessage(args),
): Promise<{ ref: SlackMessageRef; posted: boolean } | undefined> {
  const release = await slot.lease(MESSAGE_LEASE_MS);
  if (!release) throw RetryLater.waitingOn(`another replica is bringing ${slot.label} up to date`);
  try {
    const want = await desired();
    if (!want) return undefined;
    const shown = await slot.ref();
    if (showsVersion(shown, want.version)) return undefined;
    const shows = want.state === undefined ? {} : { state: want.state };
    if (shown) {
      await chat.update({ channel: shown.channel, ts: shown.ts, ...want.message }, changeOf(shown, want));
      const ref = { channel: shown.channel, ts: shown.ts, version: want.version, ...shows };
      await slot.save(ref);
      return { ref, posted: false };
    }
    const posted = await post({ ...want.where, ...want.message });
    const ref = { channel: posted.channel, ts: posted.ts, version: want.version, ...shows };
    await slot.save(ref);
    return { ref, posted: true };
  } finally {
    await release();
  }
}
