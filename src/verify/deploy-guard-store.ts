/**
 * What the deploy guard keeps in Redis, so that it survives a restart and is shared by
 * replicas: which deploy each service's guard watches and until when, how many evaluations
 * in a row failed, and the claims that let each evaluation, and each rollback, happen once.
 */
import type { RoundVerdict } from './checks.js';

/** A successful deploy the guard watches: GitLab's facts about it, and the window. */
export interface ArmedDeploy {
  service: string;
  /** GitLab's deployment id: a newer deploy has a greater one. */
  deploymentId: number;
  /** The job that deployed it, when GitLab names one. */
  deployableId?: number;
  sha?: string;
  ref?: string;
  /** Epoch ms: when it was armed, and when the window ends. */
  armedAt: number;
  until: number;
}

/** An armed guard with its evaluations so far. */
export interface GuardState extends ArmedDeploy {
  /** Evaluations that failed in a row, up to the last one recorded. */
  failures: number;
  /** The evaluation slot last recorded; -1 before the first. */
  lastSlot: number;
}

/** armed: the guard watches this deploy now; newer: it already watches a newer one; same: it already watches this one. */
export type ArmResult = 'armed' | 'newer' | 'same';

export interface DeployGuardStore {
  /** Watches this deploy from now on, unless the guard watches this one or a newer one already (webhooks may come twice, or out of order). */
  arm(deploy: ArmedDeploy): Promise<ArmResult>;
  armed(): Promise<GuardState[]>;
  /** True for exactly one caller per deploy and slot: that caller evaluates it. */
  claimEvaluation(service: string, deploymentId: number, slot: number, ttlMs: number): Promise<boolean>;
  /**
   * Records a slot's verdict (fail counts one more, pass starts again at 0, no-data changes
   * nothing) and returns the failures in a row; undefined when the guard no longer watches
   * this deploy or a later slot was recorded first.
   */
  record(service: string, deploymentId: number, slot: number, verdict: RoundVerdict): Promise<number | undefined>;
  /** Stops watching this deploy; a newer one armed meanwhile stays armed. */
  disarm(service: string, deploymentId: number): Promise<void>;
  /** True once ever per deploy (within the retention period): never two rollbacks for one deploy. */
  claimRollback(service: string, deploymentId: number): Promise<boolean>;
}
