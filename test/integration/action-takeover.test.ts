/**
 * Takeover of a running rollback: two replicas on one Redis, the one tracking the job is
 * SIGKILLed (a process of its own, replica-process.ts, so it releases nothing), and the
 * survivor finishes the action once the dead one's tracking lease lapsed. Signed requests
 * through Bolt's real HTTP receiver, the real Redis, fake-slack.ts and fake-gitlab.ts.
 *
 * The bound: the dead replica's lease outlives its last poll by one poll (50 ms) plus 2 s,
 * the survivor's sweep runs every SWEEP_INTERVAL (1 s here), then it polls (50 ms) and
 * delivers to Slack: about 3.2 s; the test allows 10 s from the job's end to each result.
 */
import { describe, expect, it } from 'vitest';
import { SIGNING_SECRET } from '../support/bot.js';
import { uniqueGroup } from '../support/fixtures.js';
import { approvalMessage, killableReplica, requestRollback, retryPath, startRig } from '../support/rollback.js';
import { buttonValue } from '../support/slack-session.js';
import { buttonClickForm, postToSlackEndpoint } from '../support/slack-signing.js';
import { storedAction } from '../support/stored.js';
import { found, waitFor } from '../support/wait.js';

const TAKEOVER_BOUND_MS = 10_000;

describe('takeover of a running rollback', () => {
  it('the replica tracking the job is killed; the survivor finishes the action in Redis, its approval message and its thread', async () => {
    const prefix = `test:${uniqueGroup()}:`;
    const env = { SWEEP_INTERVAL: '1s' };
    // B, in this process, is the survivor; A, in its own process, runs the rollback and dies.
    const r = await startRig({ prefix, env });
    const a = await killableReplica(r, { prefix, env });

    const { id } = await requestRollback(r, 'payment-service');
    const message = await approvalMessage(r, id);
    const form = buttonClickForm('action.approve', buttonValue(message.post, 'action.approve'), r.slack.responseUrl('approve-on-a'), 'U0BOB');
    const answer = await postToSlackEndpoint(a.url, form, SIGNING_SECRET);
    await answer.body?.cancel();
    expect(answer.status).toBe(200);

    const run = await found(async () => (await storedAction(r, id)).doc.run as { id: string } | undefined, {
      timeoutMs: 10_000,
      message: `ACT-${id} never got its GitLab run`,
    });
    r.gitlab.setJobStatus(run.id, 'running');
    const jobPolls = () => r.gitlab.callsTo('job').filter((c) => c.path.endsWith(`/jobs/${run.id}`)).length;
    await waitFor(() => jobPolls() >= 3, { timeoutMs: 10_000, message: 'replica A never polled the job' });
    expect(r.bot.logs.filter((line) => line.actionId === id && line.msg === 'resuming tracking of a running action')).toEqual([]);

    await a.kill();
    const slackBefore = r.slack.calls.length;
    r.gitlab.setJobStatus(run.id, 'success');

    await waitFor(async () => (await storedAction(r, id)).state === 'succeeded', {
      timeoutMs: TAKEOVER_BOUND_MS,
      message: `the survivor did not finish ACT-${id} after the tracking replica was killed`,
    });
    expect((await storedAction(r, id)).doc.result).toBe(`job #${run.id} success after 42.5 seconds`);
    expect(r.bot.logs).toContainEqual(expect.objectContaining({ msg: 'resuming tracking of a running action', actionId: id }));
    const callsSince = () => r.slack.calls.slice(slackBefore);
    await found(
      () => callsSince().find((c) => c.method === 'chat.update' && c.params.ts === message.ts && String(c.params.text).startsWith(`[SUCCEEDED] ACT-${id} `)),
      {
        timeoutMs: TAKEOVER_BOUND_MS,
        message: 'the survivor did not update the approval message',
      },
    );
    await found(
      () =>
        callsSince().find(
          (c) => c.method === 'chat.postMessage' && c.params.thread_ts === message.ts && String(c.params.text).includes(`ACT-${id} succeeded after`),
        ),
      { timeoutMs: TAKEOVER_BOUND_MS, message: 'the survivor did not reply the result in the thread' },
    );
    expect(r.gitlab.calls.filter((c) => c.path === retryPath(502))).toHaveLength(1);
    expect(await r.bot.redis.smembers(`${prefix}actions:running`)).toEqual([]);
    // Starting a bot in a process of its own (tsx compiles it first) takes most of this.
  }, 90_000);
});
