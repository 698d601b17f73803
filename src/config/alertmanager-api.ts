/** How the bot reaches Alertmanager's API (silences, and whether alerts still fire). */
export interface AlertmanagerApiConfig {
  /** Base URL with no credentials and no trailing slash: safe to log. */
  url: string;
  /** The Authorization header's value: `Bearer …` or `Basic …`; never logged. */
  authorization: string | undefined;
  /** How often a silenced incident asks whether its alerts still fire. */
  pollIntervalMs: number;
}

/**
 * user:password in the URL becomes a Basic header, because fetch refuses a URL with
 * credentials and because a URL is logged where a header is not.
 */
export function alertmanagerApi(url: string | undefined, token: string | undefined, pollIntervalMs: number): AlertmanagerApiConfig | undefined {
  if (!url) return undefined;
  const parsed = new URL(url);
  const user = decodeURIComponent(parsed.username);
  const password = decodeURIComponent(parsed.password);
  parsed.username = '';
  parsed.password = '';
  const basic = user ? `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` : undefined;
  const authorization = token ? `Bearer ${token}` : basic;
  return { url: parsed.toString().replace(/\/+$/, ''), authorization, pollIntervalMs };
}
