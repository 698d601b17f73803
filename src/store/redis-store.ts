import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Incident, IncidentState, TimelineEntry } from '../incidents/incident.js';
import {
  STATS_INDEX_MS,
  type AuditEntry,
  type GroupPointerMode,
  type IncidentCommit,
  type IncidentCreate,
  type IncidentStore,
  type MessageCopy,
  type MessageRefStore,
  type SlackMessageRef,
} from '../incidents/store.js';
import { locatorKeys } from './locator-keys.js';
import { COPY_KEYS } from './message-copies.js';
import { openIndexScore } from './open-order.js';
import { RedisBase } from './redis-base.js';
import { StoredIncident, StoredTimelineEntry } from './schema.js';

/**
 * Open incidents counted by state, kept by the commit script so /metrics reads one hash.
 * A Redis written before the counts were kept gets them counted once, from the open index.
 */
const ENSURE_OPEN_COUNTS = `
local function ensureOpenCounts(openKey, countsKey, incidentPrefix)
  if redis.call('EXISTS', countsKey) == 1 then return end
  redis.call('HSET', countsKey, 'firing', 0, 'acknowledged', 0, 'mitigating', 0)
  for _, open in ipairs(redis.call('ZRANGE', openKey, 0, -1)) do
    local state = redis.call('HGET', incidentPrefix .. open, 'state')
    if state then redis.call('HINCRBY', countsKey, state, 1) end
  end
end
`;

/** KEYS: 1 open index, 2 open counts; ARGV: 1 incident key prefix. Returns the counts hash as field, value, … */
const COUNT_OPEN_SCRIPT = `${ENSURE_OPEN_COUNTS}
ensureOpenCounts(KEYS[1], KEYS[2], ARGV[1])
return redis.call('HGETALL', KEYS[2])
`;

/**
 * Compare-and-set of an incident with everything that goes with it, in one step. A new
 * incident (id '') takes the next id here, after the compare-and-set held, so an HA
 * duplicate that loses takes none. The document is sent without its id, which leads it.
 * The change is noted for the Slack reconciler in the same step, so that a committed change
 * is found by its sweep even when no process lived to announce it.
 * Every commit (not only the first) indexes the incident by when it opened, so that one
 * written before the index was kept joins it at its next change.
 * KEYS: 1 group pointer, 2 open index, 3 id sequence, 4 open counts by state, 5 changes,
 *       6 index by opening
 * ARGV: 1 pointer mode (cas|touch), 2 expected pointer ('' = none), 3 expected version,
 *       4 document without id, 5 new version, 6 id ('' = take the next), 7 state,
 *       8 open score, 9 reopen window ms, 10 retention ms, 11 incident key prefix,
 *       12 now ms, 13 opened at ms, 14 how long the index by opening keeps an id (ms),
 *       15.. timeline entries
 * Returns the incident's id, or false when a compare-and-set failed.
 */
