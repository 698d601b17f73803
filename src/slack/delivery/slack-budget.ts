/**
 * Slack's rate limits are per workspace, so replicas that pace themselves alone together
 * exceed them. A budget answers "go now" (0, and the call is counted) or how long to wait.
 */
export interface SlackBudget {
  /** At most one post per channel per post interval. */
  takePost(channel: string): Promise<number>;
  /** At most so many updates per window, for the whole workspace. */
  takeUpdate(): Promise<number>;
  /** After a 429: nothing of this kind (for this channel, for posts) before `afterMs` from now. */
  pause(kind: 'post' | 'update', afterMs: number, channel?: string): Promise<void>;
}

export interface SlackBudgetLimits {
  postIntervalMs: number;
  updatesPerWindow: number;
  windowMs: number;
}
