/**
 * Messages added to an incident's timeline from Slack: the "Add to incident timeline"
 * message shortcut (in an incident's thread or war room) and a :pushpin: reaction (in a war
 * room). The entry carries the message's own time and author, whenever it is added.
 */
import type { App, MessageShortcut } from '@slack/bolt';
import type { Logger } from 'pino';
import { z } from 'zod';
import type { TimelineCapture } from '../../incidents/capture.js';
import type { CapturedMessage } from '../../incidents/roles.js';
import type { IncidentService } from '../../incidents/service.js';
import { plainFromMarkup } from '../../slack-markup.js';
import { SHORTCUT_IDS } from '../contract.js';
import { renderCaptureAnswer } from '../render/incident-command.js';
import { messageLink } from '../render/permalink.js';
import { audited } from './audit.js';

const PIN_REACTION = 'pushpin';

/** What both a shortcut and conversations.replies say of a message. */
const SlackMessage = z.object({
  ts: z.string(),
  thread_ts: z.string().optional(),
  user: z.string().optional(),
  bot_id: z.string().optional(),
  text: z.string().optional(),
});
type SlackMessage = z.output<typeof SlackMessage>;

const ShortcutPayload = z.object({
  user: z.object({ id: z.string().min(1) }),
  channel: z.object({ id: z.string().min(1) }),
  team: z.object({ domain: z.string() }).nullish(),
  message: SlackMessage,
});

const PinReaction = z.object({
  user: z.string(),
  reaction: z.literal(PIN_REACTION),
  item: z.object({ type: z.literal('message'), channel: z.string(), ts: z.string() }),
});

function captured(channel: string, message: SlackMessage, domain?: string): CapturedMessage {
  // From the shortcut's payload, which names the workspace; a pin's link comes from chat.getPermalink.
  const link = domain ? messageLink(channel, message.ts, { domain, threadTs: message.thread_ts }) : undefined;
  return {
    channel,
    ts: message.ts,
    author: message.user ?? message.bot_id ?? 'unknown',
    text: plainFromMarkup(message.text ?? ''),
    ...(link ? { permalink: link } : {}),
  };
}

export function registerTimelineCapture(app: App, incidents: IncidentService, capture: TimelineCapture, log: Logger): void {
  app.shortcut<MessageShortcut>({ type: 'message_action', callback_id: SHORTCUT_IDS.timelineAdd }, async ({ ack, shortcut, respond }) => {
    await ack();
    const payload = ShortcutPayload.safeParse(shortcut);
    if (!payload.success) {
      log.warn({ issues: payload.error.issues.slice(0, 3) }, 'message shortcut with an unreadable payload');
      return;
    }
    const { user, channel, team, message } = payload.data;
    let incidentId: string | undefined;
    let answer = '';
    const failure = await audited(incidents, log, { actor: user.id, action: SHORTCUT_IDS.timelineAdd, detail: `${channel.id} ${message.ts}` }, async () => {
      incidentId = await capture.incidentOf(channel.id, message.thread_ts ?? message.ts);
      const outcome = incidentId === undefined ? 'not_incident' : await capture.capture(incidentId, captured(channel.id, message, team?.domain), user.id);
      answer = renderCaptureAnswer(outcome, incidentId);
    });
    await respond({ response_type: 'ephemeral', replace_original: false, text: failure ?? answer });
  });

  app.event('reaction_added', async ({ event, client }) => {
    const pin = PinReaction.safeParse(event);
    if (!pin.success) return;
    const { user, item } = pin.data;
    const incidentId = await capture.incidentOfRoom(item.channel);
    // Pins elsewhere are people's own business.
    if (incidentId === undefined) return;
    await audited(incidents, log, { actor: user, action: `reaction:${PIN_REACTION}`, incidentId, detail: `${item.channel} ${item.ts}` }, async () => {
      // Slack answers the thread's parent first whatever `oldest` says, then the replies from `oldest` on:
      // two hold the pinned message, a reply (second) or a parent or lone message (first).
      const found = await client.conversations.replies({ channel: item.channel, ts: item.ts, oldest: item.ts, inclusive: true, limit: 2 });
      const message = z
        .array(SlackMessage)
        .safeParse(found.messages ?? [])
        .data?.find((m) => m.ts === item.ts);
      if (!message) {
        log.warn({ channel: item.channel, ts: item.ts, incidentId }, 'pinned message not found in Slack; not captured');
        return;
      }
      // A link is a nicety: without one the message is still worth its place on the timeline.
      const link = await client.chat.getPermalink({ channel: item.channel, message_ts: item.ts }).catch((error: unknown) => {
        log.warn({ err: error, channel: item.channel, ts: item.ts }, 'no permalink for a pinned message; captured without it');
        return undefined;
      });
      const permalink = typeof link?.permalink === 'string' ? { permalink: link.permalink } : {};
      await capture.capture(incidentId, { ...captured(item.channel, message), ...permalink }, user);
    });
  });
}
