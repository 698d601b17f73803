import { updateLimit, type MessageChange, type SlackBudget, type SlackBudgetLimits } from '../../slack/delivery/slack-budget.js';
import { IntervalLimiter, WindowLimiter } from '../../slack/rate-limiter.js';

/** The twin of RedisSlackBudget, for one process: the same answers, kept in memory. */
export class MemorySlackBudget implements SlackBudget {
  private readonly posts: IntervalLimiter;
  private readonly updates: WindowLimiter;

  constructor(private readonly limits: SlackBudgetLimits) {
    this.posts = new IntervalLimiter(limits.postIntervalMs);
    this.updates = new WindowLimiter(limits.updatesPerWindow, limits.windowMs);
  }

  async takePost(channel: string): Promise<number> {
    return this.posts.tryAcquire(channel);
  }

  async takeUpdate(change: MessageChange): Promise<number> {
    return this.updates.tryAcquire(Date.now(), updateLimit(this.limits, change));
  }

  async pause(kind: 'post' | 'update', afterMs: number, channel?: string): Promise<void> {
    const until = Date.now() + afterMs;
    if (kind === 'post') this.posts.pauseUntil(channel ?? '', until);
    else this.updates.pauseUntil(until);
  }
}
