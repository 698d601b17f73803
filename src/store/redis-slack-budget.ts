import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { updateLimit, type MessageChange, type SlackBudget, type SlackBudgetLimits } from '../slack/delivery/slack-budget.js';
import { RedisBase } from './redis-base.js';

/**
 * One post per channel per interval, shared by every replica. Redis's own clock, so
 * replicas whose clocks differ still agree.
 * KEYS: 1 last post, 2 pause; ARGV: 1 interval ms. Returns 0 (counted) or ms to wait.
 */
const TAKE_POST_SCRIPT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local earliest = math.max(tonumber(redis.call('GET', KEYS[1]) or '-1e15') + tonumber(ARGV[1]), tonumber(redis.call('GET', KEYS[2]) or '0'))
if now < earliest then return earliest - now end
redis.call('SET', KEYS[1], now, 'PX', ARGV[1])
return 0
`;

/**
 * At most `limit` updates in any window, shared by every replica (a sliding log). The limit
 * is the caller's: a change of detail is held to fewer than a change of state, so both
 * read the same log. The wait is until enough of the log leaves the window for this limit.
 * KEYS: 1 log (sorted set), 2 pause; ARGV: 1 limit, 2 window ms, 3 unique member.
 */
const TAKE_UPDATE_SCRIPT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local window = tonumber(ARGV[2])
local paused = tonumber(redis.call('GET', KEYS[2]) or '0')
if now < paused then return paused - now end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
local over = redis.call('ZCARD', KEYS[1]) - tonumber(ARGV[1])
if over >= 0 then
  local leaving = redis.call('ZRANGE', KEYS[1], over, over, 'WITHSCORES')
  return math.max(1, tonumber(leaving[2]) + window - now)
end
redis.call('ZADD', KEYS[1], now, ARGV[3])
redis.call('PEXPIRE', KEYS[1], window)
return 0
`;

/** KEYS: 1 pause; ARGV: 1 ms from now. Only ever pushes the pause later. */
const PAUSE_SCRIPT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local untilMs = now + tonumber(ARGV[1])
if untilMs > tonumber(redis.call('GET', KEYS[1]) or '0') then redis.call('SET', KEYS[1], untilMs, 'PX', ARGV[1]) end
return 0
`;

interface BudgetScripts {
  chatopsTakePost(last: string, pause: string, intervalMs: string): Promise<number>;
  chatopsTakeUpdate(log: string, pause: string, limit: string, windowMs: string, member: string): Promise<number>;
  chatopsPause(pause: string, afterMs: string): Promise<number>;
}

/** The workspace's Slack budget in Redis: one script per take, so N replicas share it. */
export class RedisSlackBudget extends RedisBase implements SlackBudget {
  private readonly scripts: BudgetScripts;

  constructor(
    redis: Redis,
    keyPrefix: string,
    private readonly limits: SlackBudgetLimits,
  ) {
    super(redis, keyPrefix);
    redis.defineCommand('chatopsTakePost', { numberOfKeys: 2, lua: TAKE_POST_SCRIPT });
    redis.defineCommand('chatopsTakeUpdate', { numberOfKeys: 2, lua: TAKE_UPDATE_SCRIPT });
    redis.defineCommand('chatopsPause', { numberOfKeys: 1, lua: PAUSE_SCRIPT });
    this.scripts = redis as unknown as BudgetScripts;
  }

  takePost(channel: string): Promise<number> {
    return this.guard(() =>
      this.scripts.chatopsTakePost(this.key('slack', 'post', channel), this.key('slack', 'paused', 'post', channel), String(this.limits.postIntervalMs)),
    );
  }

  takeUpdate(change: MessageChange): Promise<number> {
    return this.guard(() =>
      this.scripts.chatopsTakeUpdate(
        this.key('slack', 'updates'),
        this.key('slack', 'paused', 'update'),
        String(updateLimit(this.limits, change)),
        String(this.limits.windowMs),
        randomUUID(),
      ),
    );
  }

  async pause(kind: 'post' | 'update', afterMs: number, channel?: string): Promise<void> {
    const key = kind === 'post' ? this.key('slack', 'paused', 'post', channel ?? '') : this.key('slack', 'paused', 'update');
    await this.guard(() => this.scripts.chatopsPause(key, String(Math.max(1, Math.round(afterMs)))));
  }
}
