/**
 * `/incident` through Bolt's real HTTP receiver: every request is a correctly signed
 * slash-command form, the answer is read where Slack would get it (the response_url),
 * the state from the real Redis, and the incident message from the fake Slack Web API.
 */
import { describe, expect, it } from 'vitest';
import { notification } from '../support/fixtures.js';
import { openIncident, rigForFile, slash, threadReply, topLevelPosts, updateOf } from '../support/slack-session.js';
import { audit, incidentTimeline, storedIncident } from '../support/stored.js';
import { waitFor } from '../support/wait.js';

const r = rigForFile();

/** Sends a signed `/incident <text>` and returns what the bot posted to the response_url. */
async function incident(text: string, userId = 'U0ALICE'): Promise<{ response: Record<string, unknown> }> {
  return { response: await slash(r, '/incident', text, userId) };
}

/** The audit entries written after `mark` (an audit length taken before the request). */
async function auditSince(mark: number) {
  return (await audit(r)).slice(mark);
}

/** The timeline entries that record a change of the incident (not notes of who looked or was refused). */
const stateChanges = <T extends { kind: string }>(entries: T[]) => entries.filter((e) => e.kind !== 'command');

/** Opens an incident (one firing alert, on web-1) through the Alertmanager webhook and waits for its Slack message. */
async function newIncident(service = 'payment-service') {
  const opened = await openIncident(r, { service, instance: 'web-1' });
  expect(opened.changed).toBe(true);
  return opened;
}

function expectUsage(text: string): void {
  expect(text).toContain('/incident list');
  expect(text).toContain('/incident show &lt;id&gt;');
  expect(text).toContain('/incident ack &lt;id&gt;');
  expect(text).toContain('/incident resolve &lt;id&gt;');
}

// ---------------------------------------------------------------- tests

describe('/incident help', () => {
  it.each([
    ['help', 'help'],
    ['empty text', ''],
    ['only spaces', '   '],
    ['HELP in capitals', 'HELP'],
  ])('%s shows the usage, ephemerally, and is audited', async (_label, text) => {
    const mark = (await audit(r)).length;
    const { response } = await incident(text, 'U0HELPER');
    expect(response.response_type).toBe('ephemeral');
    expectUsage(String(response.text));
    const entries = await auditSince(mark);
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({ actor: 'U0HELPER', action: '/incident', outcome: 'ok' });
  });
});

describe('/incident list', () => {
  it('lists the open incidents with their state, and not the resolved ones', async () => {
    const a = await newIncident('payment-service');
    const b = await newIncident('checkout');
    const gone = await newIncident('checkout');
    // Alertmanager resolves the third one.
    const res = await r.bot.postWebhook(
      notification({ group: gone.group, service: 'checkout', alerts: [{ fingerprint: `${gone.group}-a`, instance: 'web-1', status: 'resolved' }] }),
    );
    expect(res.status).toBe(200);
    await waitFor(async () => (await storedIncident(r, gone.id)).state === 'resolved', { message: 'third incident not resolved' });

    const mark = (await audit(r)).length;
    const { response } = await incident('list', 'U0LISTER');
    const text = String(response.text);
    expect(response.response_type).toBe('ephemeral');
    expect(text).toMatch(/Open incidents/);
    expect(text).toContain(`*INC-${a.id}* firing`);
    expect(text).toContain(`*INC-${b.id}* firing`);
    expect(text).toContain('payment-service');
    expect(text).toContain('checkout');
    expect(text).not.toContain(`INC-${gone.id}*`);
    expect(await auditSince(mark)).toEqual([expect.objectContaining({ actor: 'U0LISTER', action: '/incident', outcome: 'ok', detail: 'list' })]);
  });

  it('`list` with an argument is refused with the usage', async () => {
    const { response } = await incident('list everything');
    expect(response.response_type).toBe('ephemeral');
    expect(String(response.text)).toContain('`list` takes no arguments');
    expectUsage(String(response.text));
  });
});

