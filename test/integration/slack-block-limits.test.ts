/**
 * A label cannot hide an incident: the fake Slack refuses any message over a Block Kit limit
 * as Slack does (`invalid_blocks`), the bot's messages stay within them however long a label
 * is, and a message Slack refuses anyway is sent in brief rather than dropped.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { FakeSlack, type SlackCall } from '../support/fake-slack.js';
import { startTestBot, type TestBot } from '../support/bot.js';
import { notification, uniqueGroup } from '../support/fixtures.js';
import { found, waitFor } from '../support/wait.js';

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
afterEach(() => slack.reset());

const LONG = 10_000;

/** Top-level posts (not thread replies) that name the incident. */
const postsOf = (incident: string) =>
  slack.callsTo('chat.postMessage').filter((c) => !c.params.thread_ts && String(c.params.text).includes(`INC-${incident} `));

async function open(payload: ReturnType<typeof notification>): Promise<string> {
  const response = await bot.postWebhook(payload);
  expect(response.status).toBe(200);
  return ((await response.json()) as { incident: string }).incident;
}

describe('Block Kit limits', () => {
  it('shows an incident whose labels and annotations run to 10,000 characters, each cut visibly', async () => {
    const group = uniqueGroup();
    const payload = notification({ group, alerts: [{ fingerprint: `${group}-0`, severity: 's'.repeat(LONG), summary: 'm'.repeat(LONG) }] });
    payload.groupLabels = { ...payload.groupLabels, team: 't'.repeat(LONG) };
    payload.commonLabels = { ...payload.commonLabels, severity: 's'.repeat(LONG) };
    const incident = await open(payload);

    const post = await found(() => postsOf(incident).find((c) => c.result?.ok === true), { message: 'the incident posted and taken by Slack' });
    expect(postsOf(incident).filter((c) => c.refusal)).toEqual([]);
    const blocks = JSON.stringify(post.params.blocks);
    expect(blocks).toContain(`*Severity*\\n${'s'.repeat(1_000)}`);
    expect(blocks).toContain('…');
    expect(blocks).not.toContain('shown in brief');
  });

  it('sends the message in brief when Slack refuses it anyway, and updates it in brief too', async () => {
    const group = uniqueGroup();
    const refuseWhole = (params: Record<string, unknown>) => !String(params.text).includes('shown in brief');
    slack.script('chat.postMessage', { status: 200, body: { ok: false, error: 'invalid_blocks' }, when: (p) => !p.thread_ts && refuseWhole(p) }, 1);
    const incident = await open(notification({ group, alerts: [{ fingerprint: `${group}-0` }] }));

    const brief = await found(() => postsOf(incident).find((c) => c.result?.ok === true), { message: 'the brief message posted' });
    expect(postsOf(incident)).toHaveLength(2);
    expect(String(brief.params.text)).toBe(`[FIRING] INC-${incident} on payment-service (shown in brief: /incident show INC-${incident})`);
    expect(JSON.stringify(brief.params.blocks)).toContain(`\`/incident show INC-${incident}\``);
    await waitFor(
      () =>
        bot.logs.some((l) => l.msg === 'Slack refused the incident message; sent it in brief' && l.incidentId === incident && l.reason === 'invalid_blocks'),
      {
        message: 'the refusal logged, with its reason',
      },
    );

    slack.script('chat.update', { status: 200, body: { ok: false, error: 'msg_too_long' }, when: refuseWhole }, 1);
    await open(notification({ group, alerts: [{ fingerprint: `${group}-0`, status: 'resolved' }] }));
    const update = await waitFor(
      () => slack.callsTo('chat.update').find((c: SlackCall) => c.result?.ok === true && String(c.params.text).startsWith(`[RESOLVED] INC-${incident} `)),
      { message: 'the resolved state, in brief' },
    );
    expect(update?.params).toMatchObject({ channel: brief.params.channel, ts: brief.result?.ts });
    expect(String(update?.params.text)).toContain('shown in brief');
    // The whole message was tried once, and never again for the version Slack refused.
    expect(postsOf(incident)).toHaveLength(2);
    expect(bot.logs.some((l) => l.msg === 'Slack delivery dropped')).toBe(false);
  });
});
