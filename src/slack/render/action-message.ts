import { describeAction, displayActionId, type Action, type ActionState } from '../../actions/action.js';
import { ACTION_IDS, actionButtonValue } from '../contract.js';
import type { Block, ButtonElement, SlackMessage } from './block-kit.js';
import { fleetEndText, rehearsalSummary } from './fleet-report.js';
import { escapeMrkdwn, MAX_SECTION_TEXT, truncate } from './limits.js';

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
  return `${displayActionId(action.id)} is approved but held: automation was paused by <@${by}> (${escapeMrkdwn(reason)}). Click *Run now* after \`/automation resume\` to run it.`;
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

function buttons(action: Action): ButtonElement[] {
  const value = actionButtonValue(action.id);
  if (action.state === 'requested') {
    return [
      { type: 'button', action_id: ACTION_IDS.actionApprove, text: { type: 'plain_text', text: 'Approve' }, value, style: 'primary' },
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
  return [];
}

/** The approval message: exactly what will run, so approvers approve parameters, not a name. */
export function renderActionMessage(action: Action): SlackMessage {
  const id = displayActionId(action.id);
  const approvals = action.approvedBy.length > 0 ? action.approvedBy.map((u) => `<@${u}>`).join(', ') : 'none yet';
  const what = describeAction(action);
  const label = isHeld(action) ? ':double_vertical_bar: approved, held by the kill switch' : STATE_LABEL[action.state];
  const blocks: Block[] = [
    { type: 'section', text: { type: 'mrkdwn', text: `*${id}: ${escapeMrkdwn(what)}* — ${label}` } },
    {
      type: 'section',
      fields: [
        { type: 'mrkdwn', text: `*Requested by*\n<@${action.requestedBy}>` },
        {
          type: 'mrkdwn',
          text:
            action.approvalsRequired === 0
              ? '*Approvals*\nnone needed (read-only)'
              : `*Approvals*\n${action.approvedBy.length} of ${action.approvalsRequired}: ${approvals}`,
        },
        { type: 'mrkdwn', text: `*Reason*\n${escapeMrkdwn(action.reason || '(none given)')}` },
        { type: 'mrkdwn', text: `*Expires*\n<!date^${Math.floor(Date.parse(action.expiresAt) / 1000)}^{time}|${action.expiresAt}>` },
      ],
    },
    { type: 'section', text: { type: 'mrkdwn', text: truncate(`*What will run*\n\`\`\`${action.plan.summary.join('\n')}\`\`\``, MAX_SECTION_TEXT) } },
  ];
  if (action.rehearsal) {
    const { rehearsal } = action;
    const icon = rehearsal.ok ? ':mag:' : ':warning:';
    const summary = 'summary' in rehearsal ? rehearsal.summary : rehearsalSummary(rehearsal);
    blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: `${icon} ${escapeMrkdwn(summary)} (details in the thread)` }] });
  }
  const held = heldNotice(action);
  if (held) blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: `:octagonal_sign: ${held}` }] });
  if (action.warning) blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: `:warning: ${escapeMrkdwn(action.warning)}` }] });
  if (action.run?.url) blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: `<${action.run.url}|Watch it in GitLab>` }] });
  if (action.result) {
    const result = typeof action.result === 'string' ? action.result : fleetEndText(action.result);
    blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: truncate(escapeMrkdwn(result), MAX_SECTION_TEXT) }] });
  }
  const actions = buttons(action);
  if (actions.length > 0) blocks.push({ type: 'actions', block_id: `action:${action.id}`, elements: actions });
  return { text: `[${isHeld(action) ? 'HELD' : action.state.toUpperCase()}] ${id} ${what}`, blocks };
}
