/**
 * The verification of a succeeded rollback as steps of its action: it starts with the
 * finish (one write, so a crash cannot leave a succeeded rollback that nobody watches) and
 * ends with the verdict. Pure.
 */
import type { ActionStep } from '../timeline/action-step.js';
import type { Verification } from '../verify/rollback-verification.js';
import { ActionRefused, displayActionId, type Action, type ActionOutcome } from './action.js';

/** The finish of a succeeded rollback, now also watched; the step to note after it is written. */
export function finishWatched(ended: ActionOutcome, verification: Verification): { outcome: ActionOutcome; started: ActionStep } {
  const { action } = ended;
  if (action.state !== 'succeeded' || action.kind !== 'rollback')
    throw new ActionRefused(`${displayActionId(action.id)} is a ${action.kind} that ${action.state}; only a succeeded rollback is verified.`);
  return {
    outcome: { action: { ...action, verification }, entry: ended.entry },
    started: { kind: 'verification_started', actionId: action.id, verification },
  };
}

/** Whether the action's verification is still under way. */
export function isMonitoring(action: Action): action is Action & { verification: Verification } {
  return action.verification?.state === 'monitoring';
}

/** The verdict, once the window ended (or the checks went away). */
export function endVerification(action: Action, verification: Verification, now: Date): ActionOutcome {
  if (!isMonitoring(action)) throw new ActionRefused(`${displayActionId(action.id)} is not being verified; its verification cannot end.`);
  return {
    action: { ...action, verification },
    entry: { at: now.toISOString(), actor: 'bot', step: { kind: 'verification_ended', actionId: action.id, verification } },
  };
}
