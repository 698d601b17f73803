/**
 * Silences from Slack against a REAL Alertmanager: the Silence… menu and the Unsilence button
 * are clicked through Bolt's real HTTP receiver with signed payloads, and what the bot made is
 * read back from Alertmanager's own API. Alertmanager's notifications go to a sink, never to
 * the bot: a silenced incident must be resolved by the bot's poll alone.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AlertmanagerClient, type Silence } from '../../src/alertmanager/client.js';
import { startAlertmanager, type AlertmanagerHarness } from '../support/alertmanager.js';
import { startTestBot, type TestBot } from '../support/bot.js';
import { FakeSlack, type SlackCall } from '../support/fake-slack.js';
import { listenOnLoopback } from '../support/loopback-server.js';
import { blockText, buttonValue, openIncident, postSigned, slash, threadReply, withReply, type OpenedIncident, lateRig } from '../support/slack-session.js';
import { buttonClickForm, selectChoiceForm } from '../support/slack-signing.js';
import { incidentTimeline, storedIncident } from '../support/stored.js';
import { notification, uniqueGroup } from '../support/fixtures.js';
import { found, waitFor } from '../support/wait.js';

const SERVICES = `services:
  payment-service:
    channel: C0PAYMENTS
    approvers: [U0APPROVER]
    oncall: S0ONCALL
`;
const POLL_MS = 1_000;

let am: AlertmanagerHarness;
let sink: Awaited<ReturnType<typeof listenOnLoopback>>['server'];
let slack: FakeSlack;
let bot: TestBot;
let api: AlertmanagerClient;
const r = lateRig(
  () => slack,
  () => bot,
);

beforeAll(async () => {
  const listening = await listenOnLoopback((_req, res) => res.end());
  sink = listening.server;
  am = await startAlertmanager({ webhookUrl: `${listening.url}/sink`, bearerToken: 'sink-token-sink-token-sink' });
  api = new AlertmanagerClient({ url: am.url, authorization: undefined });
  slack = await FakeSlack.start();
  slack.setUserGroup('S0ONCALL', ['U0ONCALL']);
  bot = await startTestBot({ slack, services: SERVICES, env: { ALERTMANAGER_URL: am.url, ALERTMANAGER_POLL_INTERVAL: '1s' } });
}, 60_000);
afterEach(() => slack.assertNoUnexpectedCalls());
afterAll(async () => {
  await bot?.stop();
  await slack?.close();
  await am?.stop();
  sink?.close();
});

interface SelectElement {
  type: string;
  action_id?: string;
  options?: Array<{ text: { text: string }; value: string }>;
}

/** The Silence… menu's options of a posted message, by their text. */
function silenceOptions(call: SlackCall): Map<string, string> {
  const blocks = (call.params.blocks ?? []) as Array<{ type: string; elements?: SelectElement[] }>;
  const menu = blocks.flatMap((b) => (b.type === 'actions' ? (b.elements ?? []) : [])).find((e) => e.action_id === 'incident.silence');
  return new Map((menu?.options ?? []).map((o) => [o.text.text, o.value]));
}

/** A signed choice in the Silence… menu by `userId`; resolves with the ephemeral answer. */
async function choose(message: OpenedIncident, optionValue: string, userId: string): Promise<Record<string, unknown>> {
  const { reply } = await withReply(r, async (n) => {
    const form = selectChoiceForm(
      'incident.silence',
      `incident:${message.id}`,
      optionValue,
      slack.responseUrl(`select-${n}`),
      { id: userId, name: `name-${userId}` },
      message,
    );
    expect(await postSigned(r, form)).toBe(200);
  });
  return reply;
}

/** A signed click on the Unsilence button. */
async function unsilenceClick(message: OpenedIncident, value: string, userId: string): Promise<void> {
  expect(await postSigned(r, buttonClickForm('incident.unsilence', value, slack.responseUrl(`unsilence-${Date.now()}`), userId, message))).toBe(200);
}

