import { afterAll, beforeAll, expect, it } from 'vitest';
import { FakeSlack } from '../support/fake-slack.js';
import { startTestBot, type TestBot } from '../support/bot.js';
import { fixture } from '../support/fixtures.js';

let slack: FakeSlack;
let bot: TestBot;
beforeAll(async () => {
  slack = await FakeSlack.start();
  bot = await startTestBot({ slack });
});
afterAll(async () => {
  await bot?.stop();
  await slack?.close();
});

it('smoke', async () => {
  const res = await bot.postWebhook(fixture('alertmanager-0.25-firing'));
  console.log(res.status, await res.text());
  const posts = await slack.waitForCalls('chat.postMessage', 1);
  console.log(JSON.stringify(posts[0], null, 1).slice(0, 3000));
  const res2 = await bot.postWebhook(fixture('alertmanager-0.25-resolved'));
  console.log(res2.status, await res2.text());
  const updates = await slack.waitForCalls('chat.update', 1);
  await slack.waitForCalls('chat.postMessage', 2);
  console.log(slack.calls.map((c) => c.method));
  expect(updates).toHaveLength(1);
});
