/**
 * Timeline capture through Bolt's real HTTP receiver: the "Add to incident timeline" message
 * shortcut in an incident's thread and in its war room, and a :pushpin: reaction in the war
 * room. The entry has the message's own time and author, and a message is added once.
 */
import { describe, expect, it } from 'vitest';
import { RedisIncidentLocator } from '../../src/store/redis-locator.js';
import { messageShortcut, openIncident, react, rigForFile, threadReply } from '../support/slack-session.js';
import { audit, incidentTimeline } from '../support/stored.js';
import { waitFor } from '../support/wait.js';

const r = rigForFile();
const SHORTCUT = 'incident.timeline_add';
/** 2026-11-22T09:58:20.123Z: long before anyone clicks. */
const WRITTEN_TS = '1795341500.123456';
const WRITTEN_AT = '2026-11-22T09:58:20.123Z';

let rooms = 0;
/** A war room bound to the incident, as the war room's opening does. */
async function roomOf(incidentId: string): Promise<string> {
  rooms += 1;
  const channel = `C0ROOM${rooms}`;
  await new RedisIncidentLocator(r.bot.redis, r.bot.prefix, 60_000).bindRoom(channel, incidentId);
  return channel;
}

const captured = async (incidentId: string) => (await incidentTimeline(r, incidentId)).filter((e) => e.kind === 'captured');

describe('the Add to incident timeline shortcut', () => {
  it("adds a reply in the incident's thread at the message's own time, by its author, once however often it is used", async () => {
    const incident = await openIncident(r);
    const message = { channel: incident.channel, ts: WRITTEN_TS, thread_ts: incident.ts, user: 'U0BOB', text: 'db-1 is swapping &amp; <@U0CAROL> is on it' };

    const reply = await messageShortcut(r, SHORTCUT, message, 'U0ALICE');
    expect(reply.response_type).toBe('ephemeral');
    expect(String(reply.text)).toContain(`Added to the timeline of INC-${incident.id}`);
    expect(await captured(incident.id)).toEqual([
      expect.objectContaining({
        at: WRITTEN_AT,
        actor: 'U0BOB',
        by: 'U0ALICE',
        message: 'db-1 is swapping & @U0CAROL is on it',
        channel: incident.channel,
        ts: WRITTEN_TS,
        permalink: `https://example.slack.com/archives/${incident.channel}/p1795341500123456?thread_ts=${incident.ts}&cid=${incident.channel}`,
      }),
    ]);
    const said = await threadReply(r, incident, 'to the timeline');
    expect(String(said.params.text)).toContain('db-1 is swapping &amp; @U0CAROL is on it');

    const again = await Promise.all([messageShortcut(r, SHORTCUT, message, 'U0DAVE'), messageShortcut(r, SHORTCUT, message, 'U0ALICE')]);
    expect(again.map((a) => String(a.text))).toEqual([expect.stringContaining('already'), expect.stringContaining('already')]);
    expect(await captured(incident.id)).toHaveLength(1);
  });

  it("adds the incident message itself (the thread's parent)", async () => {
    const incident = await openIncident(r);
    const reply = await messageShortcut(r, SHORTCUT, { channel: incident.channel, ts: incident.ts, user: 'U0BOT', text: 'the incident' });
    expect(String(reply.text)).toContain(`INC-${incident.id}`);
    expect(await captured(incident.id)).toHaveLength(1);
  });

  it('adds a message of the war room', async () => {
    const incident = await openIncident(r);
    const room = await roomOf(incident.id);
    const reply = await messageShortcut(r, SHORTCUT, { channel: room, ts: WRITTEN_TS, user: 'U0BOB', text: 'failing over' });
    expect(String(reply.text)).toContain(`INC-${incident.id}`);
    expect(await captured(incident.id)).toEqual([expect.objectContaining({ at: WRITTEN_AT, actor: 'U0BOB', channel: room, message: 'failing over' })]);
  });

  it('answers "not an incident thread" elsewhere, and adds nothing', async () => {
    const incident = await openIncident(r);
    const auditBefore = (await audit(r)).length;
    const reply = await messageShortcut(r, SHORTCUT, { channel: incident.channel, ts: WRITTEN_TS, thread_ts: '1795341400.000001', user: 'U0BOB', text: 'x' });
    expect(reply.response_type).toBe('ephemeral');
    expect(String(reply.text)).toContain('This is not an incident thread');
    expect(await captured(incident.id)).toEqual([]);
    await waitFor(async () => (await audit(r)).length > auditBefore, { message: 'the shortcut is not audited' });
  });
});

