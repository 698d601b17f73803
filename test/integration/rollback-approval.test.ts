/**
 * Who may decide on a rollback request, and what each decision does: `/rollback` and the
 * Approve / Deny / Cancel buttons of the approval message, sent through Bolt's real HTTP
 * receiver as correctly signed requests, with the state read from the real Redis, Slack
 * faked by fake-slack.ts and GitLab faked at its HTTP edge by fake-gitlab.ts.
 *
 * Each test starts its own bot (own key prefix, own fakes), so action ids, cooldowns and
 * open incidents of one test never leak into another.
 *
 * The services, their approvers and GitLab's deployments are set up in support/rollback.ts.
 */
import { describe, expect, it } from 'vitest';
import { approvalMessage, approvalUpdate, requestRollback, retryPath, SHA_BAD, SHA_GOOD, startRig as rig, waitForState } from '../support/rollback.js';
import { blockText, buttonsOf, buttonValue, click, clickForReply, openIncident, postSigned, threadReply } from '../support/slack-session.js';
import { buttonClickForm } from '../support/slack-signing.js';
import { actionTimeline, audit, incidentTimeline, storedAction } from '../support/stored.js';
import { found, waitFor } from '../support/wait.js';

// ---------------------------------------------------------------- tests

describe('the approval message', () => {
  it('is posted in the service channel (no incident open), shows exactly what will run and offers Approve, Deny and Cancel', async () => {
    const r = await rig();
    const { id, reply } = await requestRollback(r, 'payment-service error rate doubled after 14:02');
    expect(reply.response_type).toBe('ephemeral');
    expect(reply.text).toBe(`ACT-${id} requested: roll back payment-service; waiting for 1 approval(s).`);

    const message = await approvalMessage(r, id);
    expect(message.channel).toBe('C0PAYMENTS');
    expect(message.post.params.thread_ts).toBeUndefined();
    const text = blockText(message.post);
    expect(text).toContain('service: payment-service');
    expect(text).toContain('environment: production');
    expect(text).toContain('project: shop/payment-service');
    expect(text).toContain(`from: deployment #34, sha ${SHA_BAD.slice(0, 8)} (main)`);
    expect(text).toContain(`to: deployment #32, sha ${SHA_GOOD.slice(0, 8)} (main), job #502`);
    expect(text).toContain('<@U0ALICE>');
    expect(text).toContain('error rate doubled after 14:02');
    expect([...buttonsOf(message.post).keys()]).toEqual(['action.approve', 'action.deny', 'action.cancel']);
    for (const value of buttonsOf(message.post).values()) expect(JSON.parse(value)).toEqual({ v: 1, action: id });

    const stored = await storedAction(r, id);
    expect(stored.state).toBe('requested');
    expect(stored.doc).toMatchObject({ service: 'payment-service', requestedBy: 'U0ALICE', approvalsRequired: 1, approvedBy: [], channel: 'C0PAYMENTS' });
    expect(stored.doc.incidentId).toBeUndefined();
    expect(stored.doc.threadTs).toBeUndefined();
    expect(stored.doc.plan).toMatchObject({ params: { strategy: 'retry-job', targetJobId: '502', targetSha: SHA_GOOD, fromSha: SHA_BAD } });

    // One read of GitLab, with the token and the query for successful production deployments; nothing started.
    expect(r.gitlab.calls.map((c) => `${c.method} ${c.path}`)).toEqual(['GET /api/v4/projects/shop%2Fpayment-service/deployments']);
    const [list] = r.gitlab.calls;
    expect(list?.query).toMatchObject({ environment: 'production', status: 'success', sort: 'desc' });
    expect(list?.headers['private-token']).toBe('x');
  });

  it('is posted in the thread of the open incident of the service, and linked to it', async () => {
    const r = await rig();
    const incident = await openIncident(r);
    const { id } = await requestRollback(r, 'payment-service');
    const message = await approvalMessage(r, id);
    expect(message.channel).toBe(incident.channel);
    expect(message.post.params.thread_ts).toBe(incident.ts);
    expect((await storedAction(r, id)).doc).toMatchObject({ incidentId: incident.id, threadTs: incident.ts });
    // The request is on the incident's timeline too.
    expect(await incidentTimeline(r, incident.id)).toContainEqual(
      expect.objectContaining({
        kind: 'action',
        actor: 'U0ALICE',
        step: expect.objectContaining({ kind: 'requested', actionId: id, title: 'roll back payment-service' }),
        rendered: expect.stringContaining(`requested ACT-${id}: roll back payment-service`),
      }),
    );
  });
});

