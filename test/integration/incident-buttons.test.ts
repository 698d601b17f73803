/**
 * The Acknowledge and Resolve buttons of the incident message, clicked through Bolt's
 * real HTTP receiver with correctly signed block_actions payloads whose values are taken
 * from the message the bot actually posted to the fake Slack.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeSlack, type SlackCall } from '../support/fake-slack.js';
import { SIGNING_SECRET, startTestBot, type TestBot } from '../support/bot.js';
import { notification, uniqueGroup } from '../support/fixtures.js';
import { buttonClickForm, postToSlackEndpoint } from '../support/slack-signing.js';
import { waitFor, type WaitForOptions } from '../support/wait.js';

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

// ---------------------------------------------------------------- helpers

/** waitFor for a lookup: resolves with what was found (never undefined), or fails at the deadline. */
async function found<T>(lookup: () => T | undefined | Promise<T | undefined>, opts: WaitForOptions): Promise<T> {
  return (await waitFor(lookup, opts)) as T;
}

interface Posted {
  id: string;
  channel: string;
  ts: string;
  post: SlackCall;
}

interface Block {
  type: string;
  elements?: Array<{ type: string; action_id?: string; value?: string }>;
}

const topLevelPosts = () => slack.callsTo('chat.postMessage').filter((c) => c.params.thread_ts === undefined);

async function openIncident(service = 'payment-service'): Promise<Posted> {
  const group = uniqueGroup();
  const res = await bot.postWebhook(notification({ group, service, alerts: [{ fingerprint: `${group}-a`, instance: 'db-1' }] }));
  expect(res.status).toBe(200);
  const { incident: id } = (await res.json()) as { incident: string | null };
  if (!id) throw new Error('the webhook opened no incident');
  const post = await found(() => topLevelPosts().find((c) => String(c.params.text).includes(`INC-${id} `)), {
    timeoutMs: 10_000,
    message: `no chat.postMessage for INC-${id}`,
  });
  const ts = post.result?.ts;
  if (typeof ts !== 'string') throw new Error('the fake Slack gave the message no ts');
  return { id, channel: String(post.params.channel), ts, post };
}

/** The buttons of a posted or updated incident message, by action_id. */
function buttonsOf(call: SlackCall): Map<string, string> {
  const blocks = (call.params.blocks ?? []) as Block[];
  const buttons = new Map<string, string>();
  for (const block of blocks) {
    if (block.type !== 'actions') continue;
    for (const element of block.elements ?? []) {
      if (element.type === 'button' && element.action_id) buttons.set(element.action_id, element.value ?? '');
    }
  }
  return buttons;
}

function buttonValue(call: SlackCall, actionId: string): string {
  const value = buttonsOf(call).get(actionId);
  if (value === undefined) throw new Error(`the message has no ${actionId} button: ${JSON.stringify(call.params.blocks)}`);
  return value;
}

/** Clicks a button of the message `on` (channel and ts as Slack would send them), signed correctly. */
async function click(actionId: string, value: string, userId: string, on?: { channel: string; ts: string }): Promise<number> {
  const before = slack.callsTo('response_url').length;
  const form = buttonClickForm(actionId, value, slack.responseUrl(`click-${before}`), userId);
  if (on) {
    const payload = JSON.parse(form.payload ?? '{}') as Record<string, unknown>;
    payload.channel = { id: on.channel, name: 'incidents' };
    payload.container = { type: 'message', message_ts: on.ts, channel_id: on.channel, is_ephemeral: false };
    payload.message = { ts: on.ts, text: 'incident' };
    form.payload = JSON.stringify(payload);
  }
  const res = await postToSlackEndpoint(bot.url, form, SIGNING_SECRET);
  await res.body?.cancel();
  return res.status;
}