/** An incident whose group also fires in the real Alertmanager (the poll would resolve it otherwise). */
async function firingIncident(): Promise<{ message: OpenedIncident; labels: Record<string, string> }> {
  const message = await openIncident(r, { instance: 'db-1' });
  const labels = { alertname: message.group, service: 'payment-service' };
  await am.fire({ ...labels, instance: 'db-1' });
  return { message, labels };
}

const silencesOf = (labels: Record<string, string>): Promise<Silence[]> => api.silencesMatching(labels);

/** The one silence Alertmanager holds for the incident's group: its labels as equality matchers, by `createdBy`, naming the incident. */
async function theGroupsSilence(message: OpenedIncident, labels: Record<string, string>, createdBy: string): Promise<Silence | undefined> {
  const made = await silencesOf(labels);
  expect(made).toHaveLength(1);
  const [silence] = made;
  expect(silence?.matchers).toEqual([
    { name: 'alertname', value: labels.alertname, isRegex: false, isEqual: true },
    { name: 'service', value: 'payment-service', isRegex: false, isEqual: true },
  ]);
  expect(silence?.createdBy).toBe(createdBy);
  expect(silence?.comment).toContain(`INC-${message.id}`);
  return silence;
}

describe('the Silence… menu', () => {
  it('offers 1h, 4h, 24h and until resolved; each choice makes exactly one silence of the group, by the clicker', async () => {
    for (const [choice, hours] of [
      ['1h', 1],
      ['4h', 4],
      ['24h', 24],
      ['until resolved', 7 * 24],
    ] as const) {
      const { message, labels } = await firingIncident();
      const options = silenceOptions(message.post);
      expect([...options.keys()]).toEqual(['1h', '4h', '24h', 'until resolved']);
      const before = Date.now();
      const reply = await choose(message, options.get(choice) ?? '', 'U0APPROVER');
      expect(String(reply.text)).toContain('Silenced in Alertmanager by <@U0APPROVER>');

      const silence = await theGroupsSilence(message, labels, 'name-U0APPROVER (U0APPROVER)');
      // The incident's own message, in the same form /incident silence writes.
      expect(silence?.comment).toContain(`: https://slack.com/archives/${message.channel}/p${message.ts.replace('.', '')}`);
      const length = Date.parse(silence?.endsAt ?? '') - before;
      expect(Math.abs(length - hours * 3_600_000)).toBeLessThan(60_000);

      expect((await storedIncident(r, message.id)).doc).toMatchObject({
        silence: { id: silence?.id, by: 'U0APPROVER', untilResolved: choice === 'until resolved' },
      });
      await waitFor(
        () => slack.callsTo('chat.update').some((c) => c.params.ts === message.ts && blockText(c).includes('Silenced in Alertmanager by <@U0APPROVER>')),
        {
          message: 'the message does not say who silenced it',
        },
      );
      await threadReply(r, message, 'Silenced in Alertmanager by <@U0APPROVER>');

      // A second choice on the same (old) menu makes no second silence.
      await choose(message, options.get('1h') ?? '', 'U0APPROVER');
      expect(await silencesOf(labels)).toHaveLength(1);
    }
  });

  it('lets the on-call group silence, and Unsilence expires that silence in Alertmanager', async () => {
    const { message, labels } = await firingIncident();
    await choose(message, silenceOptions(message.post).get('4h') ?? '', 'U0ONCALL');
    const [silence] = await silencesOf(labels);
    expect(silence?.createdBy).toBe('name-U0ONCALL (U0ONCALL)');
    const silenced = await found(
      () => slack.callsTo('chat.update').find((c) => c.params.ts === message.ts && blockText(c).includes('Silenced in Alertmanager')),
      {
        message: 'no update showing the silence',
      },
    );
    await unsilenceClick(message, buttonValue(silenced, 'incident.unsilence'), 'U0ONCALL');
    await waitFor(async () => (await api.silence(silence?.id ?? ''))?.status.state === 'expired', { message: 'the silence was not expired' });
    await waitFor(async () => (await storedIncident(r, message.id)).doc.silence === undefined, { message: 'the incident still shows the silence' });
    await threadReply(r, message, `Silence \`${silence?.id}\` expired by <@U0ONCALL>`);
    expect((await incidentTimeline(r, message.id)).map((e) => e.kind)).toEqual(expect.arrayContaining(['silence']));
  });

  it('refuses anyone who is neither an approver nor on call, ephemerally and on the timeline, and makes no silence', async () => {
    const { message, labels } = await firingIncident();
    const reply = await choose(message, silenceOptions(message.post).get('1h') ?? '', 'U0STRANGER');
    expect(reply).toMatchObject({ response_type: 'ephemeral' });
    expect(String(reply.text)).toContain("Only this service's approvers and its on-call group may silence");
    expect(await silencesOf(labels)).toEqual([]);
    await waitFor(async () => (await incidentTimeline(r, message.id)).some((e) => e.kind === 'silence' && e.actor === 'U0STRANGER'), {
      message: 'the refusal is not on the timeline',
    });
  });
});

