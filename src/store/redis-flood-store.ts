import type { Redis } from 'ioredis';
import { z } from 'zod';
import type { SlackMessageRef } from '../incidents/store.js';
import { MOST_SEVERE_KEPT, type FloodEntry, type FloodNote, type FloodStanding, type FloodStore, type FloodSummary } from '../slack/flood/flood-store.js';
import { RedisBase } from './redis-base.js';
import { END_SCRIPT, JOIN_SCRIPT, NOTE_SCRIPT, STANDING_SCRIPT, TOP_COUNTS_SCRIPT } from './redis-flood-scripts.js';

const StoredFloodEntry = z.looseObject({
  incidentId: z.string(),
  alertname: z.string(),
  severity: z.string(),
  rank: z.number(),
  critical: z.boolean(),
  service: z.string().optional(),
});
const CountField = z.tuple([z.string(), z.string()]);

interface FloodScripts {
  chatopsFloodNote(...args: string[]): Promise<[string, number, string]>;
  chatopsFloodJoin(...args: string[]): Promise<string | null>;
  chatopsFloodEnd(current: string, floodId: string): Promise<number>;
  chatopsFloodStanding(flood: string, criticals: string, message: string): Promise<[string | null, number, string[]]>;
  multi(): FloodMulti;
}

/** ioredis's types know no command added by defineCommand, in a transaction either. */
interface FloodMulti {
  hgetall(key: string): FloodMulti;
  zrange(key: string, start: number, stop: number): FloodMulti;
  chatopsFloodTopCounts(counts: string, limit: string): FloodMulti;
  exec(): Promise<Array<[Error | null, unknown]> | null>;
}

export interface RedisFloodStoreOptions {
  keyPrefix: string;
  /** How long a flood and its roll-up reference are kept after its last incident joined. */
  retentionMs: number;
}

/** Each channel's flood in Redis, so every replica sees one window and one roll-up. */
export class RedisFloodStore extends RedisBase implements FloodStore {
  private readonly scripts: FloodScripts;

  constructor(
    redis: Redis,
    private readonly options: RedisFloodStoreOptions,
  ) {
    super(redis, options.keyPrefix);
    redis.defineCommand('chatopsFloodNote', { numberOfKeys: 4, lua: NOTE_SCRIPT });
    redis.defineCommand('chatopsFloodJoin', { numberOfKeys: 5, lua: JOIN_SCRIPT });
    redis.defineCommand('chatopsFloodEnd', { numberOfKeys: 1, lua: END_SCRIPT });
    redis.defineCommand('chatopsFloodStanding', { numberOfKeys: 3, lua: STANDING_SCRIPT });
    redis.defineCommand('chatopsFloodTopCounts', { numberOfKeys: 1, lua: TOP_COUNTS_SCRIPT });
    this.scripts = redis as unknown as FloodScripts;
  }

  private channelKeys(channel: string): [current: string, window: string, entries: string] {
    return [this.key('flood', 'channel', channel), this.key('flood', 'channel', channel, 'window'), this.key('flood', 'channel', channel, 'entries')];
  }

  async note(channel: string, entry: FloodEntry, now: number, windowMs: number): Promise<FloodNote> {
    const [current, window, entries] = this.channelKeys(channel);
    const [memberOf, newInWindow, flood] = await this.write(() =>
      this.scripts.chatopsFloodNote(
        this.key('flood', 'incident', entry.incidentId),
        window,
        entries,
        current,
        entry.incidentId,
        String(now),
        String(windowMs),
        JSON.stringify(entry),
      ),
    );
    return { newInWindow: Number(newInWindow), ...(memberOf ? { memberOf } : {}), ...(flood ? { current: flood } : {}) };
  }

  async join(channel: string, entry: FloodEntry, now: number, begin: boolean): Promise<string | undefined> {
    const [current, window, entries] = this.channelKeys(channel);
    const id = await this.write(() =>
      this.scripts.chatopsFloodJoin(
        current,
        window,
        entries,
        this.key('flood', 'seq'),
        this.key('flood', 'changed'),
        begin ? '1' : '0',
        String(now),
        String(this.options.retentionMs),
        this.key('flood', ''),
        channel,
        entry.incidentId,
        JSON.stringify(entry),
        String(MOST_SEVERE_KEPT),
      ),
    );
    return id ?? undefined;
  }

