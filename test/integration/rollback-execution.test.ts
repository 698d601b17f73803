/**
 * What happens once a rollback is approved: exactly one start in GitLab, tracked to its end
 * and reported in Slack; the kill switch, the cooldown, concurrent clicks, two replicas and
 * a restart. Signed requests through Bolt's real HTTP receiver, the real Redis, Slack faked
 * by fake-slack.ts and GitLab faked at its HTTP edge by fake-gitlab.ts.
 *
 * Each test starts its own bot (own key prefix, own fakes), so action ids, cooldowns, the
 * kill switch and open incidents of one test never leak into another.
 *
 * The services, their approvers and GitLab's deployments are set up in support/rollback.ts.
 */
import { Redis } from 'ioredis';
import { describe, expect, it, onTestFinished } from 'vitest';
import { SIGNING_SECRET } from '../support/bot.js';
import { deployment } from '../support/fake-gitlab.js';
import { uniqueGroup } from '../support/fixtures.js';
import { testRedisUrl } from '../support/redis.js';
import {
  anotherBot,
  approvalMessage,
  approvalUpdate,
  PAYMENT_DEPLOYMENTS,
  requestRollback,
  retryPath,
  SHA_BAD,
  SHA_GOOD,
  startRig,
  waitForState,
  type BotOptions,
  type Rig,
} from '../support/rollback.js';
import { blockText, buttonsOf, buttonValue, click, clickForReply, openIncident, slash, threadReply, updateOf, type Message } from '../support/slack-session.js';
import { buttonClickForm, postToSlackEndpoint } from '../support/slack-signing.js';
import { actionTimeline, audit, storedAction } from '../support/stored.js';
import { found, waitFor } from '../support/wait.js';

/** Newest first. The good deployment has no job (jobId null): the pipeline strategy needs none. */
const CHECKOUT_DEPLOYMENTS = [
  deployment({ id: 702, iid: 72, sha: SHA_BAD, jobId: 802, project: 'shop/checkout' }),
  deployment({ id: 701, iid: 71, sha: SHA_GOOD, jobId: null, project: 'shop/checkout' }),
];

/**
 * checkout's pipeline also gets a ROLLBACK_TO_SHA configured, to show the bot's own value wins.
 * Both projects are in GitLab here: checkout's rollback runs too.
 */
const rig = (opts: BotOptions = {}) =>
  startRig({
    ...opts,
    checkoutVariables: { ROLLBACK_TO_SHA: 'ffffffff' },
    projects: { 'shop/payment-service': PAYMENT_DEPLOYMENTS, 'shop/checkout': CHECKOUT_DEPLOYMENTS },
  });

/** A fresh key prefix for bots that share one Redis, as replicas do. */
const sharedPrefix = () => `test:${uniqueGroup()}:`;

const jobPath = (jobId: string | number) => `/api/v4/projects/shop%2Fpayment-service/jobs/${jobId}`;

/** The GitLab job or pipeline an action started, once it is stored. */
async function runOf(r: Rig, id: string): Promise<{ id: string; url: string }> {
  const run = await found(async () => (await storedAction(r, id)).doc.run as { id: string; url: string } | undefined, {
    timeoutMs: 10_000,
    message: `ACT-${id} never got its GitLab run`,
  });
  return run;
}

/** Requests a payment-service rollback as U0ALICE and has U0BOB approve it; resolves once it runs. */
async function approvedAndRunning(r: Rig): Promise<{ id: string; message: Message; jobId: string }> {
  const { id } = await requestRollback(r, 'payment-service');
  const message = await approvalMessage(r, id);
  expect(await click(r, 'action.approve', buttonValue(message.post, 'action.approve'), 'U0BOB', message)).toBe(200);
  const run = await runOf(r, id);
  return { id, message, jobId: run.id };
}

async function incidentState(r: Rig, id: string): Promise<string> {
  return (await r.bot.redis.hget(`${r.bot.prefix}incident:${id}`, 'state')) ?? '';
}