const COMMIT_SCRIPT = `${ENSURE_OPEN_COUNTS}
local pointer = redis.call('GET', KEYS[1])
if ARGV[1] == 'cas' and (pointer or '') ~= ARGV[2] then return false end
local id = ARGV[6]
if id == '' then
  id = tostring(redis.call('INCR', KEYS[3]))
elseif (redis.call('HGET', ARGV[11] .. id, 'version') or '0') ~= ARGV[3] then
  return false
end
local hash = ARGV[11] .. id
local timeline = hash .. ':timeline'
ensureOpenCounts(KEYS[2], KEYS[4], ARGV[11])
if redis.call('ZSCORE', KEYS[2], id) then
  local was = redis.call('HGET', hash, 'state')
  if was then redis.call('HINCRBY', KEYS[4], was, -1) end
end
if ARGV[7] ~= 'resolved' then redis.call('HINCRBY', KEYS[4], ARGV[7], 1) end
local doc = '{"id":' .. cjson.encode(id) .. ',' .. string.sub(ARGV[4], 2)
redis.call('HSET', hash, 'version', ARGV[5], 'state', ARGV[7], 'doc', doc)
for i = 15, #ARGV do redis.call('RPUSH', timeline, ARGV[i]) end
redis.call('ZADD', KEYS[5], ARGV[12], id)
redis.call('ZREMRANGEBYSCORE', KEYS[5], '-inf', '(' .. (tonumber(ARGV[12]) - tonumber(ARGV[10])))
redis.call('ZADD', KEYS[6], ARGV[13], id)
redis.call('ZREMRANGEBYSCORE', KEYS[6], '-inf', '(' .. (tonumber(ARGV[12]) - tonumber(ARGV[14])))
local ownsPointer = ARGV[1] == 'cas' or pointer == id
if ARGV[7] == 'resolved' then
  redis.call('ZREM', KEYS[2], id)
  redis.call('PEXPIRE', hash, ARGV[10])
  redis.call('PEXPIRE', timeline, ARGV[10])
  if ownsPointer then redis.call('SET', KEYS[1], id, 'PX', ARGV[9]) end
else
  redis.call('ZADD', KEYS[2], ARGV[8], id)
  redis.call('PERSIST', hash)
  redis.call('PERSIST', timeline)
  if ownsPointer then redis.call('SET', KEYS[1], id) end
end
return id
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
  chatopsCommitIncident(...args: string[]): Promise<string | null>;
  chatopsCountOpen(openKey: string, countsKey: string, incidentKeyPrefix: string): Promise<string[]>;
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
    redis.defineCommand('chatopsCommitIncident', { numberOfKeys: 6, lua: COMMIT_SCRIPT });
    redis.defineCommand('chatopsCountOpen', { numberOfKeys: 2, lua: COUNT_OPEN_SCRIPT });
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
    const id = await this.commitScript(incident, incident.id, expectedVersion, entries, pointer.mode, pointer.mode === 'cas' ? pointer.expected : '');
    return id !== null;
  }

  async create({ incident, entries, expectedPointer }: IncidentCreate): Promise<Incident | undefined> {
    const id = await this.commitScript(incident, '', 0, entries, 'cas', expectedPointer);
    return id === null ? undefined : { ...incident, id, version: 1 };
  }

  /** Runs COMMIT_SCRIPT; the id written, or null when a compare-and-set failed. */
  private commitScript(
    incident: Incident,
    id: string,
    expectedVersion: number,
    entries: readonly TimelineEntry[],
    mode: GroupPointerMode['mode'],
    expectedPointer: string,
  ): Promise<string | null> {
    const version = expectedVersion + 1;
    return this.write(() =>
      this.scripts.chatopsCommitIncident(
        this.groupKey(incident.groupKey),
        this.key('incidents', 'open'),
        this.key('incident', 'seq'),
        this.key('incidents', 'open-counts'),
        this.key('incidents', 'changed'),
        this.key('incidents', 'opened'),
        mode,
        expectedPointer,
        String(expectedVersion),
        JSON.stringify({ ...incident, id: undefined, version }),
        String(version),
        id,
        incident.state,
        String(openIndexScore(incident)),
        String(this.options.reopenWindowMs),
        String(this.options.retentionMs),
        this.incidentKey(''),
        String(Date.now()),
        String(Date.parse(incident.openedAt)),
        String(STATS_INDEX_MS),
        ...entries.map((e) => JSON.stringify(e)),
      ),
    );
  }

  async appendTimeline(id: string, entries: readonly TimelineEntry[]): Promise<void> {
    if (entries.length === 0) return;
    await this.write(() => this.redis.rpush(this.key('incident', id, 'timeline'), ...entries.map((e) => JSON.stringify(e))));
  }

  async timeline(id: string, from = 0): Promise<TimelineEntry[]> {
    const key = this.key('incident', id, 'timeline');
    const raw = await this.guard(() => this.redis.lrange(key, from, -1));
    return raw.map((line) => this.parse(StoredTimelineEntry, key, line) as TimelineEntry);
  }

  async listOpen(limit: number): Promise<Incident[]> {
    return this.incidents(await this.guard(() => this.redis.zrange(this.key('incidents', 'open'), 0, limit - 1)));
  }

  async openedSince(since: number, limit: number): Promise<Incident[]> {
    return this.incidents(await this.guard(() => this.redis.zrangebyscore(this.key('incidents', 'opened'), since, '+inf', 'LIMIT', 0, limit)));
  }

  /** The documents of `ids` in one round trip, leaving out those gone. */
  private async incidents(ids: string[]): Promise<Incident[]> {
    if (ids.length === 0) return [];
    const pipeline = this.redis.pipeline();
    for (const id of ids) pipeline.hget(this.incidentKey(id), 'doc');
    const results = await this.guard(() => pipeline.exec());
    return (results ?? []).flatMap(([, doc], i) => (typeof doc === 'string' ? [this.incident(ids[i] ?? '', doc)] : []));
  }

  countOpen(): Promise<number> {
    return this.guard(() => this.redis.zcard(this.key('incidents', 'open')));
  }

  async countOpenByState(): Promise<Record<IncidentState, number>> {
    const flat = await this.guard(() =>
      this.scripts.chatopsCountOpen(this.key('incidents', 'open'), this.key('incidents', 'open-counts'), this.incidentKey('')),
    );
    const counts: Record<IncidentState, number> = { firing: 0, acknowledged: 0, mitigating: 0, resolved: 0 };
    for (let i = 0; i + 1 < flat.length; i += 2) {
      const state = flat[i] as IncidentState;
      if (state in counts) counts[state] = Number(flat[i + 1]);
    }
    return counts;
  }

  async audit(entry: AuditEntry): Promise<void> {
    const fields = Object.entries(entry).flatMap(([k, v]) => (v === undefined ? [] : [k, String(v)]));
    await this.write(() => this.redis.xadd(this.key('audit'), 'MAXLEN', '~', String(AUDIT_MAX_LEN), '*', ...fields));
  }

  getMessageRef(incidentId: string, copy: MessageCopy = 'channel'): Promise<SlackMessageRef | undefined> {
    return this.readMessageRef(this.key('incident', incidentId, COPY_KEYS[copy].message));
  }

  /** Also binds the message's thread to the incident, for what people do in it (IncidentLocator): a room copy's thread too. */
  async setMessageRef(incidentId: string, ref: SlackMessageRef, copy: MessageCopy = 'channel'): Promise<void> {
    await this.writeMessageRef(this.key('incident', incidentId, COPY_KEYS[copy].message), ref, this.options.retentionMs);
    const thread = this.key(...locatorKeys.thread(ref.channel, ref.ts));
    await this.write(() => this.redis.set(thread, incidentId, 'PX', this.options.retentionMs));
  }

  threadCursor(incidentId: string, copy: MessageCopy = 'channel'): Promise<number> {
    return this.readCursor(this.key('incident', incidentId, COPY_KEYS[copy].cursor));
  }

  setThreadCursor(incidentId: string, cursor: number, copy: MessageCopy = 'channel'): Promise<void> {
    return this.writeCursor(this.key('incident', incidentId, COPY_KEYS[copy].cursor), cursor, this.options.retentionMs);
  }

  retroFiledCursor(incidentId: string): Promise<number> {
    return this.readCursor(this.key('incident', incidentId, 'retro-filed-cursor'));
  }

  setRetroFiledCursor(incidentId: string, cursor: number): Promise<void> {
    return this.writeCursor(this.key('incident', incidentId, 'retro-filed-cursor'), cursor, this.options.retentionMs);
  }

  changedSince(since: number): Promise<string[]> {
    return this.changesSince(this.key('incidents', 'changed'), since);
  }
}
