/**
 * Slack's rate limits are per workspace, so replicas that pace themselves alone together
 * exceed them. A budget answers "go now" (0, and the call is counted) or how long to wait.
 */
export interface SlackBudget {
  /** At most one post per channel per post interval. */
  takePost(channel: string): Promise<number>;
  /**
   * At most so many updates per window, for the whole workspace; an update that keeps the
   * state its message shows ('detail') leaves `stateReserve` of them to changes of state.
   */
  takeUpdate(change: MessageChange): Promise<number>;
  /** After a 429: nothing of this kind (for this channel, for posts) before `afterMs` from now. */
  pause(kind: 'post' | 'update', afterMs: number, channel?: string): Promise<void>;
}

/**
 * What an update changes in what people see: the state (resolved, acknowledged, an
 * action's outcome) or only details (alert counts). When the budget is short, state first.
 */
export type MessageChange = 'state' | 'detail';

export interface SlackBudgetLimits {
  postIntervalMs: number;
  updatesPerWindow: number;
  windowMs: number;
  /** Updates per window that only a change of state may use. */
  stateReserve: number;
}

/** The updates per window a change of `change` may use. */
export function updateLimit(limits: SlackBudgetLimits, change: MessageChange): number {
  return change === 'state' ? limits.updatesPerWindow : limits.updatesPerWindow - limits.stateReserve;
}
