import { BotError, type ErrorCode } from '../errors.js';
import type { RunDetail, RunReport } from '../timeline/action-step.js';
import type { Rehearsal } from '../timeline/fleet-facts.js';

/**
 * What the actions layer needs of whatever carries an action out (a GitLab rollback, a
 * fleet remediation). The actions layer never learns which one runs; everything an
 * executor returns is plain JSON, so that it can be stored and resumed after a restart.
 */

/** What will run, resolved before anyone approves it, so that approvers approve parameters. */
export interface ExecutionPlan {
  /** The executor that made it, e.g. "gitlab". */
  executor: string;
  service: string;
  /** What it does, in a few words: "roll back payment-service", "Free disk space on 3 hosts". */
  title: string;
  /** Whether someone other than the requester must approve; false only for read-only fleet actions. */
  needsApproval?: boolean;
  /** What it acts on (a fleet action's hosts): two open actions of one runbook action may not share one. */
  targets?: string[];
  /** One line per fact an approver must see: "environment: production", "from: abc123 (#41)". */
  summary: string[];
  /** Executor-specific parameters, opaque to the actions layer. */
  params: Record<string, string>;
}

/** A started run, as stored: enough to find it again after a restart. */
export interface RunHandle {
  /** The executor's id for the run, e.g. a job or pipeline id. */
  id: string;
  /** Where a person can watch it. */
  url: string;
  /** Executor-specific details needed to poll it. */
  params: Record<string, string>;
}

export type RunStatus =
  | { state: 'running' }
  | { state: 'succeeded'; detail: RunDetail }
  /** `resumable`: the run stopped part-way (halted, paused) and a new approval may continue it. */
  | { state: 'failed'; detail: RunDetail; resumable?: boolean };

/** A fleet remediation as requested: which runbook action, and what the alert or the requester gave it. */
export interface FleetRequest {
  runbookId: string;
  actionId: string;
  /** The labels the alerts of the incident share (params `from: label`). */
  labels: Record<string, string>;
  /** Labels the alerts disagree on: a parameter read from one is refused rather than defaulted. */
  disagreeing?: string[];
  /** Arguments given with /remediate (params `from: argument`). */
  args: Record<string, string>;
  /** The `instance` labels of the firing alerts (targets `from: alert-instance`). */
  instances: string[];
  /** Hosts the requester named, narrowing the action's targets. */
  hosts: string[];
  /** A continued rollout: the action whose per-host results it shares and skips. */
  continues?: string;
}

export type PlanRequest =
  | {
      kind: 'rollback';
      service: string;
      /** A specific target named by the requester (a sha or a deployment id), if any. */
      target?: string;
    }
  | {
      kind: 'fleet';
      /** The service the alert names, if any; the plan decides the service acted on. */
      service?: string;
      fleet: FleetRequest;
    };

/**
 * What a run is told by the actions layer, with each call: whose run it is, and where its
 * steps go. Given per call rather than at construction, so an executor holds no reference
 * back into the actions layer.
 */
export interface RunContext {
  actionId: string;
  /** A step for the action's timeline and thread while it runs (a batch's results). */
  report(step: RunReport): Promise<void>;
  /** The kill switch stopped the run before its next batch: who paused automation, and why. */
  stoppedByPause(pause: { by: string; reason: string }): Promise<void>;
}

export interface Executor {
  plan(request: PlanRequest): Promise<ExecutionPlan>;
  /** Shows what running the plan would do, changing nothing, with each host's whole output; undefined when there is nothing to show. */
  rehearse?(plan: ExecutionPlan): Promise<Rehearsal | undefined>;
  run(plan: ExecutionPlan, run: RunContext): Promise<RunHandle>;
  /** May carry on a run another process started (it reports through this call's context then). */
  status(plan: ExecutionPlan, handle: RunHandle, run: RunContext): Promise<RunStatus>;
  /**
   * For a run claimed at `claimedAt` but never confirmed started (the process starting it died
   * before the answer): looks for the run that start may have made, never starting it again.
   * Resolves with it, or throws an ExecutorRefusal saying what a person must check. Without
   * this method, such a run ends failed at once.
   */
  recover?(plan: ExecutionPlan, run: RunContext, claimedAt: Date): Promise<RunHandle>;
  /** Lets runs this process carries out stop at a safe point, for another process to resume. */
  stop?(): Promise<void>;
}

/**
 * A failure a person must act on (no such project, no earlier deployment): never retried.
 * Anything else an executor throws is treated as transient and retried with backoff.
 */
export class ExecutorRefusal extends BotError {
  static override readonly code: ErrorCode = 'EXECUTOR_REFUSED';
}

/** Stands in when no executor is configured: every plan is refused with the reason. */
export function refusingExecutor(reason: string): Executor {
  const refuse = async (): Promise<never> => {
    throw new ExecutorRefusal(reason);
  };
  return { plan: refuse, run: refuse, status: refuse };
}
