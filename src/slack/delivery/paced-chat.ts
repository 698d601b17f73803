import type { ChatApi, PostArgs, UpdateArgs } from '../chat-api.js';
import { RetryLater } from '../retry-later.js';
import { FairShare } from '../rate-limiter.js';
import type { MessageChange, SlackBudget, SlackBudgetLimits } from './slack-budget.js';

export interface PacingOptions {
  /** The workspace's budget, shared by every replica, built with `slackBudgetLimits`. */
  budget: SlackBudget;
  updatesPerMinute: number;
  /** The least time between posts to one channel, and between updates of one message: Slack allows about one a second. */
  messageIntervalMs: number;
}

/**
 * Slack allows about one message per second per channel, and Tier 3 methods such as
 * chat.update about 50 a minute; the margins absorb timer and network jitter.
 */
const POST_INTERVAL_MARGIN = 1.05;
const UPDATE_WINDOW_MS = 61_000;
/** The share of the update budget that only changes of state may use. */
const STATE_RESERVE_SHARE = 0.2;

/** The limits a workspace budget keeps, from the configured pace and Slack's margins. */
export function slackBudgetLimits(options: { messageIntervalMs: number; updatesPerMinute: number }): SlackBudgetLimits {
  const reserve = Math.ceil(options.updatesPerMinute * STATE_RESERVE_SHARE);
  return {
    postIntervalMs: Math.round(options.messageIntervalMs * POST_INTERVAL_MARGIN),
    updatesPerWindow: options.updatesPerMinute,
    windowMs: UPDATE_WINDOW_MS,
    // Details keep at least one update per window, or a quiet budget of one would never show them.
    stateReserve: Math.min(reserve, options.updatesPerMinute - 1),
  };
}

/** Gives the task's place back until the limit allows it; not a failed attempt. `gate` names a limit other tasks share. */
function throttle(method: string, waitMs: number, gate?: string): void {
  if (waitMs > 0) throw new RetryLater(`${method} waits for its rate limit`, waitMs, { throttled: true, ...(gate ? { gate } : {}) });
}

/** A budget that cannot be read (Redis away) delays the call; it does not fail it. */
async function take(method: string, gate: string, budget: () => Promise<number>): Promise<void> {
  let waitMs: number;
  try {
    waitMs = await budget();
  } catch (error) {
    throw new RetryLater(`${method} waits for its shared rate budget`, undefined, { cause: error });
  }
  throttle(method, waitMs, gate);
}

/**
 * Keeps the calls of a ChatApi within the workspace's budget. A change of state spends
 * the whole update budget and goes as soon as it allows; a change of detail (alert counts)
 * leaves a reserve to changes of state and shares what remains fairly between messages,
 * so a storm of counts never holds back a "resolved".
 */
export class PacedChat implements ChatApi {
  private readonly fairShare: FairShare;

  constructor(
    private readonly inner: ChatApi,
    private readonly options: PacingOptions,
  ) {
    this.fairShare = new FairShare(options.updatesPerMinute, UPDATE_WINDOW_MS, options.messageIntervalMs);
  }

  async postMessage(args: PostArgs): Promise<{ channel: string; ts: string }> {
    await take('chat.postMessage', `post:${args.channel}`, () => this.options.budget.takePost(args.channel));
    return this.paused(
      () => this.inner.postMessage(args),
      (afterMs) => this.options.budget.pause('post', afterMs, args.channel),
    );
  }

  async update(args: UpdateArgs, change: MessageChange = 'state'): Promise<void> {
    const message = `${args.channel}:${args.ts}`;
    if (change === 'detail') throttle('chat.update', this.fairShare.wait(message));
    await take('chat.update', `update:${change}`, () => this.options.budget.takeUpdate(change));
    await this.paused(
      () => this.inner.update(args, change),
      (afterMs) => this.options.budget.pause('update', afterMs),
    );
    this.fairShare.sent(message);
  }

  /** After Slack's 429 (a throttled RetryLater from the inner API) every replica holds back, not only this one. */
  private async paused<T>(call: () => Promise<T>, pause: (afterMs: number) => Promise<void>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      if (error instanceof RetryLater && error.throttled && error.afterMs !== undefined) await pause(error.afterMs).catch(() => undefined);
      throw error;
    }
  }
}