describe('a :pushpin: reaction in the war room', () => {
  it('adds the message, fetched from Slack, at its own time and by its author; a second pin adds nothing', async () => {
    const incident = await openIncident(r);
    const room = await roomOf(incident.id);
    r.slack.addMessage(room, { ts: '1795341400.000001', user: 'U0CAROL', text: 'war room open' });
    r.slack.addMessage(room, { ts: WRITTEN_TS, thread_ts: '1795341400.000001', user: 'U0BOB', text: 'rolled back to v41' });

    await react(r, 'U0ALICE', 'pushpin', { channel: room, ts: WRITTEN_TS });
    await waitFor(async () => (await captured(incident.id)).length === 1, { message: 'the pinned message is not on the timeline' });
    expect(await captured(incident.id)).toEqual([
      expect.objectContaining({
        at: WRITTEN_AT,
        actor: 'U0BOB',
        by: 'U0ALICE',
        message: 'rolled back to v41',
        channel: room,
        ts: WRITTEN_TS,
        permalink: `https://example.slack.com/archives/${room}/p1795341500123456`,
      }),
    ]);
    expect(r.slack.callsTo('conversations.replies').at(-1)?.params).toMatchObject({ channel: room, ts: WRITTEN_TS, limit: '2', inclusive: 'true' });

    const pins = async () => (await audit(r)).filter((e) => e.action === 'reaction:pushpin' && e.incidentId === incident.id);
    await react(r, 'U0DAVE', 'pushpin', { channel: room, ts: WRITTEN_TS });
    await waitFor(async () => (await pins()).length === 2, { message: 'the second pin is not audited' });
    expect(await captured(incident.id)).toHaveLength(1);

    // A top-level message of the room is found the same way.
    await react(r, 'U0ALICE', 'pushpin', { channel: room, ts: '1795341400.000001' });
    await waitFor(async () => (await captured(incident.id)).length === 2, { message: 'the top-level message is not on the timeline' });
    expect((await captured(incident.id))[1]).toMatchObject({ actor: 'U0CAROL', message: 'war room open' });
  });

  it('ignores other reactions, and pins outside a war room', async () => {
    const incident = await openIncident(r);
    const room = await roomOf(incident.id);
    r.slack.addMessage(room, { ts: WRITTEN_TS, user: 'U0BOB', text: 'hello' });
    r.slack.addMessage('C0ELSEWHERE', { ts: WRITTEN_TS, user: 'U0BOB', text: 'hello' });
    const repliesBefore = r.slack.callsTo('conversations.replies').length;
    await react(r, 'U0ALICE', 'eyes', { channel: room, ts: WRITTEN_TS });
    await react(r, 'U0ALICE', 'pushpin', { channel: 'C0ELSEWHERE', ts: WRITTEN_TS });
    await react(r, 'U0ALICE', 'pushpin', { channel: incident.channel, ts: incident.ts });
    // The ignored ones leave nothing to wait for: the pin in the room, sent after them, is what is waited for.
    await react(r, 'U0ALICE', 'pushpin', { channel: room, ts: WRITTEN_TS });
    await waitFor(async () => (await captured(incident.id)).length === 1, { message: 'the pin in the room is not on the timeline' });
    expect(r.slack.callsTo('conversations.replies').length).toBe(repliesBefore + 1);
  });
});
