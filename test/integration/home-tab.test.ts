/**
 * The App Home tab through the real bot: a signed app_home_opened event to Bolt's HTTP
 * receiver, views.publish answered by the fake Slack (which refuses a view Slack would),
 * and the tab's Approve button clicked as Slack sends a click on a view (no channel, no
 * message, no response_url), running the rollback against the fake GitLab exactly once.
 *
 * The services and their approvers are those of support/rollback.ts: U0ALICE, U0BOB,
 * U0CAROL and the user group S0SRE (whose only member is U0DAVE) approve payment-service.
 */
import { describe, expect, it } from 'vitest';
import type { SlackCall } from '../support/fake-slack.js';
import { approvalMessage, requestRollback, retryPath, startRig as rig, waitForState } from '../support/rollback.js';
import { clickInHome, openHome } from '../support/slack-session.js';
import { audit, storedAction } from '../support/stored.js';
import { found } from '../support/wait.js';
import { HOME_MIN_INTERVAL_MS } from '../../src/slack/views/home-tab.js';

type ViewBlock = { type: string; text?: { text: string }; elements?: Array<{ action_id?: string; value?: string; text?: string }> };

const blocksOf = (call: SlackCall) => (call.params.view as { blocks: ViewBlock[] }).blocks;
const viewText = (call: SlackCall) =>
  blocksOf(call)
    .map((b) => b.text?.text ?? (b.elements ?? []).map((e) => e.text ?? '').join(' '))
    .join('\n');
const viewButtons = (call: SlackCall) => blocksOf(call).flatMap((b) => (b.type === 'actions' ? (b.elements ?? []) : []));

function publishedFor(r: { slack: { callsTo(method: string): SlackCall[] } }, userId: string): SlackCall[] {
  return r.slack.callsTo('views.publish').filter((c) => c.params.user_id === userId);
}

function homeOf(r: Parameters<typeof publishedFor>[0], userId: string): Promise<SlackCall> {
  return found(() => publishedFor(r, userId)[0], { timeoutMs: 10_000, message: `no home tab published for ${userId}` });
}

describe('the App Home tab', () => {
  it('shows an approver (through their user group) the request waiting for them, and its Approve runs the rollback exactly once', async () => {
    const r = await rig();
    const { id } = await requestRollback(r, 'payment-service error rate doubled');
    await approvalMessage(r, id);

    await openHome(r, 'U0DAVE');
    const home = await homeOf(r, 'U0DAVE');
    expect((home.params.view as { type: string }).type).toBe('home');
    expect(viewText(home)).toContain(`*ACT-${id}*: roll back payment-service · requested by <@U0ALICE>`);
    expect(viewText(home)).toContain('Waiting for your approval (1)');
    const value = JSON.stringify({ v: 1, action: id });
    expect(viewButtons(home).map((b) => [b.action_id, b.value])).toEqual([
      ['action.approve', value],
      ['action.deny', value],
      // Any approver may pause automation while AUTOMATION_ADMINS is unset.
      ['automation.pause', '{"v":1}'],
    ]);

    // The requester is no approver of their own request: their tab offers nothing to approve.
    await openHome(r, 'U0ALICE');
    expect(viewText(await homeOf(r, 'U0ALICE'))).toContain('Nothing waits for you.');

    const repliesBefore = r.slack.callsTo('response_url').length;
    expect(await clickInHome(r, 'action.approve', value, 'U0DAVE')).toBe(200);
    await r.gitlab.waitForCalls('retry', 1);
    await waitForState(r, id, 'running');
    expect(r.gitlab.callsTo('retry').map((c) => c.path)).toEqual([retryPath(502)]);
    expect((await storedAction(r, id)).doc.approvedBy).toEqual(['U0DAVE']);
    expect(await audit(r)).toContainEqual(expect.objectContaining({ actor: 'U0DAVE', action: 'action.approve', outcome: 'ok' }));
    // A click on a view has no response_url: the answer is the tab, published again, no sooner
    // than the minimum interval after the last one, with the approval done.
    expect(r.slack.callsTo('response_url')).toHaveLength(repliesBefore);
    const again = await found(() => publishedFor(r, 'U0DAVE')[1], {
      timeoutMs: HOME_MIN_INTERVAL_MS + 5_000,
      message: 'the tab was not published after the click',
    });
    // Times are when the fake received each call; the interval counts from when the bot began
    // the first (reading Redis, then the call), which takes up to a second on a loaded machine.
    // Without the interval the second publish would follow the click within that second.
    expect(again.at - home.at).toBeGreaterThanOrEqual(HOME_MIN_INTERVAL_MS - 1_000);
    expect(viewText(again)).toContain(`ACT-${id} is approved (1 of 1) and runs now`);
    expect(viewText(again)).toContain('Nothing waits for you.');
    expect(viewText(again)).toMatch(new RegExp(`Running actions \\(1\\)[\\s\\S]*\\*ACT-${id}\\*: roll back payment-service`));
  }, 30_000);

  it('is published once when opened again within the minimum interval, and not for the Messages tab', async () => {
    const r = await rig();
    await openHome(r, 'U0ERIN', 'messages');
    await openHome(r, 'U0BOB');
    await homeOf(r, 'U0BOB');
    await openHome(r, 'U0BOB');
    // Another person's tab, opened after the second open was answered, is published after it would have been.
    await openHome(r, 'U0CAROL');
    await homeOf(r, 'U0CAROL');
    expect(publishedFor(r, 'U0BOB')).toHaveLength(1);
    expect(publishedFor(r, 'U0ERIN')).toEqual([]);
  });
});
