/**
 * The ways into a rollback and their refusals: `/rollback` (unknown service, GitLab errors,
 * a named target), `/automation status`, and a runbook's button on an incident message,
 * which opens the same approval flow linked to that incident. Signed requests through
 * Bolt's real HTTP receiver, the real Redis, Slack faked by fake-slack.ts and GitLab faked
 * at its HTTP edge by fake-gitlab.ts. Each test starts its own bot and fakes.
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
  ledger:
    channel: C0LEDGER
    approvers: [U0BOB]
    gitlab:
      project: shop/ledger
      environment: production
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

async function openIncident(r: Rig, group = uniqueGroup()): Promise<{ id: string } & Message> {
  const res = await r.bot.postWebhook(notification({ group, service: 'payment-service', alerts: [{ fingerprint: `${group}-${uniqueGroup()}` }] }));
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

async function actionKeys(r: Rig): Promise<string[]> {
  return r.bot.redis.keys(`${r.bot.prefix}action*`);
}

describe('/rollback', () => {
  it('for an unknown service lists the known services and stores nothing', async () => {
    const r = await rig();
    const reply = await slash(r, '/rollback', 'unknown-service', 'U0ALICE');
    expect(reply.response_type).toBe('ephemeral');
    expect(reply.text).toBe('Unknown service "unknown-service". Known services: checkout, ledger, payment-service.');
    expect(await actionKeys(r)).toEqual([]);
    expect(r.gitlab.calls).toEqual([]);
    expect(await audit(r)).toContainEqual(expect.objectContaining({ actor: 'U0ALICE', action: '/rollback', outcome: 'refused', detail: 'unknown-service' }));
  });

  it.each([
    ['no arguments', ''],
    ['help', 'help'],
  ])('with %s shows the usage', async (_label, text) => {
    const r = await rig();
    const reply = await slash(r, '/rollback', text, 'U0ALICE');
    expect(reply.response_type).toBe('ephemeral');
    expect(String(reply.text)).toContain('`/rollback <service> [to <sha|deployment-id>] [--force] [reason…]`');
    expect(await actionKeys(r)).toEqual([]);
  });

  it('with a target that is neither a sha nor a deployment id says what it expects', async () => {
    const r = await rig();
    const reply = await slash(r, '/rollback', 'payment-service to main', 'U0ALICE');
    expect(String(reply.text)).toMatch(/^target: expected a commit sha \(7 to 40 hex characters\) or a deployment id\n/);
    expect(r.gitlab.calls).toEqual([]);
  });

  it('to a named sha plans (and runs) that deployment’s job', async () => {
    const r = await rig();
    const { id } = await requestRollback(r, `payment-service to ${SHA_OLD.slice(0, 10)} back to last week`);
    const message = await approvalMessage(r, id);
    expect(blockText(message.post)).toContain(`to: deployment #31, sha ${SHA_OLD.slice(0, 8)} (main), job #501`);
    expect((await storedAction(r, id)).doc).toMatchObject({ target: SHA_OLD.slice(0, 10), reason: 'back to last week' });
    expect(await click(r, 'action.approve', buttonValue(message.post, 'action.approve'), 'U0BOB', message)).toBe(200);
    await r.gitlab.waitForCalls('retry', 1);
    expect(r.gitlab.callsTo('retry').map((c) => c.path)).toEqual([retryPath(501)]);
  });

  it('to what runs now is refused with the reason', async () => {
    const r = await rig();
    const reply = await slash(r, '/rollback', 'payment-service to 34', 'U0ALICE');
    expect(reply.text).toBe(`34 is deployment #34, sha ${SHA_BAD.slice(0, 8)} (main), which is what production runs now; name an earlier deployment`);
    expect(await actionKeys(r)).toEqual([]);
  });
});

describe('/rollback when GitLab fails', () => {
  it('a 500 on the deployments list is retried, and the request goes through', async () => {
    const r = await rig();
    r.gitlab.script('deployments', { status: 500, body: { message: '500 Internal Server Error' } });
    const { id } = await requestRollback(r, 'payment-service');
    expect(r.gitlab.callsTo('deployments').map((c) => c.status)).toEqual([500, 200]);
    const message = await approvalMessage(r, id);
    expect(blockText(message.post)).toContain('job #502');
    expect(r.bot.logs).toContainEqual(expect.objectContaining({ msg: 'GitLab request failed; retrying', reason: 'status 500', attempt: 1 }));
  });

  it.each([
    ['a scripted 404 for payment-service', 'payment-service', 'shop/payment-service'],
    ['a project GitLab does not have', 'ledger', 'shop/ledger'],
  ])('%s: answers with a clear message naming the project and stores nothing', async (_label, service, project) => {
    const r = await rig();
    if (service === 'payment-service') r.gitlab.script('deployments', { status: 404, body: { message: '404 Project Not Found' } });
    const reply = await slash(r, '/rollback', service, 'U0ALICE');
    expect(reply.response_type).toBe('ephemeral');
    expect(reply.text).toBe(
      `GitLab project ${project} not found (404 Project Not Found): check gitlab.project in services.yaml and that GITLAB_TOKEN can read it`,
    );
    // A 404 is not retried, nothing was stored, nothing is running.
    expect(r.gitlab.callsTo('deployments')).toHaveLength(1);
    expect(await actionKeys(r)).toEqual([]);
    expect(await r.bot.redis.smembers(`${r.bot.prefix}actions:running`)).toEqual([]);
    expect(await audit(r)).toContainEqual(expect.objectContaining({ action: '/rollback', outcome: 'refused', error: reply.text }));

    // The next request is the first action: the refused one took no id and posted no message.
    const next = await requestRollback(r, 'payment-service');
    expect(next.id).toBe('1');
    await approvalMessage(r, next.id);
    expect(r.slack.callsTo('chat.postMessage').filter((c) => String(c.params.text).includes('ACT-'))).toHaveLength(1);
  });

  it('when GitLab keeps failing, the answer says GitLab is unavailable (not a bug of the bot) and stores nothing', async () => {
    const r = await rig();
    r.gitlab.script('deployments', { status: 503, body: { message: '503 Service Unavailable' } }, 4);
    const reply = await slash(r, '/rollback', 'payment-service', 'U0ALICE');
    expect(r.gitlab.callsTo('deployments')).toHaveLength(4);
    expect(await actionKeys(r)).toEqual([]);
    expect(String(reply.text)).toContain('GitLab failed 4 times (last: status 503) when asked to list the successful deployments to production in shop/payment-service');
  });
});

describe('/automation', () => {
  it('status, and help; anyone may ask', async () => {
    const r = await rig();
    expect((await slash(r, '/automation', 'status', 'U0EVE')).text).toBe(':large_green_circle: Automation is running.');
    expect(String((await slash(r, '/automation', 'help', 'U0EVE')).text)).toContain('`/automation pause [reason…]`');
    expect(String((await slash(r, '/automation', 'stop', 'U0EVE')).text)).toMatch(/^unknown subcommand "stop"/);
  });

  it('a non-admin cannot pause; an approver by user group can', async () => {
    const r = await rig();
    const refused = await slash(r, '/automation', 'pause', 'U0EVE');
    expect(refused.text).toBe('Only automation admins (AUTOMATION_ADMINS, or any service approver when unset) may pause or resume automation.');
    expect(await r.bot.redis.get(`${r.bot.prefix}automation:paused`)).toBeNull();

    const paused = await slash(r, '/automation', 'pause', 'U0DAVE');
    expect(paused.text).toBe(':octagonal_sign: <@U0DAVE> paused all automation: no reason given. Nothing new runs until `/automation resume`.');
    expect(JSON.parse((await r.bot.redis.get(`${r.bot.prefix}automation:paused`)) ?? '{}')).toMatchObject({ by: 'U0DAVE', reason: 'no reason given' });
  });

  it('AUTOMATION_ADMINS, when set, are the only ones who may pause', async () => {
    const r = await rig({ env: { AUTOMATION_ADMINS: 'U0ADMIN' } });
    expect((await slash(r, '/automation', 'pause', 'U0BOB')).text).toContain('Only automation admins');
    expect((await slash(r, '/automation', 'pause incident review', 'U0ADMIN')).response_type).toBe('in_channel');
  });
});

describe('a runbook button on an incident message', () => {
  it('opens the approval flow linked to the incident, in its thread, and the approved rollback mitigates it', async () => {
    const r = await rig();
    const incident = await openIncident(r, 'HighErrorRate');
    const value = buttonValue(incident.post, 'runbook.run');
    expect(JSON.parse(value)).toEqual({ v: 1, incident: incident.id, runbook: 'high-error-rate-rollback', action: 'rollback' });

    expect(await click(r, 'runbook.run', value, 'U0ALICE', incident)).toBe(200);
    const message = await approvalMessage(r, '1');
    expect(message.channel).toBe(incident.channel);
    expect(message.post.params.thread_ts).toBe(incident.ts);
    expect(blockText(message.post)).toContain(`to: deployment #32, sha ${SHA_GOOD.slice(0, 8)} (main), job #502`);
    expect((await storedAction(r, '1')).doc).toMatchObject({
      service: 'payment-service',
      requestedBy: 'U0ALICE',
      reason: 'runbook high-error-rate-rollback',
      incidentId: incident.id,
      threadTs: incident.ts,
      forced: false,
    });
    expect(await incidentTimeline(r, incident.id)).toContainEqual(expect.objectContaining({ kind: 'action', text: expect.stringContaining('requested ACT-1') }));
    expect(await audit(r)).toContainEqual(expect.objectContaining({ actor: 'U0ALICE', action: 'runbook.run', incidentId: incident.id, outcome: 'ok' }));

    expect(await click(r, 'action.approve', buttonValue(message.post, 'action.approve'), 'U0BOB', message)).toBe(200);
    await r.gitlab.waitForCalls('retry', 1);
    expect(r.gitlab.callsTo('retry').map((c) => c.path)).toEqual([retryPath(502)]);
    await found(
      () => r.slack.callsTo('chat.update').find((c) => c.params.ts === incident.ts && String(c.params.text).startsWith(`[MITIGATING] INC-${incident.id} `)),
      { timeoutMs: 10_000, message: 'the incident never showed MITIGATING' },
    );
  });

  describe('when the service has a newer open incident', () => {
    async function twoIncidents() {
      const r = await rig();
      const first = await openIncident(r, 'HighErrorRate');
      const newer = await openIncident(r);
      expect(newer.id).not.toBe(first.id);
      expect(await click(r, 'runbook.run', buttonValue(first.post, 'runbook.run'), 'U0ALICE', first)).toBe(200);
      return { r, first, message: await approvalMessage(r, '1') };
    }

    it('links the request to the incident whose button was clicked', async () => {
      const { r, first } = await twoIncidents();
      expect((await storedAction(r, '1')).doc.incidentId).toBe(first.id);
      expect(await incidentTimeline(r, first.id)).toContainEqual(expect.objectContaining({ kind: 'action', text: expect.stringContaining('requested ACT-1') }));
    });

    it('posts the approval message in the thread of that incident', async () => {
      const { r, first, message } = await twoIncidents();
      expect(message.post.params.thread_ts).toBe(first.ts);
      expect((await storedAction(r, '1')).doc.threadTs).toBe(first.ts);
    });
  });

  it('for a runbook that no longer applies is refused with the reason, and requests nothing', async () => {
    const r = await rig();
    const incident = await openIncident(r, 'HighErrorRate');
    const reply = await clickForReply(r, 'runbook.run', JSON.stringify({ v: 1, incident: incident.id, runbook: 'retired-runbook', action: 'rollback' }), 'U0ALICE', incident);
    expect(reply.response_type).toBe('ephemeral');
    expect(reply.text).toBe('Runbook retired-runbook no longer offers "rollback" for this incident.');
    expect(await actionKeys(r)).toEqual([]);
    expect(r.gitlab.calls).toEqual([]);
  });

  it('is refused like /rollback inside the cooldown, and says so to the clicker', async () => {
    const r = await rig();
    const incident = await openIncident(r, 'HighErrorRate');
    const { id } = await requestRollback(r, 'payment-service');
    const message = await approvalMessage(r, id);
    expect(await click(r, 'action.approve', buttonValue(message.post, 'action.approve'), 'U0BOB', message)).toBe(200);
    await r.gitlab.waitForCalls('retry', 1);

    const reply = await clickForReply(r, 'runbook.run', buttonValue(incident.post, 'runbook.run'), 'U0CAROL', incident);
    expect(reply.response_type).toBe('ephemeral');
    expect(String(reply.text)).toContain(`payment-service was rolled back by ACT-${id} less than 10 minutes ago`);
    expect(await r.bot.redis.get(`${r.bot.prefix}action:seq`)).toBe(id);
  });
});
