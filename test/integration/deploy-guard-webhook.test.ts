/**
 * POST /gitlab through the bot's real HTTP server: the secret token, a body that is not a
 * deployment event, the events the guard ignores, the one it arms on, and the route while
 * GITLAB_WEBHOOK_TOKEN is unset.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestBot, type TestBot } from '../support/bot.js';
import { deploymentEvent, GITLAB_WEBHOOK_TOKEN, postDeployment } from '../support/deploy-guard.js';
import { FakeSlack } from '../support/fake-slack.js';

const SERVICES = `services:
  payment-service:
    channel: C0PAYMENTS
    approvers: [U0ALICE]
    gitlab: { project: shop/payment-service, environment: production }
    health:
      - { name: error-rate, query: 'chatops_test_error_ratio', max: 0.05 }
    deploy_guard: { checks: [error-rate], window: 30m, interval: 10m }
`;

let slack: FakeSlack;
let bot: TestBot;

beforeAll(async () => {
  slack = await FakeSlack.start();
  // Nothing listens on port 9: neither is asked, the guard armed below is never due within the test.
  bot = await startTestBot({
    slack,
    services: SERVICES,
    env: { GITLAB_WEBHOOK_TOKEN, PROMETHEUS_URL: 'http://127.0.0.1:9', GITLAB_URL: 'http://127.0.0.1:9', GITLAB_TOKEN: 'x' },
  });
});
afterAll(async () => {
  await bot?.stop();
  await slack?.close();
});

const guardKeys = async () => (await bot.redis.keys(`${bot.prefix}deploy-guard:*`)).sort();
const json = async (res: Response) => (await res.json()) as Record<string, unknown>;

describe('POST /gitlab', () => {
  it('401 without X-Gitlab-Token, or with a forged one, and arms nothing', async () => {
    const missing = await postDeployment(bot.url, deploymentEvent({ deploymentId: 1 }), null);
    expect(missing.status).toBe(401);
    expect((await json(missing)).error).toMatch(/X-Gitlab-Token/);
    const forged = await postDeployment(bot.url, deploymentEvent({ deploymentId: 1 }), `${GITLAB_WEBHOOK_TOKEN}x`);
    expect(forged.status).toBe(401);
    expect(await guardKeys()).toEqual([]);
    expect(bot.logs.some((l) => l.msg === 'GitLab webhook refused: missing or wrong X-Gitlab-Token')).toBe(true);
    expect(JSON.stringify(bot.logs)).not.toContain(GITLAB_WEBHOOK_TOKEN);
  });

  it('400 naming what is wrong for a body that is not a deployment event', async () => {
    const pipeline = await postDeployment(bot.url, { object_kind: 'pipeline', object_attributes: { id: 1 } });
    expect(pipeline.status).toBe(400);
    const body = await json(pipeline);
    expect(body.error).toMatch(/not a GitLab deployment event/);
    expect(body.problems).toEqual(expect.arrayContaining([expect.stringMatching(/^object_kind: expected object_kind "deployment"/)]));
    const malformed = await postDeployment(bot.url, undefined, GITLAB_WEBHOOK_TOKEN, '{"object_kind": ');
    expect(malformed.status).toBe(400);
    expect((await json(malformed)).error).toMatch(/^malformed JSON/);
    expect(await guardKeys()).toEqual([]);
  });

  it('200 saying why for events it ignores: another status, project or environment', async () => {
    for (const event of [
      deploymentEvent({ deploymentId: 2, status: 'running' }),
      deploymentEvent({ deploymentId: 2, status: 'failed' }),
      deploymentEvent({ deploymentId: 2, project: 'shop/other', projectId: 7 }),
      deploymentEvent({ deploymentId: 2, environment: 'staging' }),
    ]) {
      const res = await postDeployment(bot.url, event);
      expect(res.status).toBe(200);
      const body = await json(res);
      expect(body.armed).toEqual([]);
      expect(body.ignored).toEqual([expect.objectContaining({ reason: expect.stringMatching(/only a successful deployment|no service in services.yaml/) })]);
    }
    expect(await guardKeys()).toEqual([]);
  });

  it('arms the guard of the service a successful deployment matches', async () => {
    const res = await postDeployment(bot.url, deploymentEvent({ deploymentId: 3 }));
    expect(res.status).toBe(200);
    expect(await json(res)).toEqual({ armed: ['payment-service'], ignored: [] });
    expect(await bot.redis.hget(`${bot.prefix}deploy-guard:armed:payment-service`, 'id')).toBe('3');
  });
});

describe('POST /gitlab without GITLAB_WEBHOOK_TOKEN', () => {
  it('404 with the variable to set', async () => {
    const off = await startTestBot({ slack });
    try {
      const res = await postDeployment(off.url, deploymentEvent({ deploymentId: 1 }));
      expect(res.status).toBe(404);
      expect((await json(res)).error).toMatch(/set GITLAB_WEBHOOK_TOKEN/);
    } finally {
      await off.stop();
    }
  });
});
