import { webApi } from '@slack/bolt';
import { BotError, type ErrorCode } from '../errors.js';
import type { Metrics } from '../metrics.js';
import type { Block } from './render/block-kit.js';
import { RetryLater } from './delivery-queue.js';
import type { SlackBudget, SlackBudgetLimits } from './delivery/slack-budget.js';
import { FairShare } from './rate-limiter.js';

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

/** The two Web API calls incident delivery needs, paced to Slack's limits. */
export interface ChatApi {
  postMessage(args: PostArgs): Promise<{ channel: string; ts: string }>;
  update(args: UpdateArgs): Promise<void>;
}

/** The longest a Slack call runs: what shutdown waits for a call in flight. */
export const SLACK_CALL_TIMEOUT_MS = 10_000;

/** Errors that Slack documents as worth retrying; any other platform error is permanent. */
const TRANSIENT_PLATFORM_ERRORS = new Set(['internal_error', 'fatal_error', 'service_unavailable', 'request_timeout', 'ratelimited']);

/** Gives the task's place back until the limit allows it; not a failed attempt. */
function throttle(method: string, waitMs: number): void {
  if (waitMs > 0) throw new RetryLater(`${method} waits for its rate limit`, waitMs, { throttled: true });
}

/** What a person does about Slack's most common refusals. */
const REFUSAL_HINTS: Readonly<Record<string, string>> = {
  not_in_channel: 'invite the bot to the channel',
  channel_not_found: 'check the channel id in services.yaml or INCIDENT_CHANNEL, and invite the bot to it',
  is_archived: 'unarchive the channel, or point services.yaml or INCIDENT_CHANNEL at another one',
  invalid_auth: 'check SLACK_BOT_TOKEN',
  not_authed: 'check SLACK_BOT_TOKEN',
  token_revoked: 'reinstall the Slack app and update SLACK_BOT_TOKEN',
  missing_scope: 'add the missing scope to the Slack app (slack-app-manifest.yaml) and reinstall it',
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
  updatesPerMinute: number;
  metrics: Metrics;
  /** The least time between posts to one channel, and between updates of one message: Slack allows about one a second. */
  messageIntervalMs: number;
  /** The workspace's budget, shared by every replica, built with `slackBudgetLimits`. */
  budget: SlackBudget;
}

/**
 * Slack allows about one message per second per channel, and Tier 3 methods such as
 * chat.update about 50 a minute; the margins absorb timer and network jitter.
 */
const POST_INTERVAL_MARGIN = 1.05;
const UPDATE_WINDOW_MS = 61_000;

/** The limits a workspace budget keeps, from the configured pace and Slack's margins. */
export function slackBudgetLimits(options: { messageIntervalMs: number; updatesPerMinute: number }): SlackBudgetLimits {
  return {
    postIntervalMs: Math.round(options.messageIntervalMs * POST_INTERVAL_MARGIN),
    updatesPerWindow: options.updatesPerMinute,
    windowMs: UPDATE_WINDOW_MS,
  };
}

/** A budget that cannot be read (Redis away) delays the call; it does not fail it. */
async function take(method: string, budget: () => Promise<number>): Promise<void> {
  let waitMs: number;
  try {
    waitMs = await budget();
  } catch (error) {
    throw new RetryLater(`${method} waits for its shared rate budget`, undefined, { cause: error });
  }
  throttle(method, waitMs);
}

/**
 * Our own WebClient, not Bolt's: it must not wait out 429s or retry by itself, because
 * the delivery queue decides what to retry, and a coalesced newer state may replace it.
 */
export class SlackChatApi implements ChatApi {
  private readonly client: webApi.WebClient;
  private readonly fairShare: FairShare;

  constructor(private readonly options: ChatApiOptions) {
    this.client = new webApi.WebClient(options.token, {
      ...(options.apiUrl ? { slackApiUrl: options.apiUrl } : {}),
      rejectRateLimitedCalls: true,
      retryConfig: { retries: 0 },
      timeout: SLACK_CALL_TIMEOUT_MS,
      logLevel: webApi.LogLevel.ERROR,
    });
    this.fairShare = new FairShare(options.updatesPerMinute, UPDATE_WINDOW_MS, options.messageIntervalMs);
  }

  async postMessage(args: PostArgs): Promise<{ channel: string; ts: string }> {
    await take('chat.postMessage', () => this.options.budget.takePost(args.channel));
    const result = await this.call(
      'chat.postMessage',
      () => this.client.chat.postMessage({ ...args, unfurl_links: false }),
      (afterMs) => this.options.budget.pause('post', afterMs, args.channel),
    );
    return { channel: String(result.channel), ts: String(result.ts) };
  }

  async update(args: UpdateArgs): Promise<void> {
    const message = `${args.channel}:${args.ts}`;
    throttle('chat.update', this.fairShare.wait(message));
    await take('chat.update', () => this.options.budget.takeUpdate());
    await this.call(
      'chat.update',
      () => this.client.chat.update(args),
      (afterMs) => this.options.budget.pause('update', afterMs),
    );
    this.fairShare.sent(message);
  }

  private async call<T>(method: string, request: () => Promise<T>, pause: (afterMs: number) => Promise<void>): Promise<T> {
    const count = (outcome: string) => this.options.metrics.slackCalls.inc({ method, outcome });
    try {
      const result = await request();
      count('ok');
      return result;
    } catch (error) {
      const e = error as { code?: string; retryAfter?: number; statusCode?: number; data?: { error?: string } };
      if (e.code === webApi.ErrorCode.RateLimitedError) {
        count('rate_limited');
        const afterMs = Math.max(1, e.retryAfter ?? 1) * 1_000;
        // Shared: every replica holds back, not only the one that met the 429. A 429 is a wait, never a failed attempt.
        await pause(afterMs).catch(() => undefined);
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
}