describe('/incident silence and unsilence', () => {
  it('make exactly one silence of the group, by the user, with the incident, its link and the reason in the comment', async () => {
    const { message, labels } = await firingIncident();
    const before = Date.now();
    // As Slack sends it with escaping on for /incident: the comment reads as the person typed.
    const reply = await slash(r, '/incident', `silence INC-${message.id} 90m  deploy  in progress &amp; <@U0ONCALL|carol> on it`, 'U0APPROVER');
    expect(reply).toMatchObject({ response_type: 'ephemeral' });
    expect(String(reply.text)).toContain('Silenced in Alertmanager by <@U0APPROVER>');

    const silence = await theGroupsSilence(message, labels, 'u0approver (U0APPROVER)');
    expect(silence?.comment).toContain(`: https://slack.com/archives/${message.channel}/p${message.ts.replace('.', '')}`);
    expect(silence?.comment).toContain('deploy  in progress & @carol on it');
    expect(Math.abs(Date.parse(silence?.endsAt ?? '') - before - 90 * 60_000)).toBeLessThan(60_000);
    await threadReply(r, message, 'Silenced in Alertmanager by <@U0APPROVER>');

    // A second command makes no second silence.
    expect(String((await slash(r, '/incident', `silence INC-${message.id} 4h`, 'U0APPROVER')).text)).toContain('Already silenced');
    expect(await silencesOf(labels)).toHaveLength(1);

    const unsilenced = await slash(r, '/incident', `unsilence INC-${message.id}`, 'U0ONCALL');
    expect(String(unsilenced.text)).toContain(`Silence \`${silence?.id}\` expired`);
    expect((await api.silence(silence?.id ?? ''))?.status.state).toBe('expired');
  });

  it('takes until-resolved like the menu', async () => {
    const { message, labels } = await firingIncident();
    await slash(r, '/incident', `silence ${message.id} until-resolved`, 'U0ONCALL');
    const [silence] = await silencesOf(labels);
    expect(silence?.comment).not.toContain('reason');
    expect((await storedIncident(r, message.id)).doc).toMatchObject({ silence: { id: silence?.id, by: 'U0ONCALL', untilResolved: true } });
  });

  it('refuses anyone who is neither an approver nor on call, ephemerally and on the timeline, and makes no silence', async () => {
    const { message, labels } = await firingIncident();
    const reply = await slash(r, '/incident', `silence INC-${message.id} 1h`, 'U0STRANGER');
    expect(reply).toMatchObject({ response_type: 'ephemeral' });
    expect(String(reply.text)).toContain("Only this service's approvers and its on-call group may silence");
    expect(await silencesOf(labels)).toEqual([]);
    await waitFor(async () => (await incidentTimeline(r, message.id)).some((e) => e.kind === 'silence' && e.actor === 'U0STRANGER'), {
      message: 'the refusal is not on the timeline',
    });
  });

  it('answers a length it does not take with its usage, and makes no silence', async () => {
    const { message, labels } = await firingIncident();
    for (const length of ['2m', '8d', 'soon', '']) {
      const reply = await slash(r, '/incident', `silence INC-${message.id} ${length}`, 'U0APPROVER');
      expect(reply).toMatchObject({ response_type: 'ephemeral' });
      expect(String(reply.text)).toMatch(length ? /is not a silence length/ : /takes an incident id, a length/);
      expect(String(reply.text)).toContain('/incident silence');
    }
    expect(await silencesOf(labels)).toEqual([]);
  });
});

