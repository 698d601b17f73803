import type { RenewableLease, SlackMessageRef } from '../incidents/store.js';
import type { Action, ActionEntry } from './action.js';

export interface ActionCommit {
  action: Action;
  expectedVersion: number;
  entry: ActionEntry;
  /** Starts the service's cooldown (when a rollback starts running). */
  cooldownMs?: number;
  /** Fails the commit while another action holds the service's cooldown. */
  cooldownMustBeFree?: boolean;
}

export interface KillSwitch {
  by: string;
  reason: string;
  at: string;
}

export type { RenewableLease } from '../incidents/store.js';

/** The port through which the actions layer reaches storage. */
export interface ActionStore {
  nextActionId(): Promise<string>;
  getAction(id: string): Promise<Action | undefined>;
  /**
   * Atomic compare-and-set of the action with its own timeline entry, the set of running
   * actions and the service cooldown. It writes no incident key: the linked incident's copy
   * of the entry goes through IncidentLink.note, afterwards.
   */
  commitAction(change: ActionCommit): Promise<boolean>;
  /** A timeline entry that changes nothing (a refusal, a remark): no version bump, so it never races a run. Action keys only, like commitAction. */
  appendActionEntry(action: Action, entry: ActionEntry): Promise<void>;
  actionTimeline(id: string): Promise<ActionEntry[]>;
  runningActionIds(): Promise<string[]>;
  /**
   * Actions that started running at or after `since` (ms), oldest first, up to `limit`: an
   * index kept by commitAction for STATS_INDEX_MS. An ended action past its retention is gone.
   */
  startedSince(since: number, limit: number): Promise<Action[]>;
  /** Requests still awaiting approval, expired or not. */
  awaitingApprovalIds(): Promise<string[]>;
  /** Requests still awaiting approval whose expiry has passed. */
  expiredRequestIds(now: Date): Promise<string[]>;
  /** The action that started the service's current cooldown, if one is running. */
  cooldownOf(service: string): Promise<string | undefined>;
  killSwitch(): Promise<KillSwitch | undefined>;
  setKillSwitch(state: KillSwitch | undefined): Promise<void>;
  getActionMessage(id: string): Promise<SlackMessageRef | undefined>;
  setActionMessage(id: string, ref: SlackMessageRef): Promise<void>;
  /** How many timeline entries of a standalone action were replied in its thread. */
  replyCursor(id: string): Promise<number>;
  setReplyCursor(id: string, cursor: number): Promise<void>;
  /** Remembers that the action changed at `at` (ms), so a sweep finds it even once it has ended. */
  noteActionChanged(id: string, at: number): Promise<void>;
  /** Actions noted as changed at or after `since` (ms); older notes are forgotten. */
  actionsChangedSince(since: number): Promise<string[]>;
  lease(name: string, ttlMs: number): Promise<(() => Promise<void>) | undefined>;
  renewableLease(name: string, ttlMs: number): Promise<RenewableLease | undefined>;
}
