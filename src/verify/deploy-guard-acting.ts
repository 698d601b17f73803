/**
 * What the deploy guard does once a deploy failed its checks `failure_limit` times in a
 * row: claim the deploy (never two rollbacks for one), then, unless automation is paused,
 * ask for the rollback (propose) or request and run it at once (auto) through the actions
 * layer, and say so in the service's channel with the evidence.
 */
import type { Logger } from 'pino';
import { BotError } from '../errors.js';
import type { DeployGuard as DeployGuardSettings } from '../services/schema.js';
import type { Round } from './checks.js';
import type { ArmedDeploy, DeployGuardStore } from './deploy-guard-store.js';

/** The requester of every rollback the guard asks for, as actions and their messages show it. */
export const DEPLOY_GUARD_USER = 'deploy-guard';

/** Why the guard acts: the deploy, how it is set up, and the evaluation that completed the failure limit. */
export interface GuardTrigger {
  deploy: ArmedDeploy;
  mode: DeployGuardSettings['mode'];
  failures: number;
  round: Round;
}

/** What the guard did, as facts for src/slack/render to say. */
export type GuardNotice =
  /** A rollback request awaits approval; `threadTs` when it was posted in the open incident's thread. */
  | { kind: 'proposed'; trigger: GuardTrigger; actionId: string; threadTs?: string }
  /** A rollback was requested and started without approval. */
  | { kind: 'rolled_back'; trigger: GuardTrigger; actionId: string }
  /** Automation is paused: the guard would have acted and did not. */
  | { kind: 'paused'; trigger: GuardTrigger; pausedBy: string; pauseReason: string }
  /** The actions layer or GitLab refused the rollback (a cooldown, nothing to roll back to). */
  | { kind: 'refused'; trigger: GuardTrigger; reason: string };

export interface DeployGuardNotices {
  /** Posts in the background to the service's channel (or the thread a proposal lives in). */
  post(notice: GuardNotice): void;
  /** The reason the rollback request carries, in words. */
  reasonFor(trigger: GuardTrigger): string;
}

/** A rollback as the guard asks for it; the actions layer's RollbackRequest. */
export interface GuardRollbackRequest {
  kind: 'rollback';
  service: string;
  userId: string;
  force: false;
  reason: string;
}

/** What the guard needs of the actions layer (ActionService). */
export interface GuardActions {
  request(req: GuardRollbackRequest): Promise<{ id: string; threadTs?: string }>;
  requestPreApproved(req: GuardRollbackRequest): Promise<{ id: string }>;
  killSwitch(): Promise<{ by: string; reason: string } | undefined>;
}

export interface ActingDeps {
  store: DeployGuardStore;
  actions: GuardActions;
  notices: DeployGuardNotices;
  log: Logger;
}

/** Acts on a failed deploy at most once, whichever replica and however often it is asked. */
export async function actOnFailedDeploy(trigger: GuardTrigger, deps: ActingDeps): Promise<void> {
  const { service, deploymentId } = trigger.deploy;
  const log = deps.log.child({ service, deploymentId, mode: trigger.mode });
  if (!(await deps.store.claimRollback(service, deploymentId))) return;
  await deps.store.disarm(service, deploymentId);
  const paused = await deps.actions.killSwitch();
  if (paused) {
    log.warn({ pausedBy: paused.by }, 'deploy guard did not act: automation is paused');
    deps.notices.post({ kind: 'paused', trigger, pausedBy: paused.by, pauseReason: paused.reason });
    return;
  }
  const request: GuardRollbackRequest = { kind: 'rollback', service, userId: DEPLOY_GUARD_USER, force: false, reason: deps.notices.reasonFor(trigger) };
  try {
    if (trigger.mode === 'auto') {
      const action = await deps.actions.requestPreApproved(request);
      log.warn({ actionId: action.id }, 'deploy guard rolls the deploy back');
      deps.notices.post({ kind: 'rolled_back', trigger, actionId: action.id });
    } else {
      const action = await deps.actions.request(request);
      log.warn({ actionId: action.id }, 'deploy guard asks for a rollback');
      deps.notices.post({ kind: 'proposed', trigger, actionId: action.id, ...(action.threadTs ? { threadTs: action.threadTs } : {}) });
    }
  } catch (error) {
    // A refusal a person must see (a cooldown, nothing to roll back to); anything else is logged and thrown on.
    if (!(error instanceof BotError)) throw error;
    log.warn({ err: error }, 'deploy guard rollback refused');
    deps.notices.post({ kind: 'refused', trigger, reason: error.message });
  }
}
