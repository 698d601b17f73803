/**
 * The Acknowledge and Resolve buttons of the incident message, clicked through Bolt's
 * real HTTP receiver with correctly signed block_actions payloads whose values are taken
 * from the message the bot actually posted to the fake Slack.
 */
import { describe, expect, it } from 'vitest';
import { buttonsOf, buttonValue, click, clickForReply, openIncident, rigForFile, threadReply, topLevelPosts, updateOf } from '../support/slack-session.js';
import { audit, incidentTimeline, storedIncident } from '../support/stored.js';
import { waitFor } from '../support/wait.js';

const r = rigForFile();

/** An incident of one firing alert, on db-1, with the message the bot posted for it. */
const incidentOf = (service?: string) => openIncident(r, { service, instance: 'db-1' });

// ---------------------------------------------------------------- tests

describe('the Acknowledge button', () => {
  it('acknowledges the incident and updates the same message without the Acknowledge button', async () => {
    const message = await incidentOf();
    // The shipped diagnostics runbook applies to every alert with an instance label.
    expect([...buttonsOf(message.post).keys()]).toEqual(['incident.ack', 'incident.resolve', 'incident.lead', 'incident.room', 'runbook.run']);
    const value = buttonValue(message.post, 'incident.ack');
    const auditBefore = (await audit(r)).length;
    const repliesBefore = r.slack.callsTo('response_url').length;

    expect(await click(r, 'incident.ack', value, 'U0BOB', message)).toBe(200);

    await waitFor(async () => (await storedIncident(r, message.id)).state === 'acknowledged', { message: 'incident not acknowledged in Redis' });
    expect((await storedIncident(r, message.id)).doc).toMatchObject({ state: 'acknowledged', acknowledgedBy: 'U0BOB' });
    expect(await incidentTimeline(r, message.id)).toContainEqual(
      expect.objectContaining({ kind: 'acknowledged', actor: 'U0BOB', rendered: 'Acknowledged by <@U0BOB>' }),
    );

    const update = await updateOf(r, message, `[ACKNOWLEDGED] INC-${message.id} `);
    expect(update.params.channel).toBe(message.channel);
    expect(String(update.params.text)).toContain('ACKNOWLEDGED');
    expect([...buttonsOf(update).keys()]).toEqual(['incident.resolve', 'incident.lead', 'incident.room', 'runbook.run']);
    await threadReply(r, message, 'Acknowledged by <@U0BOB>');
    expect(topLevelPosts(r).filter((c) => String(c.params.text).includes(`INC-${message.id} `))).toHaveLength(1);

    await waitFor(async () => (await audit(r)).length > auditBefore, { message: 'no audit entry for the click' });
    expect((await audit(r)).slice(auditBefore)).toEqual([
      expect.objectContaining({ actor: 'U0BOB', action: 'incident.ack', incidentId: message.id, outcome: 'ok' }),
    ]);

    // A successful click answers nothing ephemeral: after a later click's reply, the
    // response_url saw that reply only.
    const later = await clickForReply(r, 'incident.retired', '{}', 'U0BOB');
    expect(String(later.text)).toContain('incident.retired');
    expect(r.slack.callsTo('response_url')).toHaveLength(repliesBefore + 1);
  });

  it('a second click on the old Acknowledge button is refused ephemerally and changes nothing', async () => {
    const message = await incidentOf();
    const value = buttonValue(message.post, 'incident.ack');
    await click(r, 'incident.ack', value, 'U0BOB', message);
    await waitFor(async () => (await storedIncident(r, message.id)).state === 'acknowledged', { message: 'incident not acknowledged' });
    const before = await storedIncident(r, message.id);

    const reply = await clickForReply(r, 'incident.ack', value, 'U0CAROL', message);
    expect(reply.response_type).toBe('ephemeral');
    expect(reply.replace_original).toBe(false);
    expect(String(reply.text)).toContain(`Incident ${message.id} is already acknowledged by <@U0BOB>`);
    expect(await storedIncident(r, message.id)).toEqual(before);
  });
});

describe('two people clicking at once', () => {
  it('Acknowledge clicked by two people at the same time acknowledges once; the other is told who was first', async () => {
    const message = await incidentOf();
    const value = buttonValue(message.post, 'incident.ack');
    const repliesBefore = r.slack.callsTo('response_url').length;

    const statuses = await Promise.all([click(r, 'incident.ack', value, 'U0FAST', message), click(r, 'incident.ack', value, 'U0SLOW', message)]);
    expect(statuses).toEqual([200, 200]);

    // Exactly one of them is refused, ephemerally, naming the one who won.
    const [refusal] = (await r.slack.waitForCalls('response_url', repliesBefore + 1)).slice(repliesBefore);
    const doc = (await storedIncident(r, message.id)).doc;
    expect(doc.state).toBe('acknowledged');
    const winner = String(doc.acknowledgedBy);
    expect(['U0FAST', 'U0SLOW']).toContain(winner);
    expect(refusal?.params.response_type).toBe('ephemeral');
    expect(String(refusal?.params.text)).toContain(`already acknowledged by <@${winner}>`);

    const acks = (await incidentTimeline(r, message.id)).filter((e) => e.kind === 'acknowledged');
    expect(acks).toEqual([expect.objectContaining({ actor: winner })]);
    const loser = winner === 'U0FAST' ? 'U0SLOW' : 'U0FAST';
    await waitFor(async () => (await audit(r)).some((e) => e.actor === loser), { message: 'the refused click was not audited' });
    expect((await audit(r)).filter((e) => e.action === 'incident.ack' && e.incidentId === message.id)).toEqual(
      expect.arrayContaining([expect.objectContaining({ actor: winner, outcome: 'ok' }), expect.objectContaining({ actor: loser, outcome: 'refused' })]),
    );
    await threadReply(r, message, `Acknowledged by <@${winner}>`);
  });
});

