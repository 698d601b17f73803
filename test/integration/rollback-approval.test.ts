/**
 * Who may decide on a rollback request, and what each decision does: `/rollback` and the
 * Approve / Deny / Cancel buttons of the approval message, sent through Bolt's real HTTP
 * receiver as correctly signed requests, with the state read from the real Redis, Slack
 * faked by fake-slack.ts and GitLab faked at its HTTP edge by fake-gitlab.ts.
 *
 * Each test starts its own bot (own key prefix, own fakes), so action ids, cooldowns and
 * open incidents of one test never leak into another.
 */
import { describe, expect, it, onTestFinished } from 'vitest';
import { SIGNING_SECRET, startTestBot, type TestBot } from '../support/bot.js';
import { deployment, FakeGitlab } from '../support/fake-gitlab.js';
import { FakeSlack, type SlackCall } from '../support/fake-slack.js';
import { notification, uniqueGroup } from '../support/fixtures.js';
import { buttonClickForm, postToSlackEndpoint, slashCommandForm } from '../support/slack-signing.js';
import { waitFor, type WaitForOptions } from '../support/wait.js';

// ---------------------------------------------------------------- GitLab and services

const SHA_OLD = 'a1b2c3d4e5f60718293a4b5c6d7e8f9012345678';
const SHA_GOOD = 'b7c8d9e0f1a2b3c4d5e6f708192a3b4c5d6e7f80';
const SHA_BAD = 'c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00';

/** Newest first. The last two deployments are the same (bad) sha: the target is #32, job 502. */
const PAYMENT_DEPLOYMENTS = [
  deployment({ id: 304, iid: 34, sha: SHA_BAD, jobId: 504 }),
  deployment({ id: 303, iid: 33, sha: SHA_BAD, jobId: 503 }),
  deployment({ id: 302, iid: 32, sha: SHA_GOOD, jobId: 502 }),
  deployment({ id: 301, iid: 31, sha: SHA_OLD, jobId: 501 }),
];

function servicesYaml({ approvals = 1 } = {}): string {
  return `services:
  payment-service:
    channel: C0PAYMENTS
    approvers: [U0ALICE, U0BOB, U0CAROL, S0SRE]
    approvals: ${approvals}
    gitlab:
      project: shop/payment-service
      environment: production
      rollback: retry-job
  checkout:
    channel: C0CHECKOUT
    approvers: [U0ALICE, U0BOB, S0SRE]
    approvals: 1
    gitlab:
      project: shop/checkout
      environment: production
      rollback: pipeline
      ref: main
      variables:
        DEPLOY_ENV: production
`;
}

// ---------------------------------------------------------------- harness

interface Rig {
  slack: FakeSlack;
  gitlab: FakeGitlab;
  bot: TestBot;
}

/** Fakes and a bot for one test, stopped when the test ends. S0SRE's only member is U0DAVE. */
async function rig(opts: { env?: Record<string, string>; approvals?: number } = {}): Promise<Rig> {
  const slack = await FakeSlack.start();
  const gitlab = await FakeGitlab.start();
  let bot: TestBot | undefined;
  onTestFinished(async () => {
    await bot?.stop();
    await slack.close();
    await gitlab.close();
  });
  slack.script('usergroups.users.list', { status: 200, body: { ok: true, users: ['U0DAVE'] } }, 1000);
  gitlab.addProject('shop/payment-service', PAYMENT_DEPLOYMENTS);
  bot = await startTestBot({
    slack,
    services: servicesYaml({ approvals: opts.approvals ?? 1 }),
    env: { GITLAB_URL: gitlab.url, GITLAB_TOKEN: 'x', GITLAB_POLL_INTERVAL: '50ms', ROLLBACK_COOLDOWN: '10m', ...opts.env },
  });
  return { slack, gitlab, bot };
}

async function found<T>(lookup: () => T | undefined | Promise<T | undefined>, opts: WaitForOptions): Promise<T> {
  return (await waitFor(lookup, opts)) as T;
}