/** Clicks and returns what the bot posted back to the response_url. */
async function clickForReply(actionId: string, value: string, userId: string, on?: { channel: string; ts: string }): Promise<Record<string, unknown>> {
  const before = slack.callsTo('response_url').length;
  expect(await click(actionId, value, userId, on)).toBe(200);
  const calls = await slack.waitForCalls('response_url', before + 1);
  return calls[before]?.params ?? {};
}

async function stored(id: string): Promise<{ version: string; state: string; doc: Record<string, unknown> }> {
  const hash = await bot.redis.hgetall(`${bot.prefix}incident:${id}`);
  return { version: hash.version ?? '', state: hash.state ?? '', doc: hash.doc ? (JSON.parse(hash.doc) as Record<string, unknown>) : {} };
}

async function timeline(id: string): Promise<Array<{ kind: string; actor: string; text: string }>> {
  return (await bot.redis.lrange(`${bot.prefix}incident:${id}:timeline`, 0, -1)).map((l) => JSON.parse(l) as { kind: string; actor: string; text: string });
}

async function audit(): Promise<Array<Record<string, string>>> {
  const entries = await bot.redis.xrange(`${bot.prefix}audit`, '-', '+');
  return entries.map(([, flat]) => {
    const record: Record<string, string> = {};
    for (let i = 0; i + 1 < flat.length; i += 2) record[flat[i] as string] = flat[i + 1] as string;
    return record;
  });
}

function updateOf(message: Posted, textStart: string): Promise<SlackCall> {
  return found(
    () => slack.callsTo('chat.update').find((c) => c.params.ts === message.ts && String(c.params.text).startsWith(textStart)),
    { timeoutMs: 10_000, message: `no chat.update of ${message.ts} whose text starts with ${textStart}` },
  );
}

function threadReply(message: Posted, contains: string): Promise<SlackCall> {
  return found(
    () => slack.callsTo('chat.postMessage').find((c) => c.params.thread_ts === message.ts && String(c.params.text).includes(contains)),
    { timeoutMs: 10_000, message: `no thread reply under ${message.ts} containing ${contains}` },
  );
}

// ---------------------------------------------------------------- tests

describe('the Acknowledge button', () => {
  it('acknowledges the incident and updates the same message without the Acknowledge button', async () => {
    const message = await openIncident();
    expect([...buttonsOf(message.post).keys()]).toEqual(['incident.ack', 'incident.resolve']);
    const value = buttonValue(message.post, 'incident.ack');
    const auditBefore = (await audit()).length;
    const repliesBefore = slack.callsTo('response_url').length;

    expect(await click('incident.ack', value, 'U0BOB', message)).toBe(200);

    await waitFor(async () => (await stored(message.id)).state === 'acknowledged', { message: 'incident not acknowledged in Redis' });
    expect((await stored(message.id)).doc).toMatchObject({ state: 'acknowledged', acknowledgedBy: 'U0BOB' });
    expect(await timeline(message.id)).toContainEqual(expect.objectContaining({ kind: 'acknowledged', actor: 'U0BOB', text: 'Acknowledged by <@U0BOB>' }));

    const update = await updateOf(message, `[ACKNOWLEDGED] INC-${message.id} `);
    expect(update.params.channel).toBe(message.channel);
    expect(String(update.params.text)).toContain('ACKNOWLEDGED');
    expect([...buttonsOf(update).keys()]).toEqual(['incident.resolve']);
    await threadReply(message, 'Acknowledged by <@U0BOB>');
    expect(topLevelPosts().filter((c) => String(c.params.text).includes(`INC-${message.id} `))).toHaveLength(1);

    await waitFor(async () => (await audit()).length > auditBefore, { message: 'no audit entry for the click' });
    expect((await audit()).slice(auditBefore)).toEqual([
      expect.objectContaining({ actor: 'U0BOB', action: 'incident.ack', incidentId: message.id, outcome: 'ok' }),
    ]);

    // A successful click answers nothing ephemeral: after a later click's reply, the
    // response_url saw that reply only.
    const later = await clickForReply('incident.retired', '{}', 'U0BOB');
    expect(String(later.text)).toContain('incident.retired');
    expect(slack.callsTo('response_url')).toHaveLength(repliesBefore + 1);
  });

  it('a second click on the old Acknowledge button is refused ephemerally and changes nothing', async () => {
    const message = await openIncident();
    const value = buttonValue(message.post, 'incident.ack');
    await click('incident.ack', value, 'U0BOB', message);
    await waitFor(async () => (await stored(message.id)).state === 'acknowledged', { message: 'incident not acknowledged' });
    const before = await stored(message.id);

    const reply = await clickForReply('incident.ack', value, 'U0CAROL', message);
    expect(reply.response_type).toBe('ephemeral');
    expect(reply.replace_original).toBe(false);
    expect(String(reply.text)).toContain(`Incident ${message.id} is already acknowledged by <@U0BOB>`);
    expect(await stored(message.id)).toEqual(before);
  });
});

