import { describeAction, displayActionId, type Action, type ActionState } from '../../actions/action.js';
import { dryRunFailed, toleratedFailuresOf } from '../../actions/fleet-outcome.js';
import { ACTION_IDS, actionButtonValue } from '../contract.js';
import type { Block, ButtonElement, SlackMessage } from './block-kit.js';
import { escapeText, link } from './escape.js';
import { fitMessage } from './fit-message.js';
import { fleetEndText, rehearsalFailureHeadline, rehearsalSummary } from './fleet-report.js';
import { truncatePlain } from './limits.js';
import { mention } from './mention.js';
import { verificationLabel, verificationLine, verificationTag } from './verification.js';

const STATE_LABEL: Record<ActionState, string> = {
  requested: ':hourglass_flowing_sand: waiting for approval',
  approved: ':white_check_mark: approved',
  running: ':gear: running',
  succeeded: ':large_green_circle: succeeded',
  failed: ':red_circle: failed',
  denied: ':no_entry: denied',
  expired: ':zzz: expired',
  cancelled: ':heavy_multiplication_x: cancelled',
};

/** Approved while automation was paused, and not run since. */
function isHeld(action: Action): action is Action & { held: NonNullable<Action['held']> } {
  return action.state === 'approved' && action.held !== undefined;
}

/** Why an approved action has not run, for its message and for the approver who clicked. */
export function heldNotice(action: Action): string | undefined {
  if (!isHeld(action)) return undefined;
  const { by, reason } = action.held;
  return `${displayActionId(action.id)} is approved but held: automation was paused by ${mention(by)} (${escapeText(reason)}). Click *Run now* after \`/automation resume\` to run it.`;
}

/**
 * The answer to an Approve click that was not refused: every click is answered, also the
 * ones that find the action approved already (a second approver, a double click).
 */
export function approvalNotice(action: Action, userId: string): string {
  const held = heldNotice(action);
  if (held) return held;
  const id = displayActionId(action.id);
  const count = `${action.approvedBy.length} of ${action.approvalsRequired}`;
  if (action.state === 'requested') {
    const mine = action.approvedBy.includes(userId) ? 'Your approval is counted' : 'Approvals so far';
    return `${mine}: ${id} has ${count}; it runs once it has them all.`;
  }
  return `${id} is approved (${count}) and runs now; its message and thread show how it goes.`;
}

/**
 * A failed dry run, for the top of the message: on which hosts and why, and while it waits
 * for approval, what the approver may do about it.
 */
function dryRunHeadline(action: Action): string | undefined {
  const { rehearsal } = action;
  if (!rehearsal || rehearsal.ok) return undefined;
  const what = 'summary' in rehearsal ? `${escapeText(rehearsal.summary)}.` : rehearsalFailureHeadline(rehearsal);
  const next =
    action.state === 'requested' && action.approvalsRequired > 0
      ? ' *Approve* is refused while the dry run failed: read each host’s output in the thread, then *Approve anyway* to run the plan as it stands, on every host, or *Deny*.'
      : " Each host's output is in the thread.";
  return `:rotating_light: ${what}${next}`;
}

/** The buttons an action's state offers. */
export function actionButtons(action: Action): ButtonElement[] {
  const value = actionButtonValue(action.id);
  if (action.state === 'requested') {
    // A failed dry run is approved only on purpose: Approve is refused, Approve anyway is recorded as such.
    const approve: ButtonElement = dryRunFailed(action)
      ? { type: 'button', action_id: ACTION_IDS.actionApproveAnyway, text: { type: 'plain_text', text: 'Approve anyway' }, value }
      : { type: 'button', action_id: ACTION_IDS.actionApprove, text: { type: 'plain_text', text: 'Approve' }, value, style: 'primary' };
    return [
      approve,
      { type: 'button', action_id: ACTION_IDS.actionDeny, text: { type: 'plain_text', text: 'Deny' }, value, style: 'danger' },
      { type: 'button', action_id: ACTION_IDS.actionCancel, text: { type: 'plain_text', text: 'Cancel' }, value },
    ];
  }
  if (action.state === 'approved') {
    // Shown when an approved action could not run (automation paused): approving again runs it.
    return [
      { type: 'button', action_id: ACTION_IDS.actionApprove, text: { type: 'plain_text', text: 'Run now' }, value, style: 'primary' },
      { type: 'button', action_id: ACTION_IDS.actionCancel, text: { type: 'plain_text', text: 'Cancel' }, value },
    ];
  }
  if (action.state === 'failed' && action.resumable) {
    // A halted rollout: Continue asks for a new approval; Abort ends it for good.
    return [
      { type: 'button', action_id: ACTION_IDS.actionContinue, text: { type: 'plain_text', text: 'Continue' }, value, style: 'primary' },
      { type: 'button', action_id: ACTION_IDS.actionAbort, text: { type: 'plain_text', text: 'Abort' }, value, style: 'danger' },
    ];
  }
  if (toleratedFailuresOf(action).length > 0 && !action.retriedAs) {
    return [{ type: 'button', action_id: ACTION_IDS.actionRetryFailed, text: { type: 'plain_text', text: 'Retry failed hosts' }, value }];
  }
  return [];
}

