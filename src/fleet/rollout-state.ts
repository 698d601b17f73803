/**
 * Where a fleet rollout's progress is kept between processes: how it stands, and the claim
 * of the one process that runs it.
 */
import type { RunDetail } from '../timeline/action-step.js';

export interface RolloutState {
  state: 'running' | 'succeeded' | 'halted' | 'paused';
  /** How it ended (`started` while it runs); earlier releases stored it in words. */
  detail: RunDetail;
}

export interface RolloutClaim {
  /** False once the claim was lost (it lapsed and another process took it). */
  renew(): Promise<boolean>;
  release(): Promise<void>;
}

export interface RolloutStateStore {
  rolloutState(actionId: string): Promise<RolloutState | undefined>;
  setRolloutState(actionId: string, state: RolloutState): Promise<void>;
  /** The right to run the rollout, held by one process while it renews it. */
  claimRollout(actionId: string, ttlMs: number): Promise<RolloutClaim | undefined>;
}