describe('the poll of a silenced incident', () => {
  it('resolves it within two intervals once its alerts stop, with no webhook', async () => {
    const { message, labels } = await firingIncident();
    await choose(message, silenceOptions(message.post).get('until resolved') ?? '', 'U0APPROVER');
    const [silence] = await silencesOf(labels);
    await am.resolve({ ...labels, instance: 'db-1' });
    const stopped = Date.now();
    await waitFor(async () => (await storedIncident(r, message.id)).state === 'resolved', {
      timeoutMs: 2 * POLL_MS + 1_500,
      message: 'not resolved by the poll',
    });
    expect(Date.now() - stopped).toBeLessThan(2 * POLL_MS + 1_500);
    await threadReply(r, message, 'Alertmanager holds no firing alert of the silenced group');
    // Made "until resolved": it ends with the incident.
    await waitFor(async () => (await api.silence(silence?.id ?? ''))?.status.state === 'expired', { message: 'the until-resolved silence was not expired' });
  });

  it('shows a silence made in Alertmanager itself for the same matchers', async () => {
    const { message, labels } = await firingIncident();
    const now = new Date();
    const id = await api.createSilence({
      matchers: labels,
      startsAt: now,
      endsAt: new Date(now.getTime() + 3_600_000),
      createdBy: 'ui',
      comment: 'from the UI',
    });
    await waitFor(async () => (await storedIncident(r, message.id)).doc.silence !== undefined, {
      timeoutMs: 3 * POLL_MS,
      message: 'the UI silence was not picked up',
    });
    expect((await storedIncident(r, message.id)).doc).toMatchObject({ silence: { id, by: 'alertmanager' } });
    await api.expireSilence(id);
    await waitFor(async () => (await storedIncident(r, message.id)).doc.silence === undefined, {
      timeoutMs: 3 * POLL_MS,
      message: 'the UI expiry was not picked up',
    });
  });
});

describe('without ALERTMANAGER_URL', () => {
  it('shows no silence control', async () => {
    const plain = await startTestBot({ slack, services: SERVICES });
    try {
      // Incident ids are numbered per bot: the post is found by its group, which is new.
      const group = uniqueGroup();
      expect((await plain.postWebhook(notification({ group, alerts: [{ fingerprint: `${group}-a` }] }))).status).toBe(200);
      const post = await found(() => slack.callsTo('chat.postMessage').find((c) => c.params.thread_ts === undefined && String(c.params.text).includes(group)), {
        message: 'no message for the incident',
      });
      expect(JSON.stringify(post.params.blocks)).toContain('incident.resolve');
      expect(silenceOptions(post).size).toBe(0);
      expect(JSON.stringify(post.params.blocks)).not.toContain('incident.silence');
      const r2 = lateRig(
        () => slack,
        () => plain,
      );
      expect(String((await slash(r2, '/incident', 'silence INC-1 4h', 'U0APPROVER')).text)).toContain('Silences need ALERTMANAGER_URL');
    } finally {
      await plain.stop();
    }
  });
});
