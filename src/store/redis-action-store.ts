import type { Redis } from 'ioredis';
import type { Action, ActionEntry } from '../actions/action.js';
import { FINAL_STATES } from '../actions/action.js';
import type { ActionCommit, ActionStore, KillSwitch } from '../actions/store.js';
import { STATS_INDEX_MS, type SlackMessageRef } from '../incidents/store.js';
import { RedisBase } from './redis-base.js';
import { StoredAction, StoredActionEntry, StoredKillSwitch } from './schema.js';

/**
 * Compare-and-set of an action with its timeline, the running set and the cooldown. Action
 * keys only: the linked incident's timeline is the incident store's to write.
 * KEYS: 1 action hash, 2 action timeline, 3 running set, 4 cooldown, 5 requests awaiting approval (sorted by expiry),
 *       6 actions by start
 * ARGV: 1 expected version, 2 document, 3 new version, 4 id, 5 state, 6 action entry,
 *       7 cooldown ms (0 = none), 8 retention ms (final states),
 *       9 '1' when the cooldown must be free (or already ours), 10 expiry (epoch ms),
 *       11 started at (epoch ms), 12 oldest start the index keeps (epoch ms)
 */
const COMMIT_ACTION_SCRIPT = `
if (redis.call('HGET', KEYS[1], 'version') or '0') ~= ARGV[1] then return 0 end
if ARGV[9] == '1' then
  local holder = redis.call('GET', KEYS[4])
  if holder and holder ~= ARGV[4] then return 0 end
end
redis.call('HSET', KEYS[1], 'version', ARGV[3], 'state', ARGV[5], 'doc', ARGV[2])
redis.call('RPUSH', KEYS[2], ARGV[6])
if ARGV[5] == 'running' then
  redis.call('SADD', KEYS[3], ARGV[4])
  redis.call('ZADD', KEYS[6], ARGV[11], ARGV[4])
  redis.call('ZREMRANGEBYSCORE', KEYS[6], '-inf', '(' .. ARGV[12])
else
  redis.call('SREM', KEYS[3], ARGV[4])
end
if ARGV[5] == 'requested' then redis.call('ZADD', KEYS[5], ARGV[10], ARGV[4]) else redis.call('ZREM', KEYS[5], ARGV[4]) end
if ARGV[7] ~= '0' then redis.call('SET', KEYS[4], ARGV[4], 'PX', ARGV[7]) end
if ARGV[8] ~= '0' then
  redis.call('PEXPIRE', KEYS[1], ARGV[8])
  redis.call('PEXPIRE', KEYS[2], ARGV[8])
end
return 1
`;

interface ActionScripts {
  chatopsCommitAction(...args: string[]): Promise<number>;
}

export interface RedisActionStoreOptions {
  keyPrefix: string;
  retentionMs: number;
}

export class RedisActionStore extends RedisBase implements ActionStore {
  private readonly scripts: ActionScripts;

  constructor(
    redis: Redis,
    private readonly options: RedisActionStoreOptions,
  ) {
    super(redis, options.keyPrefix);
    redis.defineCommand('chatopsCommitAction', { numberOfKeys: 6, lua: COMMIT_ACTION_SCRIPT });
    this.scripts = redis as unknown as ActionScripts;
  }

  async nextActionId(): Promise<string> {
    return String(await this.write(() => this.redis.incr(this.key('action', 'seq'))));
  }

  async getAction(id: string): Promise<Action | undefined> {
    const key = this.key('action', id);
    const doc = await this.guard(() => this.redis.hget(key, 'doc'));
    return doc ? this.parse(StoredAction, key, doc) : undefined;
  }

