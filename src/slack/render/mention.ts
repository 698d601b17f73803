import { escapeText } from './escape.js';

/** Slack's user ids (U…, W… on Enterprise Grid) and user group ids (S…). */
const USER_ID = /^[UW][A-Z0-9]{2,}$/;
const GROUP_ID = /^S[A-Z0-9]{2,}$/;

/** A person, as Slack shows and notifies them; anything that is not a user id is shown as the text it is. */
export function mention(userId: string): string {
  return USER_ID.test(userId) ? `<@${userId}>` : escapeText(userId);
}

/** A user group (an on-call group): everyone in it is notified. */
export function groupMention(groupId: string): string {
  return GROUP_ID.test(groupId) ? `<!subteam^${groupId}>` : escapeText(groupId);
}

/** A channel, as a link to it. */
export function channelLink(channelId: string): string {
  return /^[CGD][A-Z0-9]{2,}$/.test(channelId) ? `<#${channelId}>` : escapeText(channelId);
}