/** A signed slash command; resolves with what the bot posted to its response_url. */
async function slash(r: Rig, command: string, text: string, userId: string): Promise<Record<string, unknown>> {
  const before = r.slack.callsTo('response_url').length;
  const res = await postToSlackEndpoint(r.bot.url, slashCommandForm(command, text, r.slack.responseUrl(`cmd-${before}`), userId), SIGNING_SECRET);
  await res.body?.cancel();
  expect(res.status).toBe(200);
  const calls = await r.slack.waitForCalls('response_url', before + 1, 10_000);
  return calls[before]?.params ?? {};
}

/** `/rollback <text>`; resolves with the new action's id. */
async function requestRollback(r: Rig, text: string, userId = 'U0ALICE'): Promise<{ id: string; reply: Record<string, unknown> }> {
  const reply = await slash(r, '/rollback', text, userId);
  const id = /ACT-(\d+) requested/.exec(String(reply.text))?.[1];
  if (!id) throw new Error(`/rollback ${text} requested nothing: ${String(reply.text)}`);
  return { id, reply };
}

/** A signed click on a button; `on` is the message clicked (channel and ts). */
async function click(r: Rig, actionId: string, value: string, userId: string, on?: { channel: string; ts: string }): Promise<number> {
  const before = r.slack.callsTo('response_url').length;
  const form = buttonClickForm(actionId, value, r.slack.responseUrl(`click-${before}`), userId);
  if (on) {
    const payload = JSON.parse(form.payload ?? '{}') as Record<string, unknown>;
    payload.channel = { id: on.channel, name: 'payments' };
    payload.container = { type: 'message', message_ts: on.ts, channel_id: on.channel, is_ephemeral: false };
    payload.message = { ts: on.ts, text: 'approval' };
    form.payload = JSON.stringify(payload);
  }
  const res = await postToSlackEndpoint(r.bot.url, form, SIGNING_SECRET);
  await res.body?.cancel();
  return res.status;
}

/** Clicks and resolves with the ephemeral answer posted to the response_url. */
async function clickForReply(r: Rig, actionId: string, value: string, userId: string, on?: { channel: string; ts: string }): Promise<Record<string, unknown>> {
  const before = r.slack.callsTo('response_url').length;
  expect(await click(r, actionId, value, userId, on)).toBe(200);
  const calls = await r.slack.waitForCalls('response_url', before + 1, 10_000);
  return calls[before]?.params ?? {};
}

interface Message {
  channel: string;
  ts: string;
  post: SlackCall;
}

function messageOf(post: SlackCall): Message {
  const ts = post.result?.ts;
  if (typeof ts !== 'string') throw new Error(`the fake Slack gave ${JSON.stringify(post.params.text)} no ts`);
  return { channel: String(post.params.channel), ts, post };
}

async function approvalMessage(r: Rig, id: string): Promise<Message> {
  const post = await found(() => r.slack.callsTo('chat.postMessage').find((c) => String(c.params.text).startsWith(`[REQUESTED] ACT-${id} `)), {
    timeoutMs: 10_000,
    message: `no approval message for ACT-${id}`,
  });
  return messageOf(post);
}

/** The first update of the approval message whose fallback text starts with `[STATE] ACT-<id> `. */
function approvalUpdate(r: Rig, id: string, state: string): Promise<SlackCall> {
  return found(() => r.slack.callsTo('chat.update').find((c) => String(c.params.text).startsWith(`[${state}] ACT-${id} `)), {
    timeoutMs: 10_000,
    message: `no chat.update of ACT-${id} to ${state}`,
  });
}

function threadReply(r: Rig, on: Message, contains: string): Promise<SlackCall> {
  return found(
    () => r.slack.callsTo('chat.postMessage').find((c) => c.params.thread_ts === on.ts && String(c.params.text).includes(contains)),
    { timeoutMs: 10_000, message: `no reply under ${on.ts} containing ${contains}` },
  );
}

function buttonsOf(call: SlackCall): Map<string, string> {
  const buttons = new Map<string, string>();
  for (const block of (call.params.blocks ?? []) as Array<{ type: string; elements?: Array<{ type: string; action_id?: string; value?: string }> }>) {
    if (block.type !== 'actions') continue;
    for (const element of block.elements ?? []) if (element.type === 'button' && element.action_id) buttons.set(element.action_id, element.value ?? '');
  }
  return buttons;
}

