import { afterAll, beforeAll, expect, it } from 'vitest';
import { SIGNING_SECRET, startTestBot, type TestBot } from '../support/bot.js';
import { FakeSlack } from '../support/fake-slack.js';
import { notification, uniqueGroup } from '../support/fixtures.js';
import { postToSlackEndpoint, slashCommandForm } from '../support/slack-signing.js';
import { waitFor } from '../support/wait.js';

const SERVICES = `services:
  payment-service:
    channel: C0PAYMENTS
    oncall: S0ONCALL
  checkout:
    channel: C0CHECKOUT
`;

let slack: FakeSlack;
let bot: TestBot;

beforeAll(async () => {
  slack = await FakeSlack.start();
  bot = await startTestBot({ slack, services: SERVICES, env: { REMINDER_AFTER: '1s', SWEEP_INTERVAL: '1s' } });
});
afterAll(async () => {
  await bot?.stop();
  await slack?.close();
});

const reminders = () => slack.callsTo('chat.postMessage').filter((c) => c.params.thread_ts && String(c.params.text).includes('still unacknowledged'));
/** Sweeps that have run so far (each tick leaves its claim in Redis). */
const sweeps = async () => (await bot.redis.keys(`${bot.prefix}lease:tick:remind-unacknowledged:*`)).length;

async function open(service: string): Promise<string> {
  const response = await bot.postWebhook(notification({ group: uniqueGroup(), service, alerts: [{ fingerprint: `${service}-1` }] }));
  return ((await response.json()) as { incident: string }).incident;
}

const reminderOf = (id: string) => reminders().filter((c) => String(c.params.text).includes(`INC-${id} is still unacknowledged`));

it('reminds once, in the thread, mentioning the on-call group, when nobody acknowledges in time', async () => {
  const owned = await open('payment-service');
  const unowned = await open('checkout');
  const acknowledged = await open('payment-service');
  const ack = await postToSlackEndpoint(bot.url, slashCommandForm('/incident', `ack ${acknowledged}`, slack.responseUrl('ack')), SIGNING_SECRET);
  expect(ack.status).toBe(200);
  await waitFor(async () => (await bot.redis.hget(`${bot.prefix}incident:${acknowledged}`, 'state')) === 'acknowledged', { message: 'acknowledged' });

  const reminder = await waitFor(() => reminderOf(owned)[0], { timeoutMs: 12_000, message: 'a reminder within two sweeps' });
  expect(String(reminder?.params.text)).toContain('<!subteam^S0ONCALL>');
  expect(reminder?.params.channel).toBe('C0PAYMENTS');

  const seen = await sweeps();
  await waitFor(async () => (await sweeps()) >= seen + 2, { timeoutMs: 15_000, message: 'two more sweeps' });
  expect(reminderOf(owned)).toHaveLength(1);
  expect(String(reminderOf(unowned)[0]?.params.text)).toContain('No on-call group is configured');
  expect(reminderOf(acknowledged)).toHaveLength(0);
}, 40_000);
