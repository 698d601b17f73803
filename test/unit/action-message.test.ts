/**
 * The approval message (src/slack/render/action-message.ts): what approvers see and which
 * buttons each state offers.
 */
import { describe, expect, it } from 'vitest';
import { requestAction, type Action, type ActionState } from '../../src/actions/action.js';
import { ActionButtonValue, parseButtonValue } from '../../src/slack/contract.js';
import { renderActionMessage } from '../../src/slack/render/action-message.js';
import type { Block } from '../../src/slack/render/block-kit.js';

const T0 = new Date('2026-11-22T10:00:00.000Z');

function action(overrides: Partial<Action> = {}): Action {
  const { action: a } = requestAction({
    id: '12',
    kind: 'rollback',
    service: 'payment-service',
    plan: {
      executor: 'gitlab',
      service: 'payment-service',
      title: 'roll back payment-service',
      summary: [
        'service: payment-service',
        'environment: production',
        'from: deployment #34, sha c0ffee00 (main)',
        'to: deployment #32, sha b7c8d9e0 (main), job #502',
      ],
      params: {},
    },
    requestedBy: 'U0ALICE',
    requesterIsApprover: true,
    reason: 'errors *doubled* after <deploy>',
    approvals: 2,
    expiresInMs: 15 * 60_000,
    forced: false,
    channel: 'C0PAYMENTS',
    now: T0,
  });
  return { ...a, ...overrides };
}

function buttons(blocks: Block[]): Array<{ action_id: string; text: string; value: string; style?: string }> {
  return blocks.flatMap((b) =>
    b.type === 'actions'
      ? b.elements.flatMap((e) =>
          e.type !== 'button' ? [] : [{ action_id: e.action_id, text: e.text.text, value: e.value, ...(e.style ? { style: e.style } : {}) }],
        )
      : [],
  );
}

function texts(blocks: Block[]): string {
  return JSON.stringify(blocks);
}