describe('who may approve', () => {
  it('the requester cannot approve their own request, even as an approver; nothing runs until another approver does', async () => {
    const r = await rig();
    const { id } = await requestRollback(r, 'payment-service');
    const message = await approvalMessage(r, id);
    const approve = buttonValue(message.post, 'action.approve');

    const reply = await clickForReply(r, 'action.approve', approve, 'U0ALICE', message);
    expect(reply.response_type).toBe('ephemeral');
    expect(reply.replace_original).toBe(false);
    expect(reply.text).toBe('You requested this action; another approver has to approve it.');
    expect((await storedAction(r, id)).doc).toMatchObject({ state: 'requested', approvedBy: [] });

    // A later approval by someone else runs it: exactly once, so the refused click started nothing.
    expect(await click(r, 'action.approve', approve, 'U0BOB', message)).toBe(200);
    await r.gitlab.waitForCalls('retry', 1);
    await waitForState(r, id, 'running');
    expect(r.gitlab.callsTo('retry').map((c) => c.path)).toEqual([retryPath(502)]);
    expect((await storedAction(r, id)).doc.approvedBy).toEqual(['U0BOB']);
  });

  it('a non-approver is refused ephemerally; the refusal is on the action and incident timelines and in the audit; nothing runs', async () => {
    const r = await rig();
    const incident = await openIncident(r);
    const { id } = await requestRollback(r, 'payment-service');
    const message = await approvalMessage(r, id);
    const before = await storedAction(r, id);

    const reply = await clickForReply(r, 'action.approve', buttonValue(message.post, 'action.approve'), 'U0EVE', message);
    expect(reply.response_type).toBe('ephemeral');
    expect(reply.text).toBe('You are not an approver for payment-service; ask one of its approvers.');
    expect((await storedAction(r, id)).doc).toMatchObject({ state: 'requested', approvedBy: [] });

    const refusal = expect.objectContaining({
      actor: 'U0EVE',
      step: { kind: 'refused', actionId: id, reason: 'You are not an approver for payment-service; ask one of its approvers.' },
      rendered: '<@U0EVE> was refused: You are not an approver for payment-service; ask one of its approvers.',
    });
    expect(await actionTimeline(r, id)).toContainEqual(refusal);
    expect(await incidentTimeline(r, incident.id)).toContainEqual(refusal);
    await found(async () => (await audit(r)).find((e) => e.actor === 'U0EVE'), { timeoutMs: 5_000, message: 'the refused click was not audited' });
    expect(await audit(r)).toContainEqual(expect.objectContaining({ actor: 'U0EVE', action: 'action.approve', outcome: 'refused' }));
    // The incident thread shows the refusal to everyone.
    await threadReply(r, incident, '<@U0EVE> was refused');

    // A later decision by an approver is the proof that the refused click started nothing.
    expect(await click(r, 'action.deny', buttonValue(message.post, 'action.deny'), 'U0BOB', message)).toBe(200);
    await waitForState(r, id, 'denied');
    expect(r.gitlab.callsTo('retry')).toEqual([]);
    expect(Number((await storedAction(r, id)).version)).toBeGreaterThan(Number(before.version));
  });

  it('a member of an approver user group (S0SRE, from usergroups.users.list) may approve', async () => {
    const r = await rig();
    const { id } = await requestRollback(r, 'payment-service');
    const message = await approvalMessage(r, id);

    expect(await click(r, 'action.approve', buttonValue(message.post, 'action.approve'), 'U0DAVE', message)).toBe(200);
    await r.gitlab.waitForCalls('retry', 1);
    expect((await storedAction(r, id)).doc.approvedBy).toEqual(['U0DAVE']);
    expect(r.slack.callsTo('usergroups.users.list').map((c) => c.params.usergroup)).toContain('S0SRE');
  });

  it('approvals: 2 needs two distinct approvers besides the requester, and runs once the second approves', async () => {
    const r = await rig({ approvals: 2 });
    const { id, reply } = await requestRollback(r, 'payment-service');
    expect(reply.text).toBe(`ACT-${id} requested: roll back payment-service; waiting for 2 approval(s).`);
    const message = await approvalMessage(r, id);
    const approve = buttonValue(message.post, 'action.approve');
    expect(blockText(message.post)).toContain('0 of 2');

    expect((await clickForReply(r, 'action.approve', approve, 'U0ALICE', message)).text).toBe('You requested this action; another approver has to approve it.');

    expect(await click(r, 'action.approve', approve, 'U0BOB', message)).toBe(200);
    await waitFor(async () => (await storedAction(r, id)).doc.approvedBy?.length === 1, { message: 'the first approval was not stored' });
    expect((await storedAction(r, id)).doc).toMatchObject({ state: 'requested', approvedBy: ['U0BOB'] });
    const oneOfTwo = await found(() => r.slack.callsTo('chat.update').find((c) => blockText(c).includes('1 of 2: <@U0BOB>')), {
      timeoutMs: 10_000,
      message: 'the approval message never showed 1 of 2',
    });
    expect(String(oneOfTwo.params.text)).toMatch(new RegExp(`^\\[REQUESTED\\] ACT-${id} `));

    expect((await clickForReply(r, 'action.approve', approve, 'U0BOB', message)).text).toBe(`You already approved ACT-${id}.`);
    // Neither the requester nor a repeated approval counted: still one approval, nothing started.
    expect((await storedAction(r, id)).doc).toMatchObject({ state: 'requested', approvedBy: ['U0BOB'] });
    expect(r.gitlab.callsTo('retry')).toEqual([]);

    expect(await click(r, 'action.approve', approve, 'U0CAROL', message)).toBe(200);
    await r.gitlab.waitForCalls('retry', 1);
    await waitForState(r, id, 'running');
    expect((await storedAction(r, id)).doc.approvedBy).toEqual(['U0BOB', 'U0CAROL']);
    expect(r.gitlab.callsTo('retry').map((c) => c.path)).toEqual([retryPath(502)]);
  });
});

