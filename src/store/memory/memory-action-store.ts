import type { Action, ActionEntry, ActionState } from '../../actions/action.js';
import { FINAL_STATES } from '../../actions/action.js';
import type { ActionCommit, ActionStore, KillSwitch } from '../../actions/store.js';
import { STATS_INDEX_MS, type SlackMessageRef } from '../../incidents/store.js';
import type { MemoryKeyspace } from './keyspace.js';
import { increment, MemoryBase } from './memory-base.js';

interface ActionHash {
  version: number;
  state: ActionState;
  doc: string;
}

export interface MemoryActionStoreOptions {
  retentionMs: number;
}

/** The twin of RedisActionStore: the same keys, compare-and-set, cooldown and expiries, in memory. */
export class MemoryActionStore extends MemoryBase implements ActionStore {
  constructor(
    keyspace: MemoryKeyspace,
    private readonly options: MemoryActionStoreOptions,
  ) {
    super(keyspace);
  }

  async nextActionId(): Promise<string> {
    return increment(this.keyspace, 'action:seq');
  }

  async getAction(id: string): Promise<Action | undefined> {
    const hash = this.keyspace.read<ActionHash>(`action:${id}`);
    return hash && (JSON.parse(hash.doc) as Action);
  }

  /** The twin of COMMIT_ACTION_SCRIPT in redis-action-store.ts, step by step. */
  async commitAction({ action, expectedVersion, entry, cooldownMs, cooldownMustBeFree }: ActionCommit): Promise<boolean> {
    const hashKey = `action:${action.id}`;
    if ((this.keyspace.read<ActionHash>(hashKey)?.version ?? 0) !== expectedVersion) return false;
    const cooldownKey = `cooldown:${action.service}`;
    if (cooldownMustBeFree) {
      const holder = this.keyspace.read<string>(cooldownKey);
      if (holder !== undefined && holder !== action.id) return false;
    }
    const version = expectedVersion + 1;
    const hash: ActionHash = { version, state: action.state, doc: JSON.stringify({ ...action, version }) };
    this.keyspace.update<ActionHash>(
      hashKey,
      () => hash,
      (stored) => Object.assign(stored, hash),
    );
    const timelineKey = `action:${action.id}:timeline`;
    this.keyspace.update<string[]>(
      timelineKey,
      () => [],
      (lines) => lines.push(JSON.stringify(entry)),
    );
    this.keyspace.update<Set<string>>(
      'actions:running',
      () => new Set(),
      (running) => {
        if (action.state === 'running') running.add(action.id);
        else running.delete(action.id);
      },
    );
    this.keyspace.update<Map<string, number>>(
      'actions:awaiting-approval',
      () => new Map(),
      (awaiting) => {
        if (action.state === 'requested') awaiting.set(action.id, Date.parse(action.expiresAt));
        else awaiting.delete(action.id);
      },
    );
    if (action.state === 'running')
      this.keyspace.update<Map<string, number>>(
        'actions:started',
        () => new Map(),
        (started) => {
          started.set(action.id, Date.parse(action.startedAt ?? action.requestedAt));
          for (const [other, at] of started) if (at < this.keyspace.now() - STATS_INDEX_MS) started.delete(other);
        },
      );
    if (cooldownMs) this.keyspace.write(cooldownKey, action.id, cooldownMs);
    if (FINAL_STATES.has(action.state)) {
      this.keyspace.expire(hashKey, this.options.retentionMs);
      this.keyspace.expire(timelineKey, this.options.retentionMs);
    }
    return true;
  }

  async appendActionEntry(action: Action, entry: ActionEntry): Promise<void> {
    this.keyspace.update<string[]>(
      `action:${action.id}:timeline`,
      () => [],
      (lines) => lines.push(JSON.stringify(entry)),
    );
  }

  async actionTimeline(id: string): Promise<ActionEntry[]> {
    return (this.keyspace.read<string[]>(`action:${id}:timeline`) ?? []).map((line) => JSON.parse(line) as ActionEntry);
  }

  /** Earliest start first, equal starts in id order. */
  async startedSince(since: number, limit: number): Promise<Action[]> {
    const ids = this.keyspace.rangeByScore('actions:started', since, limit);
    const actions: Action[] = [];
    for (const id of ids) {
      const action = await this.getAction(id);
      if (action) actions.push(action);
    }
    return actions;
  }

  async runningActionIds(): Promise<string[]> {
    return [...(this.keyspace.read<Set<string>>('actions:running') ?? [])];
  }

  async awaitingApprovalIds(): Promise<string[]> {
    return this.awaiting().map(([id]) => id);
  }

  async expiredRequestIds(now: Date): Promise<string[]> {
    return this.awaiting()
      .filter(([, expiresAt]) => expiresAt <= now.getTime())
      .map(([id]) => id);
  }

  async cooldownOf(service: string): Promise<string | undefined> {
    return this.keyspace.read<string>(`cooldown:${service}`);
  }

  async killSwitch(): Promise<KillSwitch | undefined> {
    const raw = this.keyspace.read<string>('automation:paused');
    return raw === undefined ? undefined : (JSON.parse(raw) as KillSwitch);
  }

  async setKillSwitch(state: KillSwitch | undefined): Promise<void> {
    if (state) this.keyspace.write('automation:paused', JSON.stringify(state));
    else this.keyspace.delete('automation:paused');
  }

  async getActionMessage(id: string): Promise<SlackMessageRef | undefined> {
    return this.readMessageRef(`action:${id}:message`);
  }

  async setActionMessage(id: string, ref: SlackMessageRef): Promise<void> {
    this.writeMessageRef(`action:${id}:message`, ref, this.options.retentionMs);
  }

  async replyCursor(id: string): Promise<number> {
    return this.readCursor(`action:${id}:reply-cursor`);
  }

  async setReplyCursor(id: string, cursor: number): Promise<void> {
    this.writeCursor(`action:${id}:reply-cursor`, cursor, this.options.retentionMs);
  }

  /** Awaiting approval, soonest expiry first (a sorted set's order, ties by id). */
  private awaiting(): Array<[string, number]> {
    const awaiting = this.keyspace.read<Map<string, number>>('actions:awaiting-approval') ?? new Map<string, number>();
    return [...awaiting.entries()].sort(([a, x], [b, y]) => x - y || (a < b ? -1 : a > b ? 1 : 0));
  }

  async noteActionChanged(id: string, at: number): Promise<void> {
    this.noteChange('actions:changed', id, at, this.options.retentionMs);
  }

  async actionsChangedSince(since: number): Promise<string[]> {
    return this.changesSince('actions:changed', since);
  }
}
