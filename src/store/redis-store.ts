import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Incident, IncidentState, TimelineEntry } from '../incidents/incident.js';
import type { AuditEntry, IncidentCommit, IncidentStore, MessageRefStore, SlackMessageRef } from '../incidents/store.js';
import { RedisBase } from './redis-base.js';
import { StoredIncident, StoredTimelineEntry } from './schema.js';

/**
 * Compare-and-set of an incident with everything that goes with it, in one step.
 * KEYS: 1 group pointer, 2 incident hash, 3 timeline list, 4 open index
 * ARGV: 1 pointer mode (cas|touch), 2 expected pointer ('' = none), 3 expected version,
 *       4 document, 5 new version, 6 id, 7 state, 8 open score, 9 reopen window ms,
 *       10 retention ms, 11.. timeline entries
 */
const COMMIT_SCRIPT = `
local pointer = redis.call('GET', KEYS[1])
if ARGV[1] == 'cas' and (pointer or '') ~= ARGV[2] then return 0 end
if (redis.call('HGET', KEYS[2], 'version') or '0') ~= ARGV[3] then return 0 end
redis.call('HSET', KEYS[2], 'version', ARGV[5], 'state', ARGV[7], 'doc', ARGV[4])
for i = 11, #ARGV do redis.call('RPUSH', KEYS[3], ARGV[i]) end
local ownsPointer = ARGV[1] == 'cas' or pointer == ARGV[6]
if ARGV[7] == 'resolved' then
  redis.call('ZREM', KEYS[4], ARGV[6])
  redis.call('PEXPIRE', KEYS[2], ARGV[10])
  redis.call('PEXPIRE', KEYS[3], ARGV[10])
  if ownsPointer then redis.call('SET', KEYS[1], ARGV[6], 'PX', ARGV[9]) end
else
  redis.call('ZADD', KEYS[4], ARGV[8], ARGV[6])
  redis.call('PERSIST', KEYS[2])
  redis.call('PERSIST', KEYS[3])
  if ownsPointer then redis.call('SET', KEYS[1], ARGV[6]) end
end
return 1
`;

/**
 * The group's current incident id and document in one round trip (the webhook's hot path).
 * KEYS: 1 group pointer; ARGV: 1 incident key prefix
 */
const CURRENT_FOR_GROUP_SCRIPT = `
local id = redis.call('GET', KEYS[1])
if not id then return false end
return {id, redis.call('HGET', ARGV[1] .. id, 'doc')}
`;

interface ScriptCommands {
  chatopsCurrentForGroup(pointerKey: string, incidentKeyPrefix: string): Promise<[string, string | null] | [string] | null>;
  chatopsCommitIncident(...args: string[]): Promise<number>;
}

const AUDIT_MAX_LEN = 100_000;

export interface RedisStoreOptions {
  keyPrefix: string;
  reopenWindowMs: number;
  retentionMs: number;
}

/** The one place that speaks Redis. Every key starts with the configured prefix. */
export class RedisStore extends RedisBase implements IncidentStore, MessageRefStore {
  private readonly scripts: ScriptCommands;

  constructor(
    redis: Redis,
    private readonly options: RedisStoreOptions,
  ) {
    super(redis, options.keyPrefix);
    // defineCommand sends EVALSHA and falls back to EVAL once, so the hot path skips the script text.
    redis.defineCommand('chatopsCommitIncident', { numberOfKeys: 4, lua: COMMIT_SCRIPT });
    redis.defineCommand('chatopsCurrentForGroup', { numberOfKeys: 1, lua: CURRENT_FOR_GROUP_SCRIPT });
    this.scripts = redis as unknown as ScriptCommands;
  }

  private incidentKey(id: string): string {
    return this.key('incident', id);
  }

  private groupKey(groupKey: string): string {
    return this.key('group', createHash('sha256').update(groupKey).digest('hex').slice(0, 32));
  }

  async ping(): Promise<void> {
    await this.guard(() => this.redis.ping());
  }

  async nextId(): Promise<string> {
    return String(await this.guard(() => this.redis.incr(this.key('incident', 'seq'))));
  }

  async currentForGroup(groupKey: string): Promise<Incident | undefined> {
    const [id, doc] = (await this.guard(() => this.scripts.chatopsCurrentForGroup(this.groupKey(groupKey), this.incidentKey('')))) ?? [];
    return id && doc ? this.incident(id, doc) : undefined;
  }