  async commitAction({ action, expectedVersion, entry, cooldownMs, cooldownMustBeFree }: ActionCommit): Promise<boolean> {
    const stored: Action = { ...action, version: expectedVersion + 1 };
    const result = await this.write(() =>
      this.scripts.chatopsCommitAction(
        this.key('action', action.id),
        this.key('action', action.id, 'timeline'),
        this.key('actions', 'running'),
        this.key('cooldown', action.service),
        this.key('actions', 'awaiting-approval'),
        this.key('actions', 'started'),
        String(expectedVersion),
        JSON.stringify(stored),
        String(stored.version),
        action.id,
        action.state,
        JSON.stringify(entry),
        String(cooldownMs ?? 0),
        String(FINAL_STATES.has(action.state) ? this.options.retentionMs : 0),
        cooldownMustBeFree ? '1' : '0',
        String(Date.parse(action.expiresAt)),
        String(Date.parse(action.startedAt ?? action.requestedAt)),
        String(Date.now() - STATS_INDEX_MS),
      ),
    );
    return result === 1;
  }

  async appendActionEntry(action: Action, entry: ActionEntry): Promise<void> {
    await this.write(() => this.redis.rpush(this.key('action', action.id, 'timeline'), JSON.stringify(entry)));
  }

  async actionTimeline(id: string): Promise<ActionEntry[]> {
    const key = this.key('action', id, 'timeline');
    const raw = await this.guard(() => this.redis.lrange(key, 0, -1));
    return raw.map((line) => this.parse(StoredActionEntry, key, line) as ActionEntry);
  }

  async expiredRequestIds(now: Date): Promise<string[]> {
    return this.guard(() => this.redis.zrangebyscore(this.key('actions', 'awaiting-approval'), '-inf', now.getTime()));
  }

  async awaitingApprovalIds(): Promise<string[]> {
    return this.guard(() => this.redis.zrange(this.key('actions', 'awaiting-approval'), 0, -1));
  }

  async startedSince(since: number, limit: number): Promise<Action[]> {
    const ids = await this.guard(() => this.redis.zrangebyscore(this.key('actions', 'started'), since, '+inf', 'LIMIT', 0, limit));
    if (ids.length === 0) return [];
    const pipeline = this.redis.pipeline();
    for (const id of ids) pipeline.hget(this.key('action', id), 'doc');
    const results = (await this.guard(() => pipeline.exec())) ?? [];
    return results.flatMap(([, doc], i) => (typeof doc === 'string' ? [this.parse(StoredAction, this.key('action', ids[i] ?? ''), doc)] : []));
  }

  async runningActionIds(): Promise<string[]> {
    return this.guard(() => this.redis.smembers(this.key('actions', 'running')));
  }

  async cooldownOf(service: string): Promise<string | undefined> {
    return (await this.guard(() => this.redis.get(this.key('cooldown', service)))) ?? undefined;
  }

  async killSwitch(): Promise<KillSwitch | undefined> {
    const key = this.key('automation', 'paused');
    const raw = await this.guard(() => this.redis.get(key));
    return raw ? this.parse(StoredKillSwitch, key, raw) : undefined;
  }

  async setKillSwitch(state: KillSwitch | undefined): Promise<void> {
    const key = this.key('automation', 'paused');
    await this.write(async () => {
      if (state) await this.redis.set(key, JSON.stringify(state));
      else await this.redis.del(key);
    });
  }

  getActionMessage(id: string): Promise<SlackMessageRef | undefined> {
    return this.readMessageRef(this.key('action', id, 'message'));
  }

  setActionMessage(id: string, ref: SlackMessageRef): Promise<void> {
    return this.writeMessageRef(this.key('action', id, 'message'), ref, this.options.retentionMs);
  }

  replyCursor(id: string): Promise<number> {
    return this.readCursor(this.key('action', id, 'reply-cursor'));
  }

  setReplyCursor(id: string, cursor: number): Promise<void> {
    return this.writeCursor(this.key('action', id, 'reply-cursor'), cursor, this.options.retentionMs);
  }

  noteActionChanged(id: string, at: number): Promise<void> {
    return this.noteChange(this.key('actions', 'changed'), id, at, this.options.retentionMs);
  }

  actionsChangedSince(since: number): Promise<string[]> {
    return this.changesSince(this.key('actions', 'changed'), since);
  }
}
