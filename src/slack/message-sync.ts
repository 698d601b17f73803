import type { SlackMessageRef } from '../incidents/store.js';
import type { ChatApi, PostArgs } from './chat-api.js';
import { RetryLater } from './retry-later.js';
import { afterSlackAnswered } from './delivery/after-slack.js';
import { sendOrBrief, type RefusedVersions } from './delivery/brief-on-refusal.js';
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
  /** The versions Slack refused whole, so that a retry sends the brief form at once. */
  refusals?: RefusedVersions;
}

/** What the message should show: a rendering of one version of what Redis holds. */
export interface DesiredMessage {
  version: number;
  /** The state the message shows; where given, a change that keeps it is only a change of detail. */
  state?: string;
  message: SlackMessage;
  /** Sent instead when Slack refuses `message` for what it holds (`invalid_blocks`, `msg_too_long`, …). */
  brief?: SlackMessage;
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
 * only after Slack answered, so a failure leaves it behind for the reconciler to retry. A
 * message Slack refuses for its content is sent in brief (at once when that version was
 * refused before) and counts as shown: the next change tries the whole one again.
 * `refused` names the refusal when there was one.
 */
export async function reconcileMessage(
  chat: ChatApi,
  slot: MessageSlot,
  desired: () => Promise<DesiredMessage | undefined>,
  post: Post = (args) => chat.postMessage(args),
): Promise<{ ref: SlackMessageRef; posted: boolean; refused?: string } | undefined> {
  const release = await slot.lease(MESSAGE_LEASE_MS);
  if (!release) throw RetryLater.waitingOn(`another replica is bringing ${slot.label} up to date`);
  try {
    const want = await desired();
    if (!want) return undefined;
    const shown = await slot.ref();
    if (showsVersion(shown, want.version)) return undefined;
    const shows = want.state === undefined ? {} : { state: want.state };
    const send = <R>(deliver: (message: SlackMessage) => Promise<R>) =>
      slot.refusals ? slot.refusals.send(slot.label, want.version, deliver, want.message, want.brief) : sendOrBrief(deliver, want.message, want.brief);
    if (shown) {
      const { refused } = await send((message) => chat.update({ channel: shown.channel, ts: shown.ts, ...message }, changeOf(shown, want)));
      const ref = { channel: shown.channel, ts: shown.ts, version: want.version, ...shows };
      await afterSlackAnswered(() => slot.save(ref));
      return { ref, posted: false, ...(refused ? { refused } : {}) };
    }
    const { result: posted, refused } = await send((message) => post({ ...want.where, ...message }));
    const ref = { channel: posted.channel, ts: posted.ts, version: want.version, ...shows };
    // Lost, this reference would have the message posted a second time.
    await afterSlackAnswered(() => slot.save(ref));
    return { ref, posted: true, ...(refused ? { refused } : {}) };
  } finally {
    await afterSlackAnswered(release);
  }
}
