/** A workspace's domain as Slack sends it (`team.domain`): a host label, nothing else. */
const TEAM_DOMAIN = /^[a-z0-9-]+$/;

/**
 * A message's address as Slack builds its own permalinks, without an API call: the
 * message's ts without its dot, and for a reply its thread. On the workspace's domain when
 * it is known; slack.com sends a reader on to their workspace otherwise.
 */
export function messageLink(channel: string, ts: string, where: { domain?: string | undefined; threadTs?: string | undefined } = {}): string {
  const host = where.domain !== undefined && TEAM_DOMAIN.test(where.domain) ? `${where.domain}.slack.com` : 'slack.com';
  const base = `https://${host}/archives/${encodeURIComponent(channel)}/p${ts.replace('.', '')}`;
  const reply = where.threadTs !== undefined && where.threadTs !== ts;
  return reply ? `${base}?thread_ts=${where.threadTs}&cid=${encodeURIComponent(channel)}` : base;
}
