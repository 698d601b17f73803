import type { Redis } from 'ioredis';
import { z } from 'zod';
import type { WatchStore } from '../actions/watch-store.js';
import type { Watch } from '../verify/rollback-verification.js';
import { RedisBase } from './redis-base.js';

/** A round as the watch keeps it; only what the verdict reads is declared, the rest is kept as it was. */
const StoredRound = z.looseObject({ verdict: z.enum(['pass', 'fail', 'no-data']), results: z.array(z.looseObject({})), at: z.string() });

/** The document of a watch (verify:watch:<action id>). */
const StoredWatch = z.looseObject({
  actionId: z.string(),
  dueAt: z.number(),
  rounds: z.number().int().nonnegative(),
  recovered: z.boolean().optional(),
  relapsed: StoredRound.optional(),
  last: StoredRound.optional(),
});

/**
 * KEYS: 1 the watch, 2 the due set. ARGV: 1 action id, 2 document, 3 due at (ms), 4 ttl (ms),
 * 5 expected rounds ('' to add only when absent).
 */
const SAVE_WATCH_SCRIPT = `
local current = redis.call('GET', KEYS[1])
if ARGV[5] == '' then
  if current then return 0 end
else
  if not current or tostring(cjson.decode(current).rounds) ~= ARGV[5] then return 0 end
end
redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[4])
redis.call('ZADD', KEYS[2], ARGV[3], ARGV[1])
return 1
`;

interface WatchScripts {
  chatopsSaveWatch(...args: string[]): Promise<number>;
}

/**
 * Watches of rollbacks under verification: one document per action, and a sorted set of
 * action ids by when their next round is due, written together by one script. A watch lapses
 * after the retention period, like its action.
 */
export class RedisWatchStore extends RedisBase implements WatchStore {
  private readonly scripts: WatchScripts;

  constructor(
    redis: Redis,
    keyPrefix: string,
    private readonly retentionMs: number,
  ) {
    super(redis, keyPrefix);
    redis.defineCommand('chatopsSaveWatch', { numberOfKeys: 2, lua: SAVE_WATCH_SCRIPT });
    this.scripts = redis as unknown as WatchScripts;
  }

  async addWatch(watch: Watch): Promise<void> {
    await this.save(watch, '');
  }

  async getWatch(actionId: string): Promise<Watch | undefined> {
    const key = this.key('verify', 'watch', actionId);
    const raw = await this.guard(() => this.redis.get(key));
    return raw === null ? undefined : (this.parse(StoredWatch, key, raw) as Watch);
  }

  async dueWatches(now: number, limit: number): Promise<Watch[]> {
    const ids = await this.guard(() => this.redis.zrangebyscore(this.key('verify', 'due'), '-inf', now, 'LIMIT', 0, limit));
    const watches = await Promise.all(ids.map((id) => this.getWatch(id)));
    const lapsed = ids.filter((_, index) => watches[index] === undefined);
    if (lapsed.length > 0) await this.write(() => this.redis.zrem(this.key('verify', 'due'), ...lapsed));
    return watches.filter((watch): watch is Watch => watch !== undefined);
  }

  saveWatch(watch: Watch, expectedRounds: number): Promise<boolean> {
    return this.save(watch, String(expectedRounds));
  }

  async removeWatch(actionId: string): Promise<void> {
    await this.write(() =>
      this.redis
        .multi()
        .del(this.key('verify', 'watch', actionId))
        .zrem(this.key('verify', 'due'), actionId)
        .exec(),
    );
  }

  private async save(watch: Watch, expectedRounds: string): Promise<boolean> {
    const result = await this.write(() =>
      this.scripts.chatopsSaveWatch(
        this.key('verify', 'watch', watch.actionId),
        this.key('verify', 'due'),
        watch.actionId,
        JSON.stringify(watch),
        String(watch.dueAt),
        String(this.retentionMs),
        expectedRounds,
      ),
    );
    return result === 1;
  }
}
