import type { Watch } from '../verify/rollback-verification.js';

/**
 * Where the watches of rollbacks under verification wait for their next round: in Redis, so
 * that any replica evaluates a due one, and a bot that restarts mid-window goes on watching.
 */
export interface WatchStore {
  /** Adds the watch unless the action has one already (a finish written again after a crash keeps the first). */
  addWatch(watch: Watch): Promise<void>;
  getWatch(actionId: string): Promise<Watch | undefined>;
  /** Watches whose round is due at `now` (epoch ms), the most overdue first, at most `limit`. */
  dueWatches(now: number, limit: number): Promise<Watch[]>;
  /** Replaces the watch while it still has `expectedRounds` rounds; false when another writer recorded that round. */
  saveWatch(watch: Watch, expectedRounds: number): Promise<boolean>;
  removeWatch(actionId: string): Promise<void>;
}
