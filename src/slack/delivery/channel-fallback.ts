import type { Logger } from 'pino';
import type { SlackMessageRef } from '../../incidents/store.js';
import { SlackPermanentError, type ChatApi, type PostArgs } from '../chat-api.js';
import { withChannelFallbackNote } from '../render/channel-fallback.js';

/** Refusals that say the channel, not the message, is wrong: another channel will take it. */
const CHANNEL_REFUSALS: ReadonlySet<string> = new Set(['channel_not_found', 'not_in_channel', 'is_archived']);

/**
 * Posts to the service's channel, or, when that channel refuses it as missing, foreign or
 * archived, to the fallback channel with a line saying why: an incident is never posted
 * nowhere because one channel id in services.yaml is wrong.
 */
export async function postWithChannelFallback(
  chat: ChatApi,
  fallbackChannel: string | undefined,
  log: Logger,
  context: { service: string | undefined; incidentId: string },
  args: PostArgs & { blocks: NonNullable<PostArgs['blocks']> },
): Promise<SlackMessageRef> {
  try {
    return await chat.postMessage(args);
  } catch (error) {
    if (!(error instanceof SlackPermanentError) || !CHANNEL_REFUSALS.has(error.reason) || !fallbackChannel || args.channel === fallbackChannel) throw error;
    log.error(
      { method: error.method, channel: args.channel, service: context.service, incidentId: context.incidentId, reason: error.reason, fallbackChannel },
      'service channel refused the incident; posting it to INCIDENT_CHANNEL',
    );
    return chat.postMessage({ ...args, channel: fallbackChannel, ...withChannelFallbackNote(args, args.channel, error.reason) });
  }
}