  async get(id: string): Promise<Incident | undefined> {
    const doc = await this.guard(() => this.redis.hget(this.incidentKey(id), 'doc'));
    return doc ? this.incident(id, doc) : undefined;
  }

  private incident(id: string, doc: string): Incident {
    return this.parse(StoredIncident, this.incidentKey(id), doc);
  }

  async commit({ incident, expectedVersion, entries, pointer }: IncidentCommit): Promise<boolean> {
    const stored: Incident = { ...incident, version: expectedVersion + 1 };
    const result = await this.guard(() =>
      this.scripts.chatopsCommitIncident(
        this.groupKey(incident.groupKey),
        this.incidentKey(incident.id),
        this.key('incident', incident.id, 'timeline'),
        this.key('incidents', 'open'),
        pointer.mode,
        pointer.mode === 'cas' ? pointer.expected : '',
        String(expectedVersion),
        JSON.stringify(stored),
        String(stored.version),
        incident.id,
        incident.state,
        String(Date.parse(incident.openedAt)),
        String(this.options.reopenWindowMs),
        String(this.options.retentionMs),
        ...entries.map((e) => JSON.stringify(e)),
      ),
    );
    return result === 1;
  }

  async appendTimeline(id: string, entries: readonly TimelineEntry[]): Promise<void> {
    if (entries.length === 0) return;
    await this.guard(() => this.redis.rpush(this.key('incident', id, 'timeline'), ...entries.map((e) => JSON.stringify(e))));
  }

  async timeline(id: string, from = 0): Promise<TimelineEntry[]> {
    const key = this.key('incident', id, 'timeline');
    const raw = await this.guard(() => this.redis.lrange(key, from, -1));
    return raw.map((line) => this.parse(StoredTimelineEntry, key, line) as TimelineEntry);
  }

  async listOpen(limit: number): Promise<Incident[]> {
    const ids = await this.guard(() => this.redis.zrevrange(this.key('incidents', 'open'), 0, limit - 1));
    if (ids.length === 0) return [];
    const pipeline = this.redis.pipeline();
    for (const id of ids) pipeline.hget(this.incidentKey(id), 'doc');
    const results = await this.guard(() => pipeline.exec());
    return (results ?? []).flatMap(([, doc], i) => (typeof doc === 'string' ? [this.incident(ids[i] ?? '', doc)] : []));
  }

  async countOpenByState(): Promise<Record<IncidentState, number>> {
    const counts: Record<IncidentState, number> = { firing: 0, acknowledged: 0, mitigating: 0, resolved: 0 };
    const ids = await this.guard(() => this.redis.zrange(this.key('incidents', 'open'), 0, -1));
    if (ids.length === 0) return counts;
    const pipeline = this.redis.pipeline();
    for (const id of ids) pipeline.hget(this.incidentKey(id), 'state');
    const results = await this.guard(() => pipeline.exec());
    for (const [, state] of results ?? []) {
      if (typeof state === 'string' && state in counts) counts[state as IncidentState] += 1;
    }
    return counts;
  }

  async audit(entry: AuditEntry): Promise<void> {
    const fields = Object.entries(entry).flatMap(([k, v]) => (v === undefined ? [] : [k, String(v)]));
    await this.guard(() => this.redis.xadd(this.key('audit'), 'MAXLEN', '~', String(AUDIT_MAX_LEN), '*', ...fields));
  }

  getMessageRef(incidentId: string): Promise<SlackMessageRef | undefined> {
    return this.readMessageRef(this.key('incident', incidentId, 'message'));
  }

  setMessageRef(incidentId: string, ref: SlackMessageRef): Promise<void> {
    return this.writeMessageRef(this.key('incident', incidentId, 'message'), ref, this.options.retentionMs);
  }

  threadCursor(incidentId: string): Promise<number> {
    return this.readCursor(this.key('incident', incidentId, 'thread-cursor'));
  }

  setThreadCursor(incidentId: string, cursor: number): Promise<void> {
    return this.writeCursor(this.key('incident', incidentId, 'thread-cursor'), cursor, this.options.retentionMs);
  }

  noteChanged(incidentId: string, at: number): Promise<void> {
    return this.noteChange(this.key('incidents', 'changed'), incidentId, at, this.options.retentionMs);
  }

  changedSince(since: number): Promise<string[]> {
    return this.changesSince(this.key('incidents', 'changed'), since);
  }
}
