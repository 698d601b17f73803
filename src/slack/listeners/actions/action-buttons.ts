import type { App } from '@slack/bolt';
import type { Logger } from 'pino';
import { describeAction, displayActionId } from '../../../actions/action.js';
import type { ActionRequest, ActionService } from '../../../actions/service.js';
import type { IncidentService } from '../../../incidents/service.js';
import { ACTION_IDS, ActionButtonValue, RunbookButtonValue } from '../../contract.js';
import { approvalNotice } from '../../render/action-message.js';
import { registerButton, type ViewClickAnswer } from './button.js';

export interface RunbookButtonTarget {
  /** What a runbook action asks for on this incident, or a sentence saying why it cannot. */
  requestFor(incidentId: string, runbookId: string, actionId: string, userId: string): Promise<ActionRequest | { refusal: string }>;
}

/**
 * Approve (or Approve anyway, after a failed dry run), Deny and Cancel on an approval
 * message, Continue and Abort on a halted rollout, Retry failed hosts on a rollout that
 * succeeded with failures, and a runbook's Run on an incident message.
 */
export function registerActionButtons(
  app: App,
  incidents: IncidentService,
  actions: ActionService,
  runbooks: RunbookButtonTarget,
  log: Logger,
  inView?: ViewClickAnswer,
): void {
  // A person's decision on an action: the answer is the action's message itself, updated. An
  // approval also answers the clicker at once, so that a click that finds the action approved
  // already (or held by the kill switch) is never met with silence.
  const decisions = [
    [ACTION_IDS.actionApprove, async (id: string, userId: string) => approvalNotice(await actions.approve(id, userId), userId)],
    [ACTION_IDS.actionApproveAnyway, async (id: string, userId: string) => approvalNotice(await actions.approve(id, userId, true), userId)],
    [ACTION_IDS.actionDeny, async (id: string, userId: string) => void (await actions.deny(id, userId))],
    [ACTION_IDS.actionCancel, async (id: string, userId: string) => void (await actions.cancel(id, userId))],
    [ACTION_IDS.actionAbort, async (id: string, userId: string) => void (await actions.abort(id, userId))],
  ] as const;
  for (const [actionId, decide] of decisions) {
    registerButton(app, incidents, log, { actionId, value: ActionButtonValue, run: ({ action }, userId) => decide(action, userId) }, inView);
  }
  registerButton(app, incidents, log, {
    actionId: ACTION_IDS.actionContinue,
    value: ActionButtonValue,
    run: async ({ action }, userId) => {
      const next = await actions.continueRollout(action, userId);
      return `${displayActionId(next.id)} requested: continue ${displayActionId(action)}; it needs approval again.`;
    },
  });
  registerButton(app, incidents, log, {
    actionId: ACTION_IDS.actionRetryFailed,
    value: ActionButtonValue,
    run: async ({ action }, userId) => {
      const next = await actions.retryFailed(action, userId);
      return `${displayActionId(next.id)} requested: ${describeAction(next)}, the failed hosts of ${displayActionId(action)}; it needs approval again.`;
    },
  });
  registerButton(app, incidents, log, {
    actionId: ACTION_IDS.runbookRun,
    value: RunbookButtonValue,
    incidentOf: (value) => value.incident,
    run: async ({ incident, runbook, action }, userId) => {
      const request = await runbooks.requestFor(incident, runbook, action, userId);
      if ('refusal' in request) return request.refusal;
      const requested = await actions.request(request);
      const next =
        requested.state === 'requested' ? "the approval request is in the incident's thread" : "it runs now; results follow in the incident's thread";
      return `${displayActionId(requested.id)} requested: ${describeAction(requested)}; ${next}.`;
    },
  });
}
