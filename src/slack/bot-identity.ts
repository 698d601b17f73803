import { webApi, type AuthorizeResult } from '@slack/bolt';
import type { Logger } from 'pino';
import { ConfigError } from '../errors.js';
import { SLACK_CALL_TIMEOUT_MS } from './chat-api.js';

/** Slack's answers that say the token itself is wrong: trying again changes nothing. */
const TOKEN_REFUSALS = new Set(['invalid_auth', 'not_authed', 'account_inactive', 'token_revoked', 'token_expired', 'not_allowed_token_type']);

/** "fetch failed: connect ECONNREFUSED 127.0.0.1:443": the message, and what it wraps. */
function networkReason(error: unknown): string {
  const parts: string[] = [];
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 4; e = e.cause, depth += 1) {
    const first = (e as { errors?: unknown[] }).errors?.[0];
    const message = e.message || (first instanceof Error ? first.message : '');
    if (message && !parts.includes(message)) parts.push(message);
  }
  return parts.join(': ') || String(error);
}

export interface BotIdentityOptions {
  token: string;
  apiUrl: string | undefined;
  log: Logger;
  /** The first wait between attempts, doubled after each up to `maxBackoffMs`. */
  firstBackoffMs?: number;
  maxBackoffMs?: number;
}

/**
 * Who the bot is in Slack (auth.test), which Bolt needs before it can tell the bot's own
 * events from others'. Asked before the port opens; when Slack does not answer, the bot
 * serves anyway (Alertmanager's webhooks need no Slack to be stored) and asks again with
 * backoff, and /readyz says why it is not ready. Slack refusing the token is a
 * configuration error, not an outage.
 */
export class BotIdentity {
  private identity: { botId: string; botUserId: string } | undefined;
  private reason = 'Slack auth.test has not been asked yet';
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private readonly client: webApi.WebClient;
  private readonly url: string;

  constructor(private readonly options: BotIdentityOptions) {
    const apiUrl = options.apiUrl ?? 'https://slack.com/api/';
    this.url = `${apiUrl.replace(/\/?$/, '/')}auth.test`;
    // Our own attempts and backoff: the SDK's default retries would hold start-up for half an hour.
    this.client = new webApi.WebClient(options.token, {
      slackApiUrl: apiUrl,
      retryConfig: { retries: 0 },
      timeout: SLACK_CALL_TIMEOUT_MS,
      logLevel: webApi.LogLevel.ERROR,
    });
  }

  /** The first attempt. Throws a ConfigError naming SLACK_BOT_TOKEN when Slack refuses it; else keeps trying in the background. */
  async start(): Promise<void> {
    const refusal = await this.attempt();
    if (refusal) throw refusal;
    if (!this.identity) this.retryAfter(this.options.firstBackoffMs ?? 1_000);
  }

  /** Bolt's `authorize`: the bot's token and ids, once Slack has said them. */
  readonly authorize = async (): Promise<AuthorizeResult> => {
    if (!this.identity) throw new Error(`the bot's Slack identity is not known yet: ${this.reason}`);
    return { botToken: this.options.token, ...this.identity };
  };

  /** Why the bot cannot serve Slack yet, for /readyz; undefined once it can. */
  notReady(): string | undefined {
    return this.identity ? undefined : this.reason;
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  private retryAfter(waitMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(async () => {
      const refusal = await this.attempt();
      if (refusal) this.options.log.error({ url: this.url }, `${refusal.message}; not asking again: fix the token and restart`);
      else if (!this.identity) this.retryAfter(Math.min(waitMs * 2, this.options.maxBackoffMs ?? 60_000));
    }, waitMs);
    this.timer.unref();
  }

  /** One auth.test: the ConfigError when Slack refuses the token, else undefined (answered, or to be asked again). */
  private async attempt(): Promise<ConfigError | undefined> {
    try {
      const result = await this.client.auth.test();
      this.identity = { botId: String(result.bot_id ?? ''), botUserId: String(result.user_id ?? '') };
      this.options.log.info({ botUserId: this.identity.botUserId, team: result.team }, 'Slack answered auth.test; serving Slack requests');
      return undefined;
    } catch (error) {
      const e = error as { code?: string; data?: { error?: string }; original?: unknown };
      const refused = e.code === webApi.ErrorCode.PlatformError ? e.data?.error : undefined;
      if (refused && TOKEN_REFUSALS.has(refused)) {
        this.reason = `Slack refused SLACK_BOT_TOKEN (${refused})`;
        this.stopped = true;
        return new ConfigError(
          `Invalid configuration:\n  - SLACK_BOT_TOKEN: Slack refused it (${refused}) at POST ${this.url}: use the app's Bot User OAuth Token (xoxb-...)`,
        );
      }
      const why = refused ?? networkReason(e.original ?? error);
      this.reason = `Slack did not answer POST ${this.url}: ${why}`;
      this.options.log.warn(
        { method: 'POST', url: this.url, reason: why },
        'Slack not reachable; serving anyway, /readyz answers 503 and auth.test is asked again with backoff',
      );
      return undefined;
    }
  }
}