describe('two people clicking at once', () => {
  it('Acknowledge clicked by two people at the same time acknowledges once; the other is told who was first', async () => {
    const message = await openIncident();
    const value = buttonValue(message.post, 'incident.ack');
    const repliesBefore = slack.callsTo('response_url').length;

    const statuses = await Promise.all([click('incident.ack', value, 'U0FAST', message), click('incident.ack', value, 'U0SLOW', message)]);
    expect(statuses).toEqual([200, 200]);

    // Exactly one of them is refused, ephemerally, naming the one who won.
    const [refusal] = (await slack.waitForCalls('response_url', repliesBefore + 1)).slice(repliesBefore);
    const doc = (await stored(message.id)).doc;
    expect(doc.state).toBe('acknowledged');
    const winner = String(doc.acknowledgedBy);
    expect(['U0FAST', 'U0SLOW']).toContain(winner);
    expect(refusal?.params.response_type).toBe('ephemeral');
    expect(String(refusal?.params.text)).toContain(`already acknowledged by <@${winner}>`);

    const acks = (await timeline(message.id)).filter((e) => e.kind === 'acknowledged');
    expect(acks).toEqual([expect.objectContaining({ actor: winner })]);
    const loser = winner === 'U0FAST' ? 'U0SLOW' : 'U0FAST';
    await waitFor(async () => (await audit()).some((e) => e.actor === loser), { message: 'the refused click was not audited' });
    expect((await audit()).filter((e) => e.action === 'incident.ack' && e.incidentId === message.id)).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ actor: winner, outcome: 'ok' }),
        expect.objectContaining({ actor: loser, outcome: 'refused' }),
      ]),
    );
    await threadReply(message, `Acknowledged by <@${winner}>`);
  });
});

describe('the Resolve button', () => {
  it('resolves a firing incident and updates the same message, leaving no buttons', async () => {
    const message = await openIncident('checkout');
    const value = buttonValue(message.post, 'incident.resolve');

    expect(await click('incident.resolve', value, 'U0DAVE', message)).toBe(200);

    await waitFor(async () => (await stored(message.id)).state === 'resolved', { message: 'incident not resolved in Redis' });
    expect((await stored(message.id)).doc).toMatchObject({ state: 'resolved', resolvedBy: 'U0DAVE' });
    expect(await timeline(message.id)).toContainEqual(expect.objectContaining({ kind: 'resolved', actor: 'U0DAVE' }));
    const update = await updateOf(message, `[RESOLVED] INC-${message.id} `);
    expect(update.params.channel).toBe(message.channel);
    expect(buttonsOf(update).size).toBe(0);
    await threadReply(message, 'Resolved by <@U0DAVE>');
    expect(await audit()).toContainEqual(expect.objectContaining({ actor: 'U0DAVE', action: 'incident.resolve', incidentId: message.id, outcome: 'ok' }));
  });

  it('resolves an acknowledged incident with the Resolve button of the updated message', async () => {
    const message = await openIncident();
    await click('incident.ack', buttonValue(message.post, 'incident.ack'), 'U0BOB', message);
    const acked = await updateOf(message, `[ACKNOWLEDGED] INC-${message.id} `);

    expect(await click('incident.resolve', buttonValue(acked, 'incident.resolve'), 'U0ERIN', message)).toBe(200);

    await waitFor(async () => (await stored(message.id)).state === 'resolved', { message: 'incident not resolved in Redis' });
    expect(await timeline(message.id)).toContainEqual(expect.objectContaining({ kind: 'resolved', actor: 'U0ERIN' }));
    const update = await updateOf(message, `[RESOLVED] INC-${message.id} `);
    expect(buttonsOf(update).size).toBe(0);
  });
});