describe('a burst of approve clicks', () => {
  it('answers every click ephemerally, counts one approval per approver and runs the rollback once', async () => {
    const r = await rig();
    const { id } = await requestRollback(r, 'payment-service');
    const message = await approvalMessage(r, id);
    const approve = buttonValue(message.post, 'action.approve');
    const clickers = ['U0BOB', 'U0CAROL', 'U0DAVE'];
    const burst = Array.from({ length: 20 }, (_, i) => ({ id: `burst-${i}`, user: clickers[i % clickers.length] ?? 'U0BOB' }));

    const statuses = await Promise.all(
      burst.map((c) =>
        postSigned(r, buttonClickForm('action.approve', approve, r.slack.responseUrl(c.id), c.user, { channel: message.channel, ts: message.ts })),
      ),
    );
    expect(statuses).toEqual(burst.map(() => 200));
    const answers = await found(
      () => {
        const byId = new Map(r.slack.callsTo('response_url').map((c) => [c.responseId, String(c.params.text)]));
        return burst.every((c) => byId.has(c.id)) ? byId : undefined;
      },
      { timeoutMs: 10_000, message: 'some approve clicks got no answer' },
    );
    // Whoever came first approved it; every click hears that it runs, or that it already does.
    const runsNow = `ACT-${id} is approved (1 of 1) and runs now; its message and thread show how it goes.`;
    const alreadyRunning = new RegExp(`^ACT-${id} is (running|succeeded); it cannot be approved\\.$`);
    for (const c of burst) expect(answers.get(c.id)).toSatisfy((text: string) => text === runsNow || alreadyRunning.test(text));
    expect([...answers.values()]).toContain(runsNow);
    await r.gitlab.waitForCalls('retry', 1);
    await waitForState(r, id, 'running');
    expect(r.gitlab.callsTo('retry')).toHaveLength(1);
    expect((await storedAction(r, id)).doc.approvedBy).toHaveLength(1);
  });
});

