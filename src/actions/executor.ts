import { BotError } from '../errors.js';

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
  | { state: 'succeeded'; detail: string }
  | { state: 'failed'; detail: string };

export interface PlanRequest {
  service: string;
  /** A specific target named by the requester (a sha or a deployment id), if any. */
  target?: string;
}

export interface Executor {
  plan(request: PlanRequest): Promise<ExecutionPlan>;
  run(plan: ExecutionPlan): Promise<RunHandle>;
  status(plan: ExecutionPlan, handle: RunHandle): Promise<RunStatus>;
}

/**
 * A failure a person must act on (no such project, no earlier deployment): never retried.
 * Anything else an executor throws is treated as transient and retried with backoff.
 */
export class ExecutorRefusal extends BotError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('EXECUTOR_REFUSED', message, options);
  }
}

/** Stands in when no executor is configured: every plan is refused with the reason. */
export function refusingExecutor(reason: string): Executor {
  const refuse = async (): Promise<never> => {
    throw new ExecutorRefusal(reason);
  };
  return { plan: refuse, run: refuse, status: refuse };
}
