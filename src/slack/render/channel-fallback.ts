import type { SlackMessage } from './block-kit.js';
import { escapeText } from './escape.js';
import { fitMessage } from './fit-message.js';
import { channelLink } from './mention.js';

/** Why a service's channel refused the post, in words a person can act on. */
const WHY: Readonly<Record<string, string>> = {
  channel_not_found: 'does not exist or the bot cannot see it',
  not_in_channel: 'does not have the bot in it',
  is_archived: 'is archived',
};

/**
 * The incident message as posted to INCIDENT_CHANNEL instead, with one line saying why and
 * which channel to fix; updates keep the line (the reason is no longer known by then).
 */
export function withChannelFallbackNote(message: SlackMessage, channel: string, reason?: string): SlackMessage {
  const why = reason === undefined ? 'refused it' : (WHY[reason] ?? `refused it (${escapeText(reason)})`);
  const line = `:warning: Posted here because ${channelLink(channel)} ${why}: fix that channel in services.yaml or invite the bot.`;
  return fitMessage({ text: `${message.text}\n${line}`, blocks: [...message.blocks, { type: 'context', elements: [{ type: 'mrkdwn', text: line }] }] });
}