function buttonValue(call: SlackCall, actionId: string): string {
  const value = buttonsOf(call).get(actionId);
  if (value === undefined) throw new Error(`no ${actionId} button in ${JSON.stringify(call.params.blocks)}`);
  return value;
}

/** Every text of a message's blocks, one string, to look for what approvers see. */
function blockText(call: SlackCall): string {
  const texts: string[] = [];
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) node.forEach(visit);
    else if (node && typeof node === 'object') {
      for (const [key, value] of Object.entries(node)) {
        if (key === 'text' && typeof value === 'string') texts.push(value);
        else visit(value);
      }
    }
  };
  visit(call.params.blocks);
  return texts.join('\n');
}

interface StoredAction {
  state: string;
  version: string;
  doc: Record<string, unknown> & { approvedBy?: string[]; expiresAt?: string };
}

async function storedAction(r: Rig, id: string): Promise<StoredAction> {
  const hash = await r.bot.redis.hgetall(`${r.bot.prefix}action:${id}`);
  return { state: hash.state ?? '', version: hash.version ?? '', doc: hash.doc ? (JSON.parse(hash.doc) as StoredAction['doc']) : {} };
}

async function actionTimeline(r: Rig, id: string): Promise<Array<{ actor: string; text: string }>> {
  return (await r.bot.redis.lrange(`${r.bot.prefix}action:${id}:timeline`, 0, -1)).map((l) => JSON.parse(l) as { actor: string; text: string });
}

async function incidentTimeline(r: Rig, id: string): Promise<Array<{ kind: string; actor: string; text: string }>> {
  return (await r.bot.redis.lrange(`${r.bot.prefix}incident:${id}:timeline`, 0, -1)).map((l) => JSON.parse(l) as { kind: string; actor: string; text: string });
}

async function audit(r: Rig): Promise<Array<Record<string, string>>> {
  return (await r.bot.redis.xrange(`${r.bot.prefix}audit`, '-', '+')).map(([, flat]) => {
    const record: Record<string, string> = {};
    for (let i = 0; i + 1 < flat.length; i += 2) record[flat[i] as string] = flat[i + 1] as string;
    return record;
  });
}

function waitForState(r: Rig, id: string, state: string, timeoutMs = 10_000): Promise<unknown> {
  return waitFor(async () => (await storedAction(r, id)).state === state, { timeoutMs, message: `ACT-${id} never became ${state}` });
}

async function openIncident(r: Rig): Promise<{ id: string } & Message> {
  const group = uniqueGroup();
  const res = await r.bot.postWebhook(notification({ group, service: 'payment-service', alerts: [{ fingerprint: `${group}-a` }] }));
  expect(res.status).toBe(200);
  const { incident: id } = (await res.json()) as { incident: string | null };
  if (!id) throw new Error('the webhook opened no incident');
  const post = await found(
    () => r.slack.callsTo('chat.postMessage').find((c) => c.params.thread_ts === undefined && String(c.params.text).includes(`INC-${id} `)),
    { timeoutMs: 10_000, message: `no message for INC-${id}` },
  );
  return { id, ...messageOf(post) };
}

const retryPath = (jobId: number) => `/api/v4/projects/shop%2Fpayment-service/jobs/${jobId}/retry`;

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
      expect.objectContaining({ kind: 'action', actor: 'U0ALICE', text: expect.stringContaining(`requested ACT-${id}: roll back payment-service`) }),
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

    const refusal = expect.objectContaining({ actor: 'U0EVE', text: expect.stringContaining('<@U0EVE> was refused: You are not an approver for payment-service') });
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

describe('requests that end without running', () => {
  it('expires: a click after ACTION_EXPIRY answers that it expired, marks it expired and runs nothing', async () => {
    const r = await rig({ env: { ACTION_EXPIRY: '300ms' } });
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
    expect(await audit(r)).toContainEqual(expect.objectContaining({ actor: 'U0BOB', action: 'action.approve', outcome: 'refused', error: 'unreadable button value' }));
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
