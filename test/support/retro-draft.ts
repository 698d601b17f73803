/**
 * How a retrospective draft posted as a Slack message starts: its title as a bold line in
 * mrkdwn (src/slack/render/retro.ts). Tests find the posted drafts among a thread's replies by it.
 */
export const POSTED_DRAFT = '*Retrospective draft: ';

export function isPostedDraft(text: unknown): boolean {
  return String(text).startsWith(POSTED_DRAFT);
}