describe('requests that end without running', () => {
  it('expires: a click after ACTION_EXPIRY answers that it expired, marks it expired and runs nothing', async () => {
    // The click, not the sweep, must find it expired: the sweep runs once a minute here.
    const r = await rig({ env: { ACTION_EXPIRY: '300ms', SWEEP_INTERVAL: '60s' } });
    const { id } = await requestRollback(r, 'payment-service');
    const message = await approvalMessage(r, id);
    const expiresAt = Date.parse(String((await storedAction(r, id)).doc.expiresAt));
    expect(expiresAt - Date.now()).toBeLessThanOrEqual(300);
    await waitFor(() => Date.now() > expiresAt + 20, { message: 'the request did not reach its expiry' });

    const reply = await clickForReply(r, 'action.approve', buttonValue(message.post, 'action.approve'), 'U0BOB', message);
    expect(reply.response_type).toBe('ephemeral');
    expect(String(reply.text)).toMatch(new RegExp(`^ACT-${id} expired at .+ without enough approvals; request it again\\.$`));
    expect((await storedAction(r, id)).doc).toMatchObject({ state: 'expired', approvedBy: [] });
    const update = await approvalUpdate(r, id, 'EXPIRED');
    expect(buttonsOf(update).size).toBe(0);

    const again = await clickForReply(r, 'action.approve', buttonValue(message.post, 'action.approve'), 'U0CAROL', message);
    expect(again.text).toBe(`ACT-${id} is expired; it cannot be approved.`);
    expect(r.gitlab.callsTo('retry')).toEqual([]);
  });

  it('deny: a non-approver cannot deny; an approver denies, the message loses its buttons and a later approval is refused', async () => {
    const r = await rig();
    const { id } = await requestRollback(r, 'payment-service');
    const message = await approvalMessage(r, id);

    expect((await clickForReply(r, 'action.deny', buttonValue(message.post, 'action.deny'), 'U0EVE', message)).text).toBe(
      'You are not an approver for payment-service.',
    );
    expect((await storedAction(r, id)).state).toBe('requested');

    expect(await click(r, 'action.deny', buttonValue(message.post, 'action.deny'), 'U0BOB', message)).toBe(200);
    await waitForState(r, id, 'denied');
    expect((await storedAction(r, id)).doc).toMatchObject({ decidedBy: 'U0BOB' });
    expect(buttonsOf(await approvalUpdate(r, id, 'DENIED')).size).toBe(0);
    await threadReply(r, message, `<@U0BOB> denied ACT-${id}`);

    const late = await clickForReply(r, 'action.approve', buttonValue(message.post, 'action.approve'), 'U0CAROL', message);
    expect(late.text).toBe(`ACT-${id} is denied; it cannot be approved.`);
    expect(r.gitlab.callsTo('retry')).toEqual([]);
  });

  it('cancel: only the requester or an approver may cancel; after the requester cancels, nothing can run it', async () => {
    const r = await rig();
    const { id } = await requestRollback(r, 'payment-service');
    const message = await approvalMessage(r, id);

    expect((await clickForReply(r, 'action.cancel', buttonValue(message.post, 'action.cancel'), 'U0EVE', message)).text).toBe(
      'Only the requester or an approver can cancel this action.',
    );
    expect((await storedAction(r, id)).state).toBe('requested');

    expect(await click(r, 'action.cancel', buttonValue(message.post, 'action.cancel'), 'U0ALICE', message)).toBe(200);
    await waitForState(r, id, 'cancelled');
    expect((await storedAction(r, id)).doc).toMatchObject({ decidedBy: 'U0ALICE' });
    expect(buttonsOf(await approvalUpdate(r, id, 'CANCELLED')).size).toBe(0);

    const late = await clickForReply(r, 'action.approve', buttonValue(message.post, 'action.approve'), 'U0BOB', message);
    expect(late.text).toBe(`ACT-${id} is cancelled; it cannot be approved.`);
    expect(r.gitlab.callsTo('retry')).toEqual([]);
  });

  it('a requester who is not an approver may still cancel their own request', async () => {
    const r = await rig();
    const { id } = await requestRollback(r, 'payment-service', 'U0EVE');
    const message = await approvalMessage(r, id);
    expect(await click(r, 'action.cancel', buttonValue(message.post, 'action.cancel'), 'U0EVE', message)).toBe(200);
    await waitForState(r, id, 'cancelled');
  });
});

describe('buttons this version cannot act on', () => {
  it.each([
    ['a value without its version', '{"action":"1"}'],
    ['a bare id', '1'],
    ['a value of another button', '{"v":1,"incident":"1"}'],
  ])('an approval button with %s gets a clear ephemeral answer and changes nothing', async (_label, value) => {
    const r = await rig();
    const { id } = await requestRollback(r, 'payment-service');
    await approvalMessage(r, id);
    const before = await storedAction(r, id);

    const reply = await clickForReply(r, 'action.approve', value, 'U0BOB');
    expect(reply.response_type).toBe('ephemeral');
    expect(reply.replace_original).toBe(false);
    expect(reply.text).toBe('This button is from a message this version of the bot cannot read any more. Use `/incident list` to find the incident.');
    expect(await storedAction(r, id)).toEqual(before);
    expect(await audit(r)).toContainEqual(
      expect.objectContaining({ actor: 'U0BOB', action: 'action.approve', outcome: 'refused', error: 'unreadable button value' }),
    );
    expect(r.gitlab.callsTo('retry')).toEqual([]);
  });

  it('an unknown action id gets a clear ephemeral answer naming it', async () => {
    const r = await rig();
    const { id } = await requestRollback(r, 'payment-service');
    const before = await storedAction(r, id);
    const reply = await clickForReply(r, 'action.retry', JSON.stringify({ v: 1, action: id }), 'U0BOB');
    expect(reply.response_type).toBe('ephemeral');
    expect(reply.text).toBe('This button (`action.retry`) is not handled by this version of the bot. Use `/incident help` to see what it can do.');
    expect(await storedAction(r, id)).toEqual(before);
  });

  it('an approval button for an action that is not stored says so', async () => {
    const r = await rig();
    const reply = await clickForReply(r, 'action.approve', JSON.stringify({ v: 1, action: '4242' }), 'U0BOB');
    expect(reply.text).toBe('No action ACT-4242 is stored (it may be older than the retention period).');
    expect(await r.bot.redis.keys(`${r.bot.prefix}action:4242*`)).toEqual([]);
  });
});