/** Words of the title in the fallback text: a notification shows one line, so a long one is cut. */
const FALLBACK_TITLE_CHARS = 200;

/** The approval message: exactly what will run, so approvers approve parameters, not a name. */
export function renderActionMessage(action: Action): SlackMessage {
  const id = displayActionId(action.id);
  const approvals = action.approvedBy.length > 0 ? action.approvedBy.map(mention).join(', ') : 'none yet';
  const what = describeAction(action);
  const tolerated = toleratedFailuresOf(action).length;
  const verifying = action.verification ? ` ${verificationLabel(action.verification)}` : '';
  const label = isHeld(action)
    ? ':double_vertical_bar: approved, held by the kill switch'
    : tolerated > 0
      ? `:large_orange_circle: succeeded with failures (${tolerated} host${tolerated === 1 ? '' : 's'} failed)`
      : `${STATE_LABEL[action.state]}${verifying}`;
  const blocks: Block[] = [{ type: 'section', text: { type: 'mrkdwn', text: `*${id}: ${escapeText(what)}* — ${label}` } }];
  const failedDryRun = dryRunHeadline(action);
  if (failedDryRun) blocks.push({ type: 'section', text: { type: 'mrkdwn', text: failedDryRun } });
  blocks.push(
    {
      type: 'section',
      fields: [
        { type: 'mrkdwn', text: `*Requested by*\n${mention(action.requestedBy)}` },
        {
          type: 'mrkdwn',
          text:
            action.approvalsRequired === 0
              ? '*Approvals*\nnone needed (read-only)'
              : `*Approvals*\n${action.approvedBy.length} of ${action.approvalsRequired}: ${approvals}`,
        },
        { type: 'mrkdwn', text: `*Reason*\n${action.reason ? escapeText(action.reason) : '(none given)'}` },
        { type: 'mrkdwn', text: `*Expires*\n<!date^${Math.floor(Date.parse(action.expiresAt) / 1000)}^{time}|${action.expiresAt}>` },
      ],
    },
    { type: 'section', text: { type: 'mrkdwn', text: `*What will run*\n\`\`\`${escapeText(action.plan.summary.join('\n'))}\`\`\`` } },
  );
  if (action.rehearsal && !failedDryRun) {
    const { rehearsal } = action;
    const icon = rehearsal.ok ? ':mag:' : ':warning:';
    const summary = 'summary' in rehearsal ? escapeText(rehearsal.summary) : rehearsalSummary(rehearsal);
    blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: `${icon} ${summary} (details in the thread)` }] });
  }
  const held = heldNotice(action);
  if (held) blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: `:octagonal_sign: ${held}` }] });
  if (action.warning) blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: `:warning: ${escapeText(action.warning)}` }] });
  const watch = link(action.run?.url, 'Watch it in GitLab');
  if (watch) blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: watch }] });
  if (action.result) {
    const result = typeof action.result === 'string' ? action.result : fleetEndText(action.result);
    blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: escapeText(result) }] });
  }
  if (action.verification) blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: verificationLine(action.id, action.verification) }] });
  const actions = actionButtons(action);
  if (actions.length > 0) blocks.push({ type: 'actions', block_id: `action:${action.id}`, elements: actions });
  const title = escapeText(truncatePlain(what, FALLBACK_TITLE_CHARS));
  const state = isHeld(action) ? 'HELD' : tolerated > 0 ? 'SUCCEEDED WITH FAILURES' : action.state.toUpperCase();
  const note = failedDryRun && action.state === 'requested' ? ' (its dry run FAILED)' : '';
  const tag = action.verification ? ` (${verificationTag(action.verification)})` : '';
  return fitMessage({ text: `[${state}] ${id} ${title}${note}${tag}`, blocks });
}