describe('/incident show', () => {
  it.each([['INC-%s'], ['%s'], ['inc-%s'], ['#%s']])('accepts the id written as %s and shows state and timeline', async (pattern) => {
    const { id } = await newIncident();
    const mark = (await audit(r)).length;
    const { response } = await incident(`show ${pattern.replace('%s', id)}`, 'U0VIEWER');
    const text = String(response.text);
    expect(response.response_type).toBe('ephemeral');
    expect(text).toContain(`*INC-${id}*`);
    expect(text).toContain('State: *firing*');
    expect(text).toContain('*Timeline*');
    expect(text).toMatch(/opened: Incident opened for payment-service/);

    // The view is audited, with who asked and what they typed.
    expect(await auditSince(mark)).toContainEqual(
      expect.objectContaining({ actor: 'U0VIEWER', action: '/incident', outcome: 'ok', detail: `show ${pattern.replace('%s', id)}` }),
    );
  });

  it('shows the acknowledgement in the timeline once acknowledged', async () => {
    const { id } = await newIncident();
    await incident(`ack ${id}`, 'U0ACKER');
    const { response } = await incident(`show INC-${id}`);
    const text = String(response.text);
    expect(text).toContain('State: *acknowledged*');
    expect(text).toContain('acknowledged: Acknowledged by <@U0ACKER>');
  });

  it('shows entries an earlier release stored as words, as they were, in the detail and in the thread', async () => {
    const opened = await newIncident();
    const legacy = [
      { at: '2026-11-22T10:00:00.000Z', kind: 'reminder', actor: 'bot', text: `<!subteam^S0OLD> INC-${opened.id} is still unacknowledged after 5 minutes.` },
      { at: '2026-11-22T10:01:00.000Z', kind: 'action', actor: 'U0OLD', text: '<@U0OLD> requested ACT-9: roll back payment-service' },
    ];
    await r.bot.redis.rpush(`${r.bot.prefix}incident:${opened.id}:timeline`, ...legacy.map((entry) => JSON.stringify(entry)));

    const text = String((await incident(`show ${opened.id}`)).response.text);
    expect(text).toContain(`• 2026-11-22T10:00:00.000Z reminder: <!subteam^S0OLD> INC-${opened.id} is still unacknowledged after 5 minutes.`);
    expect(text).toContain('• 2026-11-22T10:01:00.000Z action: <@U0OLD> requested ACT-9: roll back payment-service');

    // A change makes the thread catch up with every entry since its last reply, old ones included.
    await incident(`ack ${opened.id}`, 'U0ACKER');
    await threadReply(r, opened, `<!subteam^S0OLD> INC-${opened.id} is still unacknowledged after 5 minutes.`);
    await threadReply(r, opened, '<@U0OLD> requested ACT-9: roll back payment-service');
  });
});

describe('/incident ack', () => {
  it('acknowledges: state in Redis, timeline with the user, message updated, thread reply, audit', async () => {
    const { id, channel, ts } = await newIncident();
    const versionBefore = Number((await storedIncident(r, id)).version);
    const mark = (await audit(r)).length;

    const { response } = await incident(`ack INC-${id}`, 'U0ACKER');
    expect(response.response_type).toBe('in_channel');
    expect(String(response.text)).toBe(`INC-${id} acknowledged.`);

    const after = await storedIncident(r, id);
    expect(after.state).toBe('acknowledged');
    expect(Number(after.version)).toBe(versionBefore + 1);
    expect(after.doc).toMatchObject({ state: 'acknowledged', acknowledgedBy: 'U0ACKER' });
    expect(await incidentTimeline(r, id)).toContainEqual(
      expect.objectContaining({ kind: 'acknowledged', actor: 'U0ACKER', rendered: 'Acknowledged by <@U0ACKER>' }),
    );

    const update = await updateOf(r, { ts }, `[ACKNOWLEDGED] INC-${id} `);
    expect(update.params.channel).toBe(channel);
    const reply = await threadReply(r, { ts }, 'Acknowledged by <@U0ACKER>');
    expect(reply.params.channel).toBe(channel);
    // Still one top-level message for the incident.
    expect(topLevelPosts(r).filter((c) => String(c.params.text).includes(`INC-${id} `))).toHaveLength(1);

    expect(await auditSince(mark)).toEqual([expect.objectContaining({ actor: 'U0ACKER', action: '/incident', outcome: 'ok', detail: `ack INC-${id}` })]);
  });

  it('refuses a second acknowledgement clearly and changes nothing', async () => {
    const { id } = await newIncident();
    await incident(`ack ${id}`, 'U0FIRST');
    const before = await storedIncident(r, id);
    const timelineBefore = await incidentTimeline(r, id);
    const mark = (await audit(r)).length;

    const { response } = await incident(`ack ${id}`, 'U0SECOND');
    expect(response.response_type).toBe('ephemeral');
    expect(String(response.text)).toContain(`Incident ${id} is already acknowledged by <@U0FIRST>`);

    expect(await storedIncident(r, id)).toEqual(before);
    expect(stateChanges(await incidentTimeline(r, id))).toEqual(stateChanges(timelineBefore));
    expect(await auditSince(mark)).toEqual([expect.objectContaining({ actor: 'U0SECOND', action: '/incident', outcome: 'refused' })]);
  });
});

