/**
 * A message Slack refuses for what it holds is sent in brief, never dropped
 * (src/slack/delivery/brief-on-refusal.ts, used by message-sync.ts), and a retry of the
 * refused version sends the brief one at once instead of spending the channel's rate on
 * another refusal.
 */
import { describe, expect, it } from 'vitest';
import type { SlackMessageRef } from '../../src/incidents/store.js';
import { SlackPermanentError, type ChatApi, type PostArgs } from '../../src/slack/chat-api.js';
import { RetryLater } from '../../src/slack/retry-later.js';
import { RefusedVersions } from '../../src/slack/delivery/brief-on-refusal.js';
import { reconcileMessage, type MessageSlot } from '../../src/slack/message-sync.js';
import type { SlackMessage } from '../../src/slack/render/block-kit.js';

const whole: SlackMessage = { text: 'whole', blocks: [{ type: 'divider' }] };
const brief: SlackMessage = { text: 'brief', blocks: [] };

/** Slack as the test scripts it: each post is answered by the next answer, or taken. */
function chat(answers: Array<Error | undefined>): ChatApi & { posted: string[] } {
  const posted: string[] = [];
  return {
    posted,
    async postMessage(args: PostArgs) {
      posted.push(args.text);
      const answer = answers.shift();
      if (answer) throw answer;
      return { channel: args.channel, ts: `1.${posted.length}` };
    },
    async update() {
      throw new Error('not expected');
    },
  };
}

function slot(refusals?: RefusedVersions): MessageSlot & { saved: SlackMessageRef[] } {
  const saved: SlackMessageRef[] = [];
  return {
    saved,
    label: 'incident 4',
    ref: async () => saved.at(-1),
    save: async (ref) => void saved.push(ref),
    lease: async () => async () => undefined,
    ...(refusals ? { refusals } : {}),
  };
}

const desired = async () => ({ version: 3, message: whole, brief, where: { channel: 'C0X' } });

describe('a message Slack refuses for what it holds', () => {
  it('is sent in brief, and counts as shown', async () => {
    const slack = chat([new SlackPermanentError('chat.postMessage', 'invalid_blocks')]);
    const target = slot(new RefusedVersions());
    const result = await reconcileMessage(slack, target, desired);
    expect(slack.posted).toEqual(['whole', 'brief']);
    expect(result).toMatchObject({ posted: true, refused: 'invalid_blocks' });
    expect(target.saved).toEqual([{ channel: 'C0X', ts: '1.2', version: 3 }]);
  });

  it('is retried in brief at once when the brief one had to wait for the rate limit', async () => {
    const slack = chat([
      new SlackPermanentError('chat.postMessage', 'msg_too_long'),
      new RetryLater('chat.postMessage waits for its rate limit', 1_000, { throttled: true }),
    ]);
    const target = slot(new RefusedVersions());
    await expect(reconcileMessage(slack, target, desired)).rejects.toBeInstanceOf(RetryLater);
    const result = await reconcileMessage(slack, target, desired);
    expect(slack.posted).toEqual(['whole', 'brief', 'brief']);
    expect(result).toMatchObject({ posted: true, refused: 'msg_too_long' });
  });

  it('is tried whole again at its next version', async () => {
    const slack = chat([new SlackPermanentError('chat.postMessage', 'invalid_blocks')]);
    const refusals = new RefusedVersions();
    await reconcileMessage(slack, slot(refusals), desired);
    await reconcileMessage(slack, slot(refusals), async () => ({ ...(await desired()), version: 4 }));
    expect(slack.posted).toEqual(['whole', 'brief', 'whole']);
  });

  it('is not sent in brief when Slack refused the channel or the token: that is the caller’s to handle', async () => {
    const slack = chat([new SlackPermanentError('chat.postMessage', 'not_in_channel')]);
    await expect(reconcileMessage(slack, slot(new RefusedVersions()), desired)).rejects.toMatchObject({ reason: 'not_in_channel' });
    expect(slack.posted).toEqual(['whole']);
  });
});