describe('renderActionMessage', () => {
  it('a request shows the plan verbatim, who asked, the approvals so far, the reason escaped and the expiry', () => {
    const { text, blocks } = renderActionMessage(action());
    expect(text).toBe('[REQUESTED] ACT-12 roll back payment-service');
    const all = texts(blocks);
    expect(all).toContain('*ACT-12: roll back payment-service* — :hourglass_flowing_sand: waiting for approval');
    expect(all).toContain('*Requested by*\\n<@U0ALICE>');
    expect(all).toContain('*Approvals*\\n0 of 2: none yet');
    expect(all).toContain('*Reason*\\nerrors *doubled* after &lt;deploy&gt;');
    expect(all).toContain('from: deployment #34, sha c0ffee00 (main)\\nto: deployment #32, sha b7c8d9e0 (main), job #502');
    expect(all).toContain(`<!date^${Math.floor(T0.getTime() / 1000) + 900}^{time}|${new Date(T0.getTime() + 900_000).toISOString()}>`);
  });

  it('a request offers Approve, Deny and Cancel, each carrying the action id in the current value shape', () => {
    const list = buttons(renderActionMessage(action()).blocks);
    expect(list.map((b) => [b.action_id, b.text, b.style])).toEqual([
      ['action.approve', 'Approve', 'primary'],
      ['action.deny', 'Deny', 'danger'],
      ['action.cancel', 'Cancel', undefined],
    ]);
    for (const b of list) expect(parseButtonValue(ActionButtonValue, b.value)).toEqual({ v: 1, action: '12' });
  });

  it('lists approvers as they approve', () => {
    expect(texts(renderActionMessage(action({ approvedBy: ['U0BOB'] })).blocks)).toContain('*Approvals*\\n1 of 2: <@U0BOB>');
  });

  it('an approved action that could not run offers Run now (an approval) and Cancel', () => {
    expect(buttons(renderActionMessage(action({ state: 'approved' })).blocks).map((b) => [b.action_id, b.text])).toEqual([
      ['action.approve', 'Run now'],
      ['action.cancel', 'Cancel'],
    ]);
  });

  it('an approved action held by the kill switch says so in its fallback text, with who paused automation and why', () => {
    const held = action({
      state: 'approved',
      approvedBy: ['U0BOB', 'U0CAROL'],
      held: { by: 'U0DAVE', reason: 'freeze *all* <deploys>', at: '2026-11-22T09:00:00.000Z' },
    });
    const { text, blocks } = renderActionMessage(held);
    expect(text).toBe('[HELD] ACT-12 roll back payment-service');
    const all = texts(blocks);
    expect(all).toContain('*ACT-12: roll back payment-service* — :double_vertical_bar: approved, held by the kill switch');
    expect(all).toContain(
      'ACT-12 is approved but held: automation was paused by <@U0DAVE> (freeze *all* &lt;deploys&gt;). Click *Run now* after `/automation resume` to run it.',
    );
    expect(buttons(blocks).map((b) => [b.action_id, b.text])).toEqual([
      ['action.approve', 'Run now'],
      ['action.cancel', 'Cancel'],
    ]);
  });

  it.each<ActionState>(['running', 'succeeded', 'failed', 'denied', 'expired', 'cancelled'])(
    'a %s action offers no buttons and says so in its fallback text',
    (state) => {
      const { text, blocks } = renderActionMessage(action({ state }));
      expect(text).toBe(`[${state.toUpperCase()}] ACT-12 roll back payment-service`);
      expect(buttons(blocks)).toEqual([]);
      expect(blocks.some((b) => b.type === 'actions')).toBe(false);
    },
  );

  it('shows the cooldown warning, the link to the run and the result', () => {
    const blocks = renderActionMessage(
      action({
        state: 'succeeded',
        warning: 'Inside the cooldown: ACT-11 rolled payment-service back recently (--force).',
        run: { id: '9002', url: 'https://gitlab.example.com/shop/payment-service/-/jobs/9002', params: {} },
        result: 'job #9002 success after 43s',
      }),
    ).blocks;
    const all = texts(blocks);
    expect(all).toContain(':warning: Inside the cooldown: ACT-11 rolled payment-service back recently (--force).');
    expect(all).toContain('<https://gitlab.example.com/shop/payment-service/-/jobs/9002|Watch it in GitLab>');
    expect(all).toContain('job #9002 success after 43s');
  });

  it('a halted rollout offers Continue and Abort; once handed over, nothing', () => {
    const halted = action({ kind: 'fleet', state: 'failed', resumable: true, result: 'Halted after batch 2' });
    expect(buttons(renderActionMessage(halted).blocks).map((b) => b.action_id)).toEqual(['action.continue', 'action.abort']);
    expect(buttons(renderActionMessage(halted).blocks)[0]?.value).toBe('{"v":1,"action":"12"}');
    expect(buttons(renderActionMessage({ ...halted, resumable: false }).blocks)).toEqual([]);
  });

  it('shows what the dry run found, and no approvals line for a read-only action', () => {
    const looked = action({ kind: 'fleet', rehearsal: { ok: false, check: 'dry_run_command', hosts: 3, failed: ['web-3'] }, approvalsRequired: 0 });
    const all = texts(renderActionMessage(looked).blocks);
    expect(all).toContain(":rotating_light: The dry run FAILED on 1 of 3 hosts: web-3. Each host's output is in the thread.");
    expect(all).toContain('none needed (read-only)');
    const reachable = action({ kind: 'fleet', rehearsal: { ok: true, check: 'reachability', hosts: 2, failed: [] } });
    expect(texts(renderActionMessage(reachable).blocks)).toContain(
      ':mag: reachability check (no dry_run_command, so the command itself was not tried) ok on all 2 host(s) (details in the thread)',
    );
  });

  it('shows a dry run an earlier release stored in words as it was stored', () => {
    const looked = action({ kind: 'fleet', rehearsal: { ok: false, summary: 'dry run FAILED on 1 of 3 host(s): web-3' } });
    expect(texts(renderActionMessage(looked).blocks)).toContain(':rotating_light: dry run FAILED on 1 of 3 host(s): web-3. *Approve* is refused');
  });

  it('a request whose dry run failed says so first, which hosts and why, and offers Approve anyway instead of Approve', () => {
    const failures = [
      { host: 'web-2', exitCode: 3, firstLine: 'disk is <read-only>' },
      { host: 'web-4', exitCode: null, firstLine: 'host key of 127.0.0.1:2204 is not in known_hosts' },
    ];
    const failed = action({ kind: 'fleet', rehearsal: { ok: false, check: 'dry_run_command', hosts: 4, failed: ['web-2', 'web-4'], failures } });
    const message = renderActionMessage(failed);
    expect(message.text).toBe('[REQUESTED] ACT-12 roll back payment-service (its dry run FAILED)');
    const second = message.blocks[1];
    expect(second?.type === 'section' && 'text' in second && second.text.text).toBe(
      ':rotating_light: The dry run FAILED on 2 of 4 hosts: web-2 (exit 3: disk is &lt;read-only&gt;); web-4 (no exit code: host key of 127.0.0.1:2204 is not in known_hosts). *Approve* is refused while the dry run failed: read each host’s output in the thread, then *Approve anyway* to run the plan as it stands, on every host, or *Deny*.',
    );
    expect(buttons(message.blocks).map((b) => [b.action_id, b.text])).toEqual([
      ['action.approve_anyway', 'Approve anyway'],
      ['action.deny', 'Deny'],
      ['action.cancel', 'Cancel'],
    ]);
    // Once approved it keeps saying so, without the advice.
    const approved = renderActionMessage({ ...failed, state: 'succeeded' });
    expect(texts(approved.blocks)).toContain('The dry run FAILED on 2 of 4 hosts: web-2 (exit 3: disk is &lt;read-only&gt;); web-4');
    expect(texts(approved.blocks)).not.toContain('Approve anyway');
  });

  it('a continued plan’s dry run names the hosts it skipped', () => {
    const continued = action({ kind: 'fleet', rehearsal: { ok: true, check: 'dry_run_command', hosts: 1, failed: [], skipped: ['web-1', 'web-2'] } });
    expect(texts(renderActionMessage(continued).blocks)).toContain(
      ':mag: dry run ok on all 1 host(s); not dry-run on web-1, web-2: they succeeded in the rollout this one continues and will not run again (details in the thread)',
    );
  });

  it('a rollout that succeeded with failures says so, names each failed host with its exit, and offers Retry failed hosts once', () => {
    const result = { kind: 'fleet_succeeded' as const, hosts: 4, skipped: 0, failed: [{ host: 'web-2', exitCode: 7 }] };
    const done = action({ kind: 'fleet', state: 'succeeded', result });
    const message = renderActionMessage(done);
    expect(message.text).toBe('[SUCCEEDED WITH FAILURES] ACT-12 roll back payment-service');
    expect(texts(message.blocks)).toContain(':large_orange_circle: succeeded with failures (1 host failed)');
    expect(texts(message.blocks)).toContain('3 of 4 host(s) succeeded; 1 FAILED, within max_failures: web-2 (exit 7)');
    expect(buttons(message.blocks)).toEqual([{ action_id: 'action.retry_failed', text: 'Retry failed hosts', value: '{"v":1,"action":"12"}' }]);
    expect(buttons(renderActionMessage({ ...done, retriedAs: '13' }).blocks)).toEqual([]);
    // An end stored by an earlier release, without failed hosts, reads as before.
    const older = renderActionMessage(action({ kind: 'fleet', state: 'succeeded', result: { kind: 'fleet_succeeded', hosts: 4, skipped: 0 } }));
    expect(older.text).toBe('[SUCCEEDED] ACT-12 roll back payment-service');
    expect(texts(older.blocks)).toContain('all 4 host(s) succeeded');
    expect(buttons(older.blocks)).toEqual([]);
  });

  it('says how a rollout ended, from its facts', () => {
    const halted = action({
      kind: 'fleet',
      state: 'failed',
      resumable: true,
      result: { kind: 'fleet_halted', reason: { kind: 'canary_failed', failures: 1 }, failed: ['web-1'] },
    });
    expect(texts(renderActionMessage(halted).blocks)).toContain('Halted: the canary batch failed on 1 host; no other host was touched. Failed: web-1.');
    const paused = action({ kind: 'fleet', state: 'failed', resumable: true, result: { kind: 'fleet_paused', pauseReason: 'freeze <all>' } });
    expect(texts(renderActionMessage(paused).blocks)).toContain('stopped before the next batch: automation paused (freeze &lt;all&gt;)');
  });

  it('escapes what came from outside in the notification text and in the plan, and encodes the run link', () => {
    const hostile = action({
      plan: {
        executor: 'fleet',
        service: 'web',
        title: 'restart <!channel> on web & co',
        summary: ['host: <@U0EVIL>', 'arg: <https://evil.example|x>'],
        params: {},
      },
      run: { id: '1', url: 'https://gitlab.example.com/p/-/jobs/1?a=1&b=<!here>|x', params: {} },
    });
    const { text, blocks } = renderActionMessage(hostile);
    expect(text).toBe('[REQUESTED] ACT-12 restart &lt;!channel&gt; on web &amp; co');
    const all = texts(blocks);
    expect(all).toContain('```host: &lt;@U0EVIL&gt;\\narg: &lt;https://evil.example|x&gt;```');
    expect(all).toContain('<https://gitlab.example.com/p/-/jobs/1?a=1&amp;b=%3C!here%3E%7Cx|Watch it in GitLab>');
  });

  it('mentions only Slack user ids: the scheduler that requested a run is named, not mentioned', () => {
    const all = texts(renderActionMessage(action({ requestedBy: 'scheduler', approvedBy: ['U0BOB'] })).blocks);
    expect(all).toContain('*Requested by*\\nscheduler');
    expect(all).not.toContain('<@scheduler>');
  });
});
