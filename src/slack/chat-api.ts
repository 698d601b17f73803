import { webApi } from '@slack/bolt';
import { BotError, type ErrorCode } from '../errors.js';
import type { Metrics } from '../metrics.js';
import type { Block } from './render/block-kit.js';
import { RetryLater } from './retry-later.js';
import type { MessageChange } from './delivery/slack-budget.js';

export interface PostArgs {
  channel: string;
  text: string;
  blocks?: Block[];
  thread_ts?: string;
}

export interface UpdateArgs {
  channel: string;
  ts: string;
  text: string;
  blocks: Block[];
}

/**
 * The two Web API calls incident delivery needs. A rate limit is a throttled RetryLater,
 * never a failure: from Slack's 429, or from the budget of the pacing in front of it.
 */
export interface ChatApi {
  postMessage(args: PostArgs): Promise<{ channel: string; ts: string }>;
  /** `change` says what the update changes for people, so that the pacing can put state first. */
  update(args: UpdateArgs, change?: MessageChange): Promise<void>;
}

/** The longest a Slack call runs: what shutdown waits for a call in flight. */
export const SLACK_CALL_TIMEOUT_MS = 10_000;

/** Errors that Slack documents as worth retrying; any other platform error is permanent. */
const TRANSIENT_PLATFORM_ERRORS = new Set(['internal_error', 'fatal_error', 'service_unavailable', 'request_timeout', 'ratelimited']);

/** What a person does about Slack's most common refusals. */
const REFUSAL_HINTS: Readonly<Record<string, string>> = {
  not_in_channel: 'invite the bot to the channel',
  channel_not_found: 'check the channel id in services.yaml or INCIDENT_CHANNEL, and invite the bot to it',
  is_archived: 'unarchive the channel, or point services.yaml or INCIDENT_CHANNEL at another one',
  invalid_auth: 'check SLACK_BOT_TOKEN',
  not_authed: 'check SLACK_BOT_TOKEN',
  token_revoked: 'reinstall the Slack app and update SLACK_BOT_TOKEN',
  missing_scope: 'add the missing scope to the Slack app (slack-app-manifest.yaml) and reinstall it',
  restricted_action: 'a workspace setting keeps the bot from creating channels (war rooms): let apps create channels, or open the room by hand',
};

/** Slack refused a call in a way that trying again will not change. */
export class SlackPermanentError extends BotError {
  static override readonly code: ErrorCode = 'SLACK_REFUSED';

  constructor(
    readonly method: string,
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    const hint = Object.hasOwn(REFUSAL_HINTS, reason) ? `: ${REFUSAL_HINTS[reason]}` : '';
    super(`Slack ${method} failed: ${reason}${hint}`, options);
  }
}

export interface ChatApiOptions {
  token: string;
  apiUrl: string | undefined;
  metrics: Metrics;
}

/** A WebClient for reads and idempotent calls: it waits out a 429 (Retry-After) and tries twice more by itself. */
export function retryingWebClient(token: string, apiUrl: string | undefined): webApi.WebClient {
  return new webApi.WebClient(token, { ...(apiUrl ? { slackApiUrl: apiUrl } : {}), retryConfig: { retries: 2 }, logLevel: webApi.LogLevel.ERROR });
}

/** A WebClient that answers a 429 or a failure at once, leaving the retry to its caller. */
export function unretriedWebClient(token: string, apiUrl: string | undefined): webApi.WebClient {
  return new webApi.WebClient(token, {
    ...(apiUrl ? { slackApiUrl: apiUrl } : {}),
    rejectRateLimitedCalls: true,
    retryConfig: { retries: 0 },
    timeout: SLACK_CALL_TIMEOUT_MS,
    logLevel: webApi.LogLevel.ERROR,
  });
}

/**
 * Our own WebClient, not Bolt's: it must not wait out 429s or retry by itself, because
 * the delivery queue decides what to retry, and a coalesced newer state may replace it.
 * Unpaced: PacedChat in front of it keeps to the workspace's budget.
 */
export class SlackChatApi implements ChatApi {
  private readonly client: webApi.WebClient;

  constructor(private readonly options: ChatApiOptions) {
    this.client = unretriedWebClient(options.token, options.apiUrl);
  }

  async postMessage(args: PostArgs): Promise<{ channel: string; ts: string }> {
    const result = await this.call('chat.postMessage', () => this.client.chat.postMessage({ ...args, unfurl_links: false }));
    return { channel: String(result.channel), ts: String(result.ts) };
  }

  async update(args: UpdateArgs): Promise<void> {
    await this.call('chat.update', () => this.client.chat.update(args));
  }

  private call<T>(method: string, request: () => Promise<T>): Promise<T> {
    return slackCall(this.options.metrics, method, request);
  }
}

/** One Web API call, its failure sorted: a 429 or a transient error is a RetryLater, anything else a SlackPermanentError. */
export async function slackCall<T>(metrics: Metrics, method: string, request: () => Promise<T>): Promise<T> {
  const count = (outcome: string) => metrics.slackCalls.inc({ method, outcome });
  try {
    const result = await request();
    count('ok');
    return result;
  } catch (error) {
    const e = error as { code?: string; retryAfter?: number; statusCode?: number; data?: { error?: string } };
    if (e.code === webApi.ErrorCode.RateLimitedError) {
      count('rate_limited');
      const afterMs = Math.max(1, e.retryAfter ?? 1) * 1_000;
      throw new RetryLater(`${method} rate limited`, afterMs, { cause: error, throttled: true });
    }
    const transient =
      e.code === webApi.ErrorCode.RequestError ||
      (e.code === webApi.ErrorCode.HTTPError && (e.statusCode ?? 500) >= 500) ||
      (e.code === webApi.ErrorCode.PlatformError && TRANSIENT_PLATFORM_ERRORS.has(e.data?.error ?? ''));
    if (transient) {
      count('transient');
      throw new RetryLater(`${method} failed transiently`, undefined, { cause: error });
    }
    count('failed');
    throw new SlackPermanentError(method, e.data?.error ?? (error as Error).message, { cause: error });
  }
}