describe('/incident resolve', () => {
  it('resolves: state in Redis, timeline with the user, message updated without buttons, thread reply', async () => {
    const { id, ts } = await newIncident();
    const mark = (await audit(r)).length;

    const { response } = await incident(`resolve ${id}`, 'U0FIXER');
    expect(response.response_type).toBe('in_channel');
    expect(String(response.text)).toBe(`INC-${id} resolved.`);

    const after = await storedIncident(r, id);
    expect(after.state).toBe('resolved');
    expect(after.doc).toMatchObject({ state: 'resolved', resolvedBy: 'U0FIXER' });
    expect(await incidentTimeline(r, id)).toContainEqual(expect.objectContaining({ kind: 'resolved', actor: 'U0FIXER' }));
    // A resolved incident leaves the open list.
    expect(await r.bot.redis.zscore(`${r.bot.prefix}incidents:open`, id)).toBeNull();

    const update = await updateOf(r, { ts }, `[RESOLVED] INC-${id} `);
    const blocks = update.params.blocks as Array<{ type: string }>;
    expect(blocks.some((b) => b.type === 'actions')).toBe(false);
    await threadReply(r, { ts }, 'Resolved by <@U0FIXER>');
    expect(await auditSince(mark)).toEqual([expect.objectContaining({ actor: 'U0FIXER', action: '/incident', outcome: 'ok', detail: `resolve ${id}` })]);
  });

  it('refuses to resolve a resolved incident or to acknowledge it', async () => {
    const { id } = await newIncident();
    await incident(`resolve ${id}`, 'U0FIXER');
    const before = await storedIncident(r, id);

    const again = await incident(`resolve ${id}`, 'U0LATE');
    expect(again.response.response_type).toBe('ephemeral');
    expect(String(again.response.text)).toContain(`Incident ${id} is resolved; it cannot become resolved`);
    const ack = await incident(`ack ${id}`, 'U0LATE');
    expect(ack.response.response_type).toBe('ephemeral');
    expect(String(ack.response.text)).toContain(`Incident ${id} is resolved; it cannot become acknowledged`);
    expect(await storedIncident(r, id)).toEqual(before);
  });
});

describe('/incident with bad input', () => {
  it('an unknown subcommand gets an ephemeral error naming it, with the usage, and is audited', async () => {
    const mark = (await audit(r)).length;
    const { response } = await incident('frobnicate 1', 'U0TYPO');
    expect(response.response_type).toBe('ephemeral');
    expect(String(response.text)).toContain('unknown subcommand "frobnicate"');
    expectUsage(String(response.text));
    const entries = await auditSince(mark);
    expect(entries).toEqual([expect.objectContaining({ actor: 'U0TYPO', action: '/incident', outcome: 'refused' })]);
  });

  // Regression: audited() once overwrote `detail` (what the user typed) with the failure
  // message, so the audit trail of a refused command no longer said what was asked.
  it('the audit entry of a refused command still records what the user typed', async () => {
    const mark = (await audit(r)).length;
    await incident('frobnicate 1', 'U0TYPO');
    const [entry] = await auditSince(mark);
    expect(entry).toMatchObject({ actor: 'U0TYPO', action: '/incident', outcome: 'refused' });
    expect(Object.values(entry ?? {})).toContainEqual(expect.stringContaining('frobnicate 1'));
  });

  it.each([
    ['ack banana', '"banana" is not an incident id'],
    ['show INC-x', '"INC-x" is not an incident id'],
    ['resolve -3', '"-3" is not an incident id'],
    ['ack', '`ack` takes one incident id'],
    ['show 1 2', '`show` takes one incident id'],
  ])('`/incident %s` gets an ephemeral error with the usage', async (text, reason) => {
    const mark = (await audit(r)).length;
    const { response } = await incident(text, 'U0BADID');
    expect(response.response_type).toBe('ephemeral');
    expect(String(response.text)).toContain(reason);
    expectUsage(String(response.text));
    expect(await auditSince(mark)).toEqual([expect.objectContaining({ actor: 'U0BADID', action: '/incident', outcome: 'refused' })]);
  });

  it.each([['show'], ['ack'], ['resolve']])('`/incident %s` of an id that is not stored says so clearly', async (verb) => {
    const mark = (await audit(r)).length;
    const { response } = await incident(`${verb} INC-987654`, 'U0LOST');
    expect(response.response_type).toBe('ephemeral');
    expect(String(response.text)).toContain('No incident 987654 is stored');
    expect(await r.bot.redis.keys(`${r.bot.prefix}incident:987654*`)).toEqual([]);
    expect(await auditSince(mark)).toEqual([expect.objectContaining({ actor: 'U0LOST', action: '/incident', outcome: 'refused' })]);
  });
});
