import { afterAll, beforeAll, expect, it } from 'vitest';
import { startTestBot, SIGNING_SECRET, type TestBot } from '../support/bot.js';
import { FakeGitlab, deployment } from '../support/fake-gitlab.js';
import { FakeSlack } from '../support/fake-slack.js';
import { postToSlackEndpoint, slashCommandForm } from '../support/slack-signing.js';
import { waitFor } from '../support/wait.js';

const SERVICES = `services:
  payment-service:
    channel: C0PAYMENTS
    approvers: [U0ALICE, U0BOB]
    approvals: 1
    gitlab:
      project: shop/payment-service
      environment: production
      rollback: retry-job
`;

let slack: FakeSlack;
let gitlab: FakeGitlab;
let bot: TestBot;

beforeAll(async () => {
  slack = await FakeSlack.start();
  gitlab = await FakeGitlab.start();
  gitlab.addProject('shop/payment-service', [
    deployment({ id: 12, iid: 12, sha: 'b'.repeat(40), jobId: 602 }),
    deployment({ id: 11, iid: 11, sha: 'a'.repeat(40), jobId: 601 }),
  ]);
  bot = await startTestBot({
    slack,
    services: SERVICES,
    env: { GITLAB_URL: gitlab.url, GITLAB_TOKEN: 'x', ACTION_EXPIRY: '300ms', SWEEP_INTERVAL: '1s' },
  });
});
afterAll(async () => {
  await bot?.stop();
  await gitlab?.close();
  await slack?.close();
});

it('marks an unapproved request expired on schedule, without anyone clicking', async () => {
  const response = await postToSlackEndpoint(bot.url, slashCommandForm('/rollback', 'payment-service bad deploy', slack.responseUrl('expiry')), SIGNING_SECRET);
  expect(response.status).toBe(200);
  const [approval] = await slack.waitForCalls('chat.postMessage', 1);
  expect(String(approval?.params.text)).toMatch(/^\[REQUESTED\] ACT-1/);

  const expired = await waitFor(() => slack.callsTo('chat.update').find((c) => String(c.params.text).startsWith('[EXPIRED] ACT-1')), {
    timeoutMs: 15_000,
    message: 'the sweep (every second here) to expire the request',
  });
  expect(expired?.params.ts).toBe(approval?.result?.ts);
  expect(JSON.stringify(expired?.params.blocks)).not.toContain('action.approve');
  expect(await bot.redis.hget(`${bot.prefix}action:1`, 'state')).toBe('expired');
  expect(gitlab.callsTo('retry')).toHaveLength(0);
}, 25_000);
