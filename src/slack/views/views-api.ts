import type { webApi } from '@slack/bolt';
import { retryingWebClient } from '../chat-api.js';
import type { PublishView } from './home-tab.js';

/**
 * views.publish with the bot token. The client waits out a 429 (Retry-After) and tries
 * twice more; HomeTab keeps the calls far below Tier 4 anyway.
 */
export function slackViewPublisher(token: string, apiUrl: string | undefined): PublishView {
  const client = retryingWebClient(token, apiUrl);
  return async (userId, view) => {
    await client.views.publish({ user_id: userId, view: view as unknown as webApi.View });
  };
}
