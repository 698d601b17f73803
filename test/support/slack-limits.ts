/**
 * Slack's rate limits, as the fake Slack's `rateLimit` hook: beyond them a call is answered
 * 429 with Retry-After, as Slack does, and recorded as `<method>:429`. Per workspace, so one
 * fake shared by several replicas sees what they send together.
 *   - chat.postMessage: one per second per channel;
 *   - chat.update: `updatesPerMinute` in any 60 s (Tier 3 is about 50).
 */
import type { SlackCall } from './fake-slack.js';

export interface SlackLimits {
  postIntervalMs: number;
  updatesPerMinute: number;
}

export const SLACK_LIMITS: SlackLimits = { postIntervalMs: 1_000, updatesPerMinute: 50 };

const WINDOW_MS = 60_000;

export function slackRateLimits(limits: SlackLimits = SLACK_LIMITS): (call: SlackCall) => number | undefined {
  const lastPost = new Map<string, number>();
  const updates: number[] = [];
  const seconds = (ms: number) => Math.max(1, Math.ceil(ms / 1_000));
  return (call) => {
    const now = call.at;
    if (call.method === 'chat.postMessage') {
      const channel = String(call.params.channel);
      const wait = (lastPost.get(channel) ?? -Infinity) + limits.postIntervalMs - now;
      if (wait > 0) return seconds(wait);
      lastPost.set(channel, now);
    }
    if (call.method === 'chat.update') {
      while (updates.length > 0 && (updates[0] ?? 0) <= now - WINDOW_MS) updates.shift();
      if (updates.length >= limits.updatesPerMinute) return seconds((updates[0] ?? now) + WINDOW_MS - now);
      updates.push(now);
    }
    return undefined;
  };
}

/** The 429s the fake answered, by method. */
export function rateLimited(calls: readonly SlackCall[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const call of calls) if (call.method.endsWith(':429')) counts[call.method] = (counts[call.method] ?? 0) + 1;
  return counts;
}