describe('the Resolve button', () => {
  it('resolves a firing incident and updates the same message, leaving no buttons', async () => {
    const message = await incidentOf('checkout');
    const value = buttonValue(message.post, 'incident.resolve');

    expect(await click(r, 'incident.resolve', value, 'U0DAVE', message)).toBe(200);

    await waitFor(async () => (await storedIncident(r, message.id)).state === 'resolved', { message: 'incident not resolved in Redis' });
    expect((await storedIncident(r, message.id)).doc).toMatchObject({ state: 'resolved', resolvedBy: 'U0DAVE' });
    expect(await incidentTimeline(r, message.id)).toContainEqual(expect.objectContaining({ kind: 'resolved', actor: 'U0DAVE' }));
    const update = await updateOf(r, message, `[RESOLVED] INC-${message.id} `);
    expect(update.params.channel).toBe(message.channel);
    expect(buttonsOf(update).size).toBe(0);
    await threadReply(r, message, 'Resolved by <@U0DAVE>');
    expect(await audit(r)).toContainEqual(expect.objectContaining({ actor: 'U0DAVE', action: 'incident.resolve', incidentId: message.id, outcome: 'ok' }));
  });

  it('resolves an acknowledged incident with the Resolve button of the updated message', async () => {
    const message = await incidentOf();
    await click(r, 'incident.ack', buttonValue(message.post, 'incident.ack'), 'U0BOB', message);
    const acked = await updateOf(r, message, `[ACKNOWLEDGED] INC-${message.id} `);

    expect(await click(r, 'incident.resolve', buttonValue(acked, 'incident.resolve'), 'U0ERIN', message)).toBe(200);

    await waitFor(async () => (await storedIncident(r, message.id)).state === 'resolved', { message: 'incident not resolved in Redis' });
    expect(await incidentTimeline(r, message.id)).toContainEqual(expect.objectContaining({ kind: 'resolved', actor: 'U0ERIN' }));
    const update = await updateOf(r, message, `[RESOLVED] INC-${message.id} `);
    expect(buttonsOf(update).size).toBe(0);
  });
});

describe('buttons that cannot act', () => {
  it.each([
    ['incident.ack', 'acknowledged'],
    ['incident.resolve', 'resolved'],
  ])('%s on a resolved incident gets an ephemeral refusal and changes nothing', async (actionId, target) => {
    const message = await incidentOf();
    await click(r, 'incident.resolve', buttonValue(message.post, 'incident.resolve'), 'U0DAVE', message);
    await waitFor(async () => (await storedIncident(r, message.id)).state === 'resolved', { message: 'incident not resolved' });
    const before = await storedIncident(r, message.id);
    const timelineBefore = await incidentTimeline(r, message.id);

    const reply = await clickForReply(r, actionId, buttonValue(message.post, actionId), 'U0LATE', message);
    expect(reply.response_type).toBe('ephemeral');
    expect(reply.replace_original).toBe(false);
    expect(String(reply.text)).toContain(`Incident ${message.id} is resolved; it cannot become ${target}`);

    expect(await storedIncident(r, message.id)).toEqual(before);
    // Nothing changed; a refusal may only be noted (kind "command"), never as a change.
    expect((await incidentTimeline(r, message.id)).filter((e) => e.kind !== 'command')).toEqual(timelineBefore.filter((e) => e.kind !== 'command'));
    expect(await audit(r)).toContainEqual(expect.objectContaining({ actor: 'U0LATE', action: actionId, incidentId: message.id, outcome: 'refused' }));
  });

  it('a click for an id not used yet leaves nothing behind for the incident that later gets that id', async () => {
    // Old messages stay clickable: after a Redis loss or a new key prefix, ids start again,
    // and an old button may name an id the next incident will get.
    const current = await incidentOf();
    const nextId = String(Number(current.id) + 1);
    const reply = await clickForReply(r, 'incident.ack', JSON.stringify({ v: 1, incident: nextId }), 'U0OLDCLICK');
    expect(String(reply.text)).toContain(`No incident ${nextId} is stored`);

    const next = await incidentOf();
    expect(next.id).toBe(nextId);
    const entries = await incidentTimeline(r, next.id);
    expect(entries[0]).toMatchObject({ kind: 'opened', actor: 'alertmanager' });
    expect(entries.some((e) => e.actor === 'U0OLDCLICK')).toBe(false);
  });

  it.each([['incident.ack'], ['incident.resolve']])('%s for an incident that is not stored gets a clear ephemeral message', async (actionId) => {
    const value = JSON.stringify({ v: 1, incident: '424242' });
    const reply = await clickForReply(r, actionId, value, 'U0GHOST');
    expect(reply.response_type).toBe('ephemeral');
    expect(reply.replace_original).toBe(false);
    expect(String(reply.text)).toContain('No incident 424242 is stored');
    // Nothing is stored for an incident that does not exist: no hash, no timeline, no message ref.
    await waitFor(async () => (await audit(r)).some((e) => e.actor === 'U0GHOST' && e.action === actionId), { message: 'the click was not audited' });
    expect(await r.bot.redis.keys(`${r.bot.prefix}incident:424242*`)).toEqual([]);
    expect(await audit(r)).toContainEqual(expect.objectContaining({ actor: 'U0GHOST', action: actionId, incidentId: '424242', outcome: 'refused' }));
  });
});