describe('buttons that cannot act', () => {
  it.each([['incident.ack', 'acknowledged'], ['incident.resolve', 'resolved']])(
    '%s on a resolved incident gets an ephemeral refusal and changes nothing',
    async (actionId, target) => {
      const message = await openIncident();
      await click('incident.resolve', buttonValue(message.post, 'incident.resolve'), 'U0DAVE', message);
      await waitFor(async () => (await stored(message.id)).state === 'resolved', { message: 'incident not resolved' });
      const before = await stored(message.id);
      const timelineBefore = await timeline(message.id);

      const reply = await clickForReply(actionId, buttonValue(message.post, actionId), 'U0LATE', message);
      expect(reply.response_type).toBe('ephemeral');
      expect(reply.replace_original).toBe(false);
      expect(String(reply.text)).toContain(`Incident ${message.id} is resolved; it cannot become ${target}`);

      expect(await stored(message.id)).toEqual(before);
      // Nothing changed; a refusal may only be noted (kind "command"), never as a change.
      expect((await timeline(message.id)).filter((e) => e.kind !== 'command')).toEqual(timelineBefore.filter((e) => e.kind !== 'command'));
      expect(await audit()).toContainEqual(expect.objectContaining({ actor: 'U0LATE', action: actionId, incidentId: message.id, outcome: 'refused' }));
    },
  );

  it('a click for an id not used yet leaves nothing behind for the incident that later gets that id', async () => {
    // Old messages stay clickable: after a Redis loss or a new key prefix, ids start again,
    // and an old button may name an id the next incident will get.
    const current = await openIncident();
    const nextId = String(Number(current.id) + 1);
    const reply = await clickForReply('incident.ack', JSON.stringify({ v: 1, incident: nextId }), 'U0OLDCLICK');
    expect(String(reply.text)).toContain(`No incident ${nextId} is stored`);

    const next = await openIncident();
    expect(next.id).toBe(nextId);
    const entries = await timeline(next.id);
    expect(entries[0]).toMatchObject({ kind: 'opened', actor: 'alertmanager' });
    expect(entries.some((e) => e.actor === 'U0OLDCLICK')).toBe(false);
  });

  it.each([['incident.ack'], ['incident.resolve']])('%s for an incident that is not stored gets a clear ephemeral message', async (actionId) => {
    const value = JSON.stringify({ v: 1, incident: '424242' });
    const reply = await clickForReply(actionId, value, 'U0GHOST');
    expect(reply.response_type).toBe('ephemeral');
    expect(reply.replace_original).toBe(false);
    expect(String(reply.text)).toContain('No incident 424242 is stored');
    // Nothing is stored for an incident that does not exist: no hash, no timeline, no message ref.
    await waitFor(async () => (await audit()).some((e) => e.actor === 'U0GHOST' && e.action === actionId), { message: 'the click was not audited' });
    expect(await bot.redis.keys(`${bot.prefix}incident:424242*`)).toEqual([]);
    expect(await audit()).toContainEqual(expect.objectContaining({ actor: 'U0GHOST', action: actionId, incidentId: '424242', outcome: 'refused' }));
  });
});