describe('an approved rollback', () => {
  it('retries the previous deployment’s job exactly once, marks the incident MITIGATING while it runs and reports the end in the incident thread', async () => {
    const r = await rig();
    const incident = await openIncident(r);
    const { id } = await requestRollback(r, 'payment-service error rate doubled');
    const message = await approvalMessage(r, id);
    expect(message.post.params.thread_ts).toBe(incident.ts);

    expect(await click(r, 'action.approve', buttonValue(message.post, 'action.approve'), 'U0BOB', message)).toBe(200);
    const [retry] = await r.gitlab.waitForCalls('retry', 1);
    expect(retry).toMatchObject({ method: 'POST', path: retryPath(502), project: 'shop/payment-service' });
    expect(retry?.headers['private-token']).toBe('x');
    const run = await runOf(r, id);
    expect(run.url).toBe(`${r.gitlab.url}/shop/payment-service/-/jobs/${run.id}`);
    expect((await storedAction(r, id)).state).toBe('running');

    // While the job runs, the incident is MITIGATING, and its message says so.
    const mitigating = await updateOf(r, incident, `[MITIGATING] INC-${incident.id} `);
    expect(mitigating.params.channel).toBe(incident.channel);
    expect(await incidentState(r, incident.id)).toBe('mitigating');
    // The job is polled, and the approval message shows it running with a link to GitLab (an
    // update sent before the run was attached shows it running without the link yet).
    await waitFor(() => r.gitlab.calls.some((c) => c.route === 'job' && c.path === jobPath(run.id)), { message: 'the job was never polled' });
    const runningUpdates = () => r.slack.callsTo('chat.update').filter((c) => String(c.params.text).startsWith(`[RUNNING] ACT-${id} `));
    await found(() => runningUpdates().find((c) => blockText(c).includes(`<${run.url}|Watch it in GitLab>`)), {
      timeoutMs: 10_000,
      message: `no update of ACT-${id} running with its GitLab link`,
    });
    for (const running of runningUpdates()) expect(buttonsOf(running).size).toBe(0);

    r.gitlab.setJobStatus(run.id, 'success');
    await waitForState(r, id, 'succeeded');
    expect((await storedAction(r, id)).doc.result).toBe(`job #${run.id} success after 42.5 seconds`);
    await threadReply(r, incident, `ACT-${id} succeeded after`);
    const done = await approvalUpdate(r, id, 'SUCCEEDED');
    expect(buttonsOf(done).size).toBe(0);
    await waitFor(async () => (await incidentState(r, incident.id)) !== 'mitigating', { message: 'the incident stayed MITIGATING after the run' });
    expect(r.gitlab.callsTo('retry')).toHaveLength(1);
    expect(await r.bot.redis.smembers(`${r.bot.prefix}actions:running`)).toEqual([]);
  });

  it('without an incident, reports each step in the approval message’s own thread; a failed job fails the action', async () => {
    const r = await rig();
    const { id, message, jobId } = await approvedAndRunning(r);
    expect(message.post.params.thread_ts).toBeUndefined();
    await threadReply(r, message, `<@U0BOB> approved ACT-${id} (1 of 1)`);

    r.gitlab.setJobStatus(jobId, 'failed');
    await waitForState(r, id, 'failed');
    const reply = await threadReply(r, message, `ACT-${id} failed after`);
    expect(String(reply.params.text)).toContain(`job #${jobId} failed (script_failure)`);
    expect(blockText(await approvalUpdate(r, id, 'FAILED'))).toContain(`job #${jobId} failed (script_failure)`);
    expect(r.gitlab.callsTo('retry')).toHaveLength(1);
  });

  it('the pipeline strategy posts the ref, the configured variables, ROLLBACK_TO_SHA (ours, not the configured one) and the action id', async () => {
    const r = await rig();
    const { id } = await requestRollback(r, 'checkout');
    const message = await approvalMessage(r, id);
    expect(message.channel).toBe('C0CHECKOUT');
    const text = blockText(message.post);
    expect(text).toContain('strategy: pipeline');
    expect(text).toContain(`to: pipeline on main with ROLLBACK_TO_SHA=${SHA_GOOD}`);
    expect(text).toContain(`target: deployment #71, sha ${SHA_GOOD.slice(0, 8)} (main)`);
    expect(text).toContain('variables: DEPLOY_ENV, ROLLBACK_TO_SHA');

    expect(await click(r, 'action.approve', buttonValue(message.post, 'action.approve'), 'U0BOB', message)).toBe(200);
    const [create] = await r.gitlab.waitForCalls('createPipeline', 1);
    expect(create?.path).toBe('/api/v4/projects/shop%2Fcheckout/pipeline');
    expect(create?.body).toEqual({
      ref: 'main',
      variables: [
        { key: 'DEPLOY_ENV', value: 'production', variable_type: 'env_var' },
        { key: 'ROLLBACK_TO_SHA', value: SHA_GOOD, variable_type: 'env_var' },
        { key: 'CHATOPS_ACTION_ID', value: id, variable_type: 'env_var' },
      ],
    });
    const run = await runOf(r, id);
    await waitFor(() => r.gitlab.calls.some((c) => c.route === 'pipeline' && c.path === `/api/v4/projects/shop%2Fcheckout/pipelines/${run.id}`), {
      message: 'the pipeline was never polled',
    });
    r.gitlab.setPipelineStatus(run.id, 'success');
    await waitForState(r, id, 'succeeded');
    expect((await storedAction(r, id)).doc.result).toBe(`pipeline #${run.id} success after 5 minutes 12 seconds`);
    expect(r.gitlab.callsTo('createPipeline')).toHaveLength(1);
    expect(r.gitlab.callsTo('retry')).toEqual([]);
  });

  it('is not run when GitLab’s deployments changed since it was approved', async () => {
    const r = await rig();
    const { id } = await requestRollback(r, 'payment-service');
    const message = await approvalMessage(r, id);
    const SHA_NEW = 'dddddddddddddddddddddddddddddddddddddddd';
    r.gitlab.setDeployments('shop/payment-service', [deployment({ id: 305, iid: 35, sha: SHA_NEW, jobId: 505 }), ...PAYMENT_DEPLOYMENTS]);

    expect(await click(r, 'action.approve', buttonValue(message.post, 'action.approve'), 'U0BOB', message)).toBe(200);
    await waitForState(r, id, 'failed');
    expect(String((await storedAction(r, id)).doc.result)).toMatch(
      /^not run: the plan changed since it was approved \(now .*from: deployment #35.*\)\. Request it again\.$/,
    );
    await threadReply(r, message, 'not run: the plan changed');
    expect(r.gitlab.callsTo('retry')).toEqual([]);
  });
});

describe('the kill switch', () => {
  it('/automation pause stops approved actions from running and says why; after /automation resume, approving again runs it', async () => {
    const r = await rig();
    expect((await slash(r, '/automation', 'status', 'U0EVE')).text).toBe(':large_green_circle: Automation is running.');

    const refused = await slash(r, '/automation', 'pause no reason', 'U0EVE');
    expect(refused.response_type).toBe('ephemeral');
    expect(refused.text).toBe('Only automation admins (AUTOMATION_ADMINS, or any service approver when unset) may pause or resume automation.');
    expect((await slash(r, '/automation', 'status', 'U0EVE')).text).toBe(':large_green_circle: Automation is running.');

    const paused = await slash(r, '/automation', 'pause deploy freeze for the migration', 'U0BOB');
    expect(paused.response_type).toBe('in_channel');
    expect(paused.text).toBe(':octagonal_sign: <@U0BOB> paused all automation: deploy freeze for the migration. Nothing new runs until `/automation resume`.');
    expect(String((await slash(r, '/automation', '', 'U0EVE')).text)).toMatch(
      /^:octagonal_sign: Automation is \*paused\* by <@U0BOB> since \d{4}-\d\d-\d\dT[\d:.]+Z: deploy freeze for the migration$/,
    );

    // Requests can still be made; an approval does not run it, and the thread says why.
    const { id } = await requestRollback(r, 'payment-service');
    const message = await approvalMessage(r, id);
    const listsBefore = r.gitlab.callsTo('deployments').length;
    expect(await click(r, 'action.approve', buttonValue(message.post, 'action.approve'), 'U0CAROL', message)).toBe(200);
    const why = await threadReply(r, message, 'approved but not run');
    expect(String(why.params.text)).toContain(
      `ACT-${id} approved but not run: automation is paused by <@U0BOB> (deploy freeze for the migration). Approve again after /automation resume.`,
    );
    expect((await storedAction(r, id)).state).toBe('approved');
    expect(r.gitlab.callsTo('retry')).toEqual([]);
    expect(r.gitlab.callsTo('deployments')).toHaveLength(listsBefore);
    const approved = await approvalUpdate(r, id, 'HELD');
    expect([...buttonsOf(approved).keys()]).toEqual(['action.approve', 'action.cancel']);

    expect((await slash(r, '/automation', 'resume', 'U0EVE')).text).toContain('Only automation admins');
    const resumed = await slash(r, '/automation', 'resume', 'U0BOB');
    expect(resumed).toMatchObject({ response_type: 'in_channel', text: ':large_green_circle: <@U0BOB> resumed automation.' });

    expect(await click(r, 'action.approve', buttonValue(approved, 'action.approve'), 'U0CAROL', message)).toBe(200);
    await r.gitlab.waitForCalls('retry', 1);
    await waitForState(r, id, 'running');
    expect(r.gitlab.callsTo('retry').map((c) => c.path)).toEqual([retryPath(502)]);
  });

  it('approving while automation is paused answers the clicker at once, and the message says it is held, by whom and why', async () => {
    const r = await rig();
    await slash(r, '/automation', 'pause deploy freeze for the migration', 'U0BOB');
    const { id } = await requestRollback(r, 'payment-service');
    const message = await approvalMessage(r, id);

    const reply = await clickForReply(r, 'action.approve', buttonValue(message.post, 'action.approve'), 'U0CAROL', message);
    const held = `ACT-${id} is approved but held: automation was paused by <@U0BOB> (deploy freeze for the migration). Click *Run now* after \`/automation resume\` to run it.`;
    expect(reply).toMatchObject({ response_type: 'ephemeral', replace_original: false, text: held });

    const update = await approvalUpdate(r, id, 'HELD');
    expect(blockText(update)).toContain(held);
    expect([...buttonsOf(update).keys()]).toEqual(['action.approve', 'action.cancel']);
    // The message never claimed the approved action would run.
    expect(r.slack.callsTo('chat.update').filter((c) => String(c.params.text).startsWith(`[APPROVED] ACT-${id} `))).toEqual([]);
    expect((await storedAction(r, id)).doc).toMatchObject({ state: 'approved', held: { by: 'U0BOB', reason: 'deploy freeze for the migration' } });
    expect(r.gitlab.callsTo('retry')).toEqual([]);
  });
});

describe('the cooldown', () => {
  it('refuses a second rollback of the service within ROLLBACK_COOLDOWN unless --force, and the forced request carries a warning', async () => {
    const r = await rig({ env: { ROLLBACK_COOLDOWN: '10m' } });
    const first = await approvedAndRunning(r);

    const refused = await slash(r, '/rollback', 'payment-service still failing', 'U0CAROL');
    expect(refused.response_type).toBe('ephemeral');
    expect(refused.text).toBe(`payment-service was rolled back by ACT-${first.id} less than 10 minutes ago. Add --force to request another rollback anyway.`);
    expect(await r.bot.redis.get(`${r.bot.prefix}action:seq`)).toBe(first.id);

    const { id } = await requestRollback(r, 'payment-service --force still failing', 'U0CAROL');
    expect(id).not.toBe(first.id);
    const message = await approvalMessage(r, id);
    expect(blockText(message.post)).toContain(`:warning: Inside the cooldown: ACT-${first.id} rolled payment-service back recently (--force).`);
    expect((await storedAction(r, id)).doc).toMatchObject({ forced: true, reason: 'still failing', requestedBy: 'U0CAROL' });

    // Once the first has ended, the forced one may run (the cooldown only asks for --force).
    r.gitlab.setJobStatus(first.jobId, 'success');
    await waitForState(r, first.id, 'succeeded');
    expect(await click(r, 'action.approve', buttonValue(message.post, 'action.approve'), 'U0BOB', message)).toBe(200);
    await r.gitlab.waitForCalls('retry', 2);
    await waitForState(r, id, 'running');
  });

  it('is checked again when an approved request runs: of two requests made before either ran, the second does not run inside it', async () => {
    const r = await rig({ env: { ROLLBACK_COOLDOWN: '10m' } });
    const first = await requestRollback(r, 'payment-service');
    const second = await requestRollback(r, 'payment-service still bad', 'U0CAROL');
    const firstMessage = await approvalMessage(r, first.id);
    const secondMessage = await approvalMessage(r, second.id);
    expect(await click(r, 'action.approve', buttonValue(firstMessage.post, 'action.approve'), 'U0BOB', firstMessage)).toBe(200);
    await runOf(r, first.id);

    // The second was requested without --force before the first ran; approving it now must not start a second job.
    expect(await click(r, 'action.approve', buttonValue(secondMessage.post, 'action.approve'), 'U0BOB', secondMessage)).toBe(200);
    await waitFor(async () => (await actionTimeline(r, second.id)).some((e) => e.actor === 'bot'), {
      message: `the bot never acted on the approval of ACT-${second.id}`,
    });
    expect(r.gitlab.callsTo('retry')).toHaveLength(1);
    expect(['running', 'succeeded']).not.toContain((await storedAction(r, second.id)).state);
  });

  it('does not start for a rollback that never ran', async () => {
    const r = await rig({ env: { ROLLBACK_COOLDOWN: '10m' } });
    const { id } = await requestRollback(r, 'payment-service');
    const message = await approvalMessage(r, id);
    expect(await click(r, 'action.deny', buttonValue(message.post, 'action.deny'), 'U0BOB', message)).toBe(200);
    await waitForState(r, id, 'denied');
    const again = await requestRollback(r, 'payment-service');
    expect(again.id).not.toBe(id);
  });
});

describe('exactly once', () => {
  it.each([1, 2])('20 concurrent signed Approve clicks, spread over %i bot process(es) on one Redis, start exactly one GitLab job', async (replicas) => {
    const prefix = sharedPrefix();
    const r = await rig({ prefix });
    while (r.bots.length < replicas) await anotherBot(r, { prefix });
    const { id } = await requestRollback(r, 'payment-service');
    const message = await approvalMessage(r, id);
    const value = buttonValue(message.post, 'action.approve');
    const clickers = ['U0BOB', 'U0CAROL', 'U0DAVE'];

    const answers = await Promise.all(
      Array.from({ length: 20 }, async (_, i) => {
        const form = buttonClickForm('action.approve', value, r.slack.responseUrl(`many-${i}`), clickers[i % clickers.length] ?? 'U0BOB');
        const res = await postToSlackEndpoint((r.bots[i % r.bots.length] ?? r.bot).url, form, SIGNING_SECRET);
        await res.body?.cancel();
        return res.status;
      }),
    );
    expect(answers).toEqual(Array.from({ length: 20 }, () => 200));

    // Every click was handled (each is audited once its decision is stored, then answered) and one of them started the job ...
    await waitFor(async () => (await audit(r)).filter((e) => e.action === 'action.approve').length === 20, { message: 'not every click was audited' });
    const answered = () => new Set(r.slack.callsTo('response_url').map((c) => c.responseId));
    await waitFor(() => Array.from({ length: 20 }, (_, i) => `many-${i}`).every((id) => answered().has(id)), { message: 'not every click was answered' });
    await r.gitlab.waitForCalls('retry', 1);
    await waitForState(r, id, 'running');
    // ... and a later click's answer comes after everything the first 20 set off.
    expect((await clickForReply(r, 'action.approve', value, 'U0BOB', message)).text).toBe(`ACT-${id} is running; it cannot be approved.`);
    expect(r.gitlab.callsTo('retry').map((c) => c.path)).toEqual([retryPath(502)]);
    expect((await storedAction(r, id)).doc.approvedBy).toHaveLength(1);
    // The refusals noted meanwhile did not cost the bot its job: it is tracked to the end.
    const run = await runOf(r, id);
    r.gitlab.setJobStatus(run.id, 'success');
    await waitForState(r, id, 'succeeded');
  });

  it('a retry GitLab carried out but answered 500 is not sent again: the job it made is tracked, and the rollback succeeds', async () => {
    const r = await rig();
    r.gitlab.script('retry', { status: 500, body: { message: '500 Internal Server Error' }, afterEffect: true });
    const { id, jobId } = await approvedAndRunning(r);

    expect(r.gitlab.retriedJobs()).toEqual([{ id: Number(jobId), retriedFrom: 502, pipelineId: expect.any(Number) as number }]);
    r.gitlab.setJobStatus(jobId, 'success');
    await waitForState(r, id, 'succeeded');
    expect((await storedAction(r, id)).doc.result).toBe(`job #${jobId} success after 42.5 seconds`);
    await approvalUpdate(r, id, 'SUCCEEDED');
    expect(r.gitlab.callsTo('retry').map((c) => [c.path, c.status])).toEqual([[retryPath(502), 500]]);
  });

  it('two bot processes on one Redis, each receiving one click of a double click, start exactly one GitLab job', async () => {
    const prefix = sharedPrefix();
    const r = await rig({ prefix });
    const b = await anotherBot(r, { prefix });
    const { id } = await requestRollback(r, 'payment-service');
    const message = await approvalMessage(r, id);
    // Two clicks of one person (a double click), not one request replayed: each bot refuses a replay.
    const form = () => buttonClickForm('action.approve', buttonValue(message.post, 'action.approve'), r.slack.responseUrl('both'), 'U0BOB');

    const answers = await Promise.all([r.bot.url, b.url].map((url) => postToSlackEndpoint(url, form(), SIGNING_SECRET)));
    for (const res of answers) await res.body?.cancel();
    expect(answers.map((res) => res.status)).toEqual([200, 200]);

    await waitFor(async () => (await audit(r)).filter((e) => e.action === 'action.approve').length === 2, { message: 'both bots did not handle the click' });
    const run = await runOf(r, id);
    r.gitlab.setJobStatus(run.id, 'success');
    await waitForState(r, id, 'succeeded');
    expect((await clickForReply(r, 'action.approve', buttonValue(message.post, 'action.approve'), 'U0CAROL', message)).text).toBe(
      `ACT-${id} is succeeded; it cannot be approved.`,
    );
    expect(r.gitlab.callsTo('retry')).toHaveLength(1);
    expect(r.slack.callsTo('chat.postMessage').filter((c) => String(c.params.text).startsWith(`[REQUESTED] ACT-${id} `))).toHaveLength(1);
  });

  it('a replica that starts while another is starting the job does not mark that job failed', async () => {
    const prefix = sharedPrefix();
    const r = await rig({ prefix });
    const { id } = await requestRollback(r, 'payment-service');
    const message = await approvalMessage(r, id);
    const held = r.gitlab.hold('retry');
    expect(await click(r, 'action.approve', buttonValue(message.post, 'action.approve'), 'U0BOB', message)).toBe(200);
    await held.arrived;
    await waitForState(r, id, 'running');

    // A second replica starts (a rolling deploy) while the first waits for GitLab to answer the retry.
    await anotherBot(r, { prefix });
    held.release();

    const run = await runOf(r, id);
    r.gitlab.setJobStatus(run.id, 'success');
    await waitForState(r, id, 'succeeded');
    expect(r.gitlab.callsTo('retry')).toHaveLength(1);
  });

  it('a bot restarted while the job runs picks the job up and reports its end; the job is started once', async () => {
    const prefix = sharedPrefix();
    const r = await rig({ prefix });
    const a = r.bot;
    const { id, message, jobId } = await approvedAndRunning(r);
    r.gitlab.setJobStatus(jobId, 'running');
    await waitFor(() => r.gitlab.calls.some((c) => c.route === 'job' && c.path === jobPath(jobId)), { message: 'bot A never polled the job' });

    await a.stop();
    r.bots.splice(r.bots.indexOf(a), 1);
    const redis = new Redis(testRedisUrl());
    onTestFinished(() => void redis.disconnect());
    expect(await redis.hget(`${prefix}action:${id}`, 'state')).toBe('running');

    const polledBefore = r.gitlab.callsTo('job').length;
    const slackBefore = r.slack.calls.length;
    r.bot = await anotherBot(r, { prefix });
    await waitFor(() => r.gitlab.callsTo('job').length > polledBefore, { message: 'bot B never polled the running job' });
    expect(r.bot.logs).toContainEqual(expect.objectContaining({ msg: 'resuming tracking of a running action', actionId: id }));

    r.gitlab.setJobStatus(jobId, 'success');
    await waitForState(r, id, 'succeeded');
    const callsSince = () => r.slack.calls.slice(slackBefore);
    await found(
      () => callsSince().find((c) => c.method === 'chat.update' && c.params.ts === message.ts && String(c.params.text).startsWith(`[SUCCEEDED] ACT-${id} `)),
      {
        timeoutMs: 10_000,
        message: 'bot B did not update the approval message',
      },
    );
    await found(
      () =>
        callsSince().find(
          (c) => c.method === 'chat.postMessage' && c.params.thread_ts === message.ts && String(c.params.text).includes(`ACT-${id} succeeded after`),
        ),
      {
        timeoutMs: 10_000,
        message: 'bot B did not reply the result in the thread',
      },
    );
    expect(r.gitlab.callsTo('retry')).toHaveLength(1);
  });
});

describe('clicks while GitLab is answering', () => {
  it('a refused click while the retry call is in flight does not lose the started job', async () => {
    const r = await rig();
    const { id } = await requestRollback(r, 'payment-service');
    const message = await approvalMessage(r, id);
    const held = r.gitlab.hold('retry');
    expect(await click(r, 'action.approve', buttonValue(message.post, 'action.approve'), 'U0BOB', message)).toBe(200);
    await held.arrived;
    await waitForState(r, id, 'running');

    // Someone clicks Approve (or Cancel) on the message while the bot waits for GitLab: refused, and noted.
    const reply = await clickForReply(r, 'action.approve', buttonValue(message.post, 'action.approve'), 'U0CAROL', message);
    expect(reply.text).toBe(`ACT-${id} is running; it cannot be approved.`);
    held.release();

    // GitLab did start a job: the bot must track it to its end.
    const run = await runOf(r, id);
    r.gitlab.setJobStatus(run.id, 'success');
    await waitForState(r, id, 'succeeded');
    expect(r.gitlab.callsTo('retry')).toHaveLength(1);
  });

  it('a refused click while the job status is being read does not lose the job’s end', async () => {
    const r = await rig();
    const { id, jobId } = await approvedAndRunning(r);
    const held = r.gitlab.hold('job');
    await held.arrived;

    const reply = await clickForReply(r, 'action.cancel', JSON.stringify({ v: 1, action: id }), 'U0CAROL');
    expect(reply.text).toBe(`ACT-${id} is running; it cannot be cancelled.`);
    r.gitlab.setJobStatus(jobId, 'success');
    held.release();

    await waitForState(r, id, 'succeeded');
    expect(await r.bot.redis.smembers(`${r.bot.prefix}actions:running`)).toEqual([]);
  });
});