  async end(channel: string, floodId: string): Promise<void> {
    await this.write(() => this.scripts.chatopsFloodEnd(this.channelKeys(channel)[0], floodId));
  }

  async membership(incidentId: string): Promise<string | undefined> {
    return (await this.guard(() => this.redis.get(this.key('flood', 'incident', incidentId)))) ?? undefined;
  }

  async summary(floodId: string, worst: number, kinds?: number): Promise<FloodSummary | undefined> {
    const base = this.key('flood', floodId);
    const listed = Math.min(worst, MOST_SEVERE_KEPT);
    const results = await this.guard(() =>
      this.scripts
        .multi()
        .hgetall(base)
        .chatopsFloodTopCounts(`${base}:counts`, String(kinds ?? -1))
        // ZRANGE 0 -1 would be every member: asked for none, it asks for the first only and drops it.
        .zrange(`${base}:members`, 0, Math.max(0, listed - 1))
        .exec(),
    );
    const [head, top, all] = (results ?? []).map(([, value]) => value) as [Record<string, string>, Array<string | number>, string[]];
    const ids = all.slice(0, listed);
    if (!head?.channel) return undefined;
    const raw = ids.length > 0 ? await this.guard(() => this.redis.hmget(`${base}:entries`, ...ids)) : [];
    const total = Number(head.total);
    const counts: FloodSummary['counts'] = [];
    for (let i = 1; i < top.length; i += 2) {
      const [alertname, severity] = this.parse(CountField, `${base}:counts`, String(top[i]));
      counts.push({ alertname, severity, count: Number(top[i + 1]) });
    }
    return {
      id: floodId,
      channel: head.channel,
      startedAt: Number(head.startedAt),
      version: total,
      total,
      counts,
      kinds: Number(top[0] ?? 0),
      worst: raw.flatMap((json) => (json === null ? [] : [this.entry(`${base}:entries`, json)])),
    };
  }

  async version(floodId: string): Promise<number | undefined> {
    const total = await this.guard(() => this.redis.hget(this.key('flood', floodId), 'total'));
    return total === null ? undefined : Number(total);
  }

  private entry(key: string, json: string): FloodEntry {
    const { incidentId, alertname, severity, rank, critical, service } = this.parse(StoredFloodEntry, key, json);
    return { incidentId, alertname, severity, rank, critical, ...(service === undefined ? {} : { service }) };
  }

  async standing(floodId: string): Promise<FloodStanding | undefined> {
    const base = this.key('flood', floodId);
    const [startedAt, criticalsWaiting, fields] = await this.guard(() => this.scripts.chatopsFloodStanding(base, `${base}:criticals`, `${base}:message`));
    if (startedAt === null) return undefined;
    const message: Record<string, string> = {};
    for (let i = 0; i + 1 < fields.length; i += 2) message[fields[i] as string] = fields[i + 1] as string;
    const version = Number(message.version);
    const rollup =
      message.channel && message.ts ? { channel: message.channel, ts: message.ts, ...(Number.isSafeInteger(version) ? { version } : {}) } : undefined;
    return { startedAt: Number(startedAt), criticalsWaiting, ...(rollup ? { rollup } : {}) };
  }

  async posted(floodId: string, incidentId: string): Promise<void> {
    await this.write(() => this.redis.srem(this.key('flood', floodId, 'criticals'), incidentId));
  }

  getRollupRef(floodId: string): Promise<SlackMessageRef | undefined> {
    return this.readMessageRef(this.key('flood', floodId, 'message'));
  }

  setRollupRef(floodId: string, ref: SlackMessageRef): Promise<void> {
    return this.writeMessageRef(this.key('flood', floodId, 'message'), ref, this.options.retentionMs);
  }

  changedSince(since: number): Promise<string[]> {
    return this.changesSince(this.key('flood', 'changed'), since);
  }
}
