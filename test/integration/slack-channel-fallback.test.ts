/**
 * A service channel that Slack refuses as missing, foreign or archived does not leave the
 * incident posted nowhere: it goes to INCIDENT_CHANNEL with one line saying why and which
 * channel to fix, the log names the channel and the service, and later updates follow it.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { FakeSlack } from '../support/fake-slack.js';
import { DEFAULT_SERVICES, startTestBot, type TestBot } from '../support/bot.js';
import { notification, uniqueGroup } from '../support/fixtures.js';
import { found, waitFor } from '../support/wait.js';

let slack: FakeSlack;
let bot: TestBot;
beforeAll(async () => {
  slack = await FakeSlack.start();
  bot = await startTestBot({ slack, services: `${DEFAULT_SERVICES}  orphan-service:\n    channel: C0GONE\n` });
});
afterAll(async () => {
  await bot?.stop();
  await slack?.close();
});
afterEach(() => slack.reset());

const alert = (group: string, status: 'firing' | 'resolved') =>
  notification({ group, service: 'orphan-service', alerts: [{ fingerprint: `${group}-0`, status }] });

describe('channel fallback', () => {
  it.each([
    ['channel_not_found', 'does not exist'],
    ['not_in_channel', 'does not have the bot in it'],
    ['is_archived', 'is archived'],
  ])('posts the incident to INCIDENT_CHANNEL when the service channel answers %s, and keeps it there', async (reason, why) => {
    // The service channel keeps refusing, as a real one does, however often it is tried.
    slack.script('chat.postMessage', { status: 200, body: { ok: false, error: reason }, when: (params) => params.channel === 'C0GONE' }, 100);
    const group = uniqueGroup();
    const { incident } = (await (await bot.postWebhook(alert(group, 'firing'))).json()) as { incident: string };
    const posts = () => slack.callsTo('chat.postMessage').filter((c) => !c.params.thread_ts && String(c.params.text).includes(`INC-${incident}`));
    const fallback = await found(() => posts().find((c) => c.params.channel === 'C0INCIDENTS'), { message: 'no fallback post' });
    const refused = posts().filter((c) => c.params.channel === 'C0GONE');
    expect(refused.length).toBeGreaterThan(0);
    for (const post of refused) expect(post.result).toBeUndefined();
    expect(posts().filter((c) => c.params.channel === 'C0INCIDENTS')).toHaveLength(1);
    expect(String(fallback?.params.text)).toContain(`<#C0GONE> ${why}`);
    expect(JSON.stringify(fallback?.params.blocks)).toContain('<#C0GONE>');
    expect(bot.logs).toContainEqual(
      expect.objectContaining({ channel: 'C0GONE', service: 'orphan-service', incidentId: incident, reason, fallbackChannel: 'C0INCIDENTS' }),
    );

    await bot.postWebhook(alert(group, 'resolved'));
    const update = await waitFor(() => slack.callsTo('chat.update').find((c) => String(c.params.text).startsWith('[RESOLVED]')), {
      message: 'the resolved update',
    });
    expect(update?.params).toMatchObject({ channel: 'C0INCIDENTS', ts: fallback?.result?.ts });
    expect(String(update?.params.text)).toContain('<#C0GONE> refused it');
    await waitFor(() => slack.callsTo('chat.postMessage').some((c) => c.params.channel === 'C0INCIDENTS' && c.params.thread_ts === fallback?.result?.ts), {
      message: 'the resolved reply in the fallback thread',
    });
    expect(bot.logs.some((l) => l.msg === 'Slack delivery dropped')).toBe(false);
  });
});
