/** A person, as Slack shows and notifies them. */
export function mention(userId: string): string {
  return `<@${userId}>`;
}

/** A user group (an on-call group): everyone in it is notified. */
export function groupMention(groupId: string): string {
  return `<!subteam^${groupId}>`;
}
