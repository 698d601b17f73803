/**
 * War rooms (issue 11): `/incident room`, the "Open war room" button and rooms a service asks
 * for by severity, through Bolt's real HTTP receiver, on real Redis, with Slack faked at the
 * HTTP edge (conversations.create, .invite, .setTopic, .archive, usergroups.users.list).
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_SERVICES, startTestBot } from '../support/bot.js';
import { commitIncident } from '../support/commit-incident.js';
import { storeOf } from '../support/convergence.js';
import type { SlackCall } from '../support/fake-slack.js';
import { RedisRoomCreations } from '../../src/store/redis-room-creations.js';
import { notification } from '../support/fixtures.js';
import {
  blockText,
  buttonValue,
  click,
  clickForReply,
  openIncident,
  react,
  rigForFile,
  slash,
  type SlackRig,
  threadReply,
  updateOf,
} from '../support/slack-session.js';
import { incidentTimeline, storedIncident } from '../support/stored.js';
import { found, waitFor } from '../support/wait.js';

const SERVICES = `${DEFAULT_SERVICES}  billing:
    channel: C0BILLING
    war_room: { when_severity: [critical] }
  ledger:
    channel: C0LEDGER
    oncall: S0LEDGERONCALL
`;
// A 1 s sweep, so that an automatic room whose opening failed is tried again within the test's wait.
const r = rigForFile({ services: SERVICES, env: { SLACK_RECONCILE_INTERVAL: '1s', SWEEP_INTERVAL: '1s' } });

type Room = { channel: string; name: string; archived?: boolean };

const roomOf = async (id: string): Promise<Room> =>
  found(async () => (await storedIncident(r, id)).doc.room as Room | undefined, { timeoutMs: 10_000, message: `INC-${id} got no room` });
const createsOf = (name: string) => r.slack.callsTo('conversations.create').filter((c) => String(c.params.name).startsWith(name));
/** Top-level posts in a channel. */
const postsIn = (channel: string) => r.slack.callsTo('chat.postMessage').filter((c) => c.params.channel === channel && c.params.thread_ts === undefined);

/**
 * Holds every conversations.create answer until `released()` (both requests are in) or a
 * second create arrives, so that the requests overlap however fast the first one would be.
 */
function holdCreates(released: () => boolean): void {
  r.slack.beforeReply = async (call: SlackCall) => {
    if (call.method !== 'conversations.create') return;
    await waitFor(() => released() || r.slack.callsTo('conversations.create').length >= 2, { timeoutMs: 3_000 }).catch(() => undefined);
  };
}

describe('opening a war room', () => {
  it('makes one room for two concurrent clicks, and the second clicker is told it is being opened', async () => {
    const message = await openIncident(r);
    const value = buttonValue(message.post, 'incident.room');
    const replies = r.slack.callsTo('response_url').length;
    holdCreates(() => r.slack.callsTo('response_url').length > replies);
    try {
      const clicks = await Promise.all([click(r, 'incident.room', value, 'U0ALICE', message), click(r, 'incident.room', value, 'U0BOB', message)]);
      expect(clicks).toEqual([200, 200]);
      const room = await roomOf(message.id);
      await r.slack.waitForCalls('response_url', replies + 2);
      expect(room.name).toBe(`inc-${message.id}-payment-service`);
      expect(createsOf(`inc-${message.id}-`)).toHaveLength(1);
      const answers = r.slack
        .callsTo('response_url')
        .slice(replies)
        .map((c) => String(c.params.text));
      expect(answers).toEqual(expect.arrayContaining([expect.stringContaining('being opened'), expect.stringContaining(`<#${room.channel}>`)]));
      expect((await incidentTimeline(r, message.id)).filter((e) => e.kind === 'room')).toHaveLength(1);
    } finally {
      r.slack.beforeReply = undefined;
    }
  });

  it('makes one room when two replicas on one Redis are asked at once', async () => {
    const replica = await startTestBot({ slack: r.slack, services: SERVICES, prefix: r.bot.prefix });
    try {
      const onReplica: SlackRig = { slack: r.slack, bot: replica };
      const message = await openIncident(r);
      const replies = r.slack.callsTo('response_url').length;
      holdCreates(() => r.slack.callsTo('response_url').length > replies);
      await Promise.all([
        slash(r, '/incident', `room INC-${message.id}`),
        clickForReply(onReplica, 'incident.room', buttonValue(message.post, 'incident.room'), 'U0BOB', message),
      ]);
      const room = await roomOf(message.id);
      expect(createsOf(`inc-${message.id}-`)).toHaveLength(1);
      expect(r.slack.channelNamed(room.name)?.id).toBe(room.channel);
    } finally {
      r.slack.beforeReply = undefined;
      await replica.app.stop();
      replica.redis.disconnect();
    }
  });

  it('takes the next suffix when the name is taken by another channel, without listing the channels', async () => {
    const message = await openIncident(r);
    r.slack.takeChannelName(`inc-${message.id}-payment-service`);
    const listed = r.slack.callsTo('conversations.list').length;
    const reply = await slash(r, '/incident', `room INC-${message.id}`);
    const room = await roomOf(message.id);
    expect(room.name).toBe(`inc-${message.id}-payment-service-2`);
    expect(String(reply.text)).toContain(`<#${room.channel}>`);
    expect(createsOf(`inc-${message.id}-`).map((c) => c.params.name)).toEqual([`inc-${message.id}-payment-service`, `inc-${message.id}-payment-service-2`]);
    expect(r.slack.callsTo('conversations.list')).toHaveLength(listed);
  });

  it('after a create whose answer was lost, finds the channel Slack made by its name instead of creating again', async () => {
    const message = await openIncident(r);
    const name = `inc-${message.id}-payment-service`;
    // Slack makes the channel, then the answer is a 500: the bot cannot know it was made.
    r.slack.script('conversations.create', { status: 500, body: { ok: false, error: 'internal_error' }, when: (p) => p.name === name });
    r.slack.beforeReply = (call) => {
      if (call.method === 'conversations.create' && call.params.name === name && !r.slack.channelNamed(name)) r.slack.takeChannelName(name, 'U0BOT');
    };
    try {
      await slash(r, '/incident', `room INC-${message.id}`);
      const room = await roomOf(message.id);
      expect(room).toEqual({ channel: r.slack.channelNamed(name)?.id, name });
      expect(createsOf(`inc-${message.id}-`)).toHaveLength(1);
      expect(r.slack.callsTo('conversations.list').length).toBeGreaterThan(0);
    } finally {
      r.slack.beforeReply = undefined;
    }
  });

  it('adopts the channel a replica created and died before recording, from Redis rather than by listing, and invites to it', async () => {
    const message = await openIncident(r);
    const left = r.slack.takeChannelName(`inc-${message.id}-payment-service`, 'U0BOT');
    // What the replica wrote right after Slack created the channel, before its topic and invitations.
    await new RedisRoomCreations(r.bot.redis, r.bot.prefix, 60_000).remember(message.id, { channel: left.id, name: left.name });
    const listed = r.slack.callsTo('conversations.list').length;
    await slash(r, '/incident', `room INC-${message.id}`, 'U0ALICE');
    expect(await roomOf(message.id)).toEqual({ channel: left.id, name: left.name });
    expect(createsOf(`inc-${message.id}-`)).toEqual([]);
    expect(r.slack.callsTo('conversations.list')).toHaveLength(listed);
    expect(r.slack.channels.get(left.id)?.members).toContain('U0ALICE');
  });

  it('invites the requester, the commander and the on-call group, and sets the topic to the summary and state', async () => {
    r.slack.setUserGroup('S0LEDGERONCALL', ['U0ON1', 'U0ON2']);
    const message = await openIncident(r, { service: 'ledger' });
    const store = storeOf(r.bot.redis, r.bot.prefix);
    const incident = await store.get(message.id);
    if (!incident) throw new Error('no incident');
    await commitIncident(store, { ...incident, commander: 'U0LEAD' }, []);

    await slash(r, '/incident', `room INC-${message.id}`, 'U0ALICE');
    const room = await roomOf(message.id);
    const channel = r.slack.channels.get(room.channel);
    expect(channel?.members.sort()).toEqual(['U0ALICE', 'U0BOT', 'U0LEAD', 'U0ON1', 'U0ON2']);
    expect(channel?.topic.value).toMatch(new RegExp(`^INC-${message.id} \\[FIRING\\] \\w+ on ledger$`));
  });
});

describe('the two copies of the incident message', () => {
  it('posts the live message in the room, links the room from the original, and keeps both up to date after a fault', async () => {
    const message = await openIncident(r);
    await slash(r, '/incident', `room INC-${message.id}`);
    const room = await roomOf(message.id);
    const copy = await found(() => postsIn(room.channel).find((c) => String(c.params.text).includes(`INC-${message.id} `)), {
      timeoutMs: 10_000,
      message: 'no copy of the message in the room',
    });
    const linked = await found(() => r.slack.callsTo('chat.update').find((c) => c.params.ts === message.ts && blockText(c).includes(`<#${room.channel}>`)), {
      timeoutMs: 10_000,
      message: 'the original message never linked the room',
    });
    expect(buttonValue(copy, 'incident.ack')).toBe(buttonValue(linked, 'incident.ack'));

    // The room copy's first update fails as a 5xx would: the delivery retries it until it shows the ack.
    r.slack.script('chat.update', { status: 500, body: { ok: false, error: 'internal_error' }, when: (p) => p.channel === room.channel });
    await slash(r, '/incident', `ack INC-${message.id}`, 'U0BOB');
    await updateOf(r, message, `[ACKNOWLEDGED] INC-${message.id} `);
    const copyTs = String(copy.result?.ts);
    await found(
      () =>
        r.slack
          .callsTo('chat.update')
          .find((c) => c.params.ts === copyTs && c.params.channel === room.channel && c.result && String(c.params.text).startsWith('[ACKNOWLEDGED]')),
      { timeoutMs: 15_000, message: 'the room copy never showed the ack' },
    );
    const version = Number((await storedIncident(r, message.id)).version);
    await waitFor(async () => (await storeOf(r.bot.redis, r.bot.prefix).getMessageRef(message.id, 'room'))?.version === version, {
      timeoutMs: 10_000,
      message: 'the room copy reference never recorded the version it shows',
    });
    // The topic follows the state; the original's thread says the room was opened.
    await waitFor(() => r.slack.channels.get(room.channel)?.topic.value.startsWith(`INC-${message.id} [ACKNOWLEDGED]`), {
      timeoutMs: 10_000,
      message: 'the room topic never showed the ack',
    });
    await threadReply(r, message, `<@U0ALICE> opened the war room <#${room.channel}>`);
  });

  it('is brought up to date by the reconciler when its reference is behind Redis, as the channel copy is', async () => {
    const message = await openIncident(r);
    await slash(r, '/incident', `room INC-${message.id}`);
    const room = await roomOf(message.id);
    const store = storeOf(r.bot.redis, r.bot.prefix);
    const version = Number((await storedIncident(r, message.id)).version);
    const shown = await found(
      async () => {
        const ref = await store.getMessageRef(message.id, 'room');
        return ref?.version === version ? ref : undefined;
      },
      { timeoutMs: 10_000, message: 'the room copy never showed the room' },
    );
    // As if the record of the last update was lost: only a sweep comparing it with Redis finds it.
    const updates = r.slack.callsTo('chat.update').length;
    await store.setMessageRef(message.id, { ...shown, version: version - 1 }, 'room');
    await found(
      () =>
        r.slack
          .callsTo('chat.update')
          .slice(updates)
          .find((c) => c.params.channel === room.channel && c.params.ts === shown.ts),
      { timeoutMs: 10_000, message: 'the reconciler never brought the room copy up to date' },
    );
    expect((await store.getMessageRef(message.id, 'room'))?.version).toBe(version);
  });
});

describe('a room by severity', () => {
  it('opens by itself for a service whose war_room asks for it at the incident severity', async () => {
    const message = await openIncident(r, { service: 'billing' });
    const room = await roomOf(message.id);
    expect(room.name).toBe(`inc-${message.id}-billing`);
    expect(await incidentTimeline(r, message.id)).toContainEqual(expect.objectContaining({ kind: 'room', verb: 'opened', actor: 'bot' }));
  });

  it('opens it on a later sweep when Slack refused the first try, with no further change of the incident', async () => {
    const next = Number(await r.bot.redis.get(`${r.bot.prefix}incident:seq`)) + 1;
    r.slack.script('conversations.create', { status: 200, body: { ok: false, error: 'restricted_action' }, when: (p) => p.name === `inc-${next}-billing` });
    const message = await openIncident(r, { service: 'billing' });
    expect(message.id).toBe(String(next));
    const room = await roomOf(message.id);
    expect(room.name).toBe(`inc-${message.id}-billing`);
    expect(createsOf(`inc-${message.id}-`)).toHaveLength(2);
  });

  it('opens none for a service without war_room', async () => {
    const message = await openIncident(r, { service: 'checkout' });
    await slash(r, '/incident', `show INC-${message.id}`);
    expect(createsOf(`inc-${message.id}-`)).toEqual([]);
  });

  it('is where a :pushpin: adds a message to the incident timeline, once the bot opened it', async () => {
    const message = await openIncident(r);
    await slash(r, '/incident', `room INC-${message.id}`);
    const room = await roomOf(message.id);
    r.slack.addMessage(room.channel, { ts: '1795341400.000002', user: 'U0BOB', text: 'restarting the canary' });
    await react(r, 'U0ALICE', 'pushpin', { channel: room.channel, ts: '1795341400.000002' });
    const captured = async () => (await incidentTimeline(r, message.id)).filter((e) => e.kind === 'captured');
    await waitFor(async () => (await captured()).length === 1, { message: 'a pin in the bot-made room added nothing to the timeline' });
    expect(await captured()).toEqual([expect.objectContaining({ actor: 'U0BOB', message: 'restarting the canary', channel: room.channel })]);
  });
});

describe('resolving and closing', () => {
  it('says in the room that the incident resolved, and /incident close archives the room and records it', async () => {
    const message = await openIncident(r);
    await slash(r, '/incident', `room INC-${message.id}`);
    const room = await roomOf(message.id);

    const early = await slash(r, '/incident', `close INC-${message.id}`);
    expect(String(early.text)).toContain('not resolved yet');
    expect(r.slack.callsTo('conversations.archive')).not.toContainEqual(
      expect.objectContaining({ params: expect.objectContaining({ channel: room.channel }) }),
    );

    await slash(r, '/incident', `resolve INC-${message.id}`, 'U0BOB');
    await found(() => postsIn(room.channel).find((c) => String(c.params.text).includes(`INC-${message.id} is resolved (resolved by <@U0BOB>)`)), {
      timeoutMs: 10_000,
      message: 'the room was never told the incident resolved',
    });

    const closed = await slash(r, '/incident', `close INC-${message.id}`, 'U0BOB');
    expect(String(closed.text)).toContain('archived');
    expect(r.slack.channels.get(room.channel)?.is_archived).toBe(true);
    expect((await roomOf(message.id)).archived).toBe(true);
    expect(await incidentTimeline(r, message.id)).toContainEqual(expect.objectContaining({ kind: 'room', verb: 'archived', actor: 'U0BOB' }));
  });
});

/** Posts and updates the bot sent to a channel. */
const callsIn = (channel: string) => [...r.slack.callsTo('chat.postMessage'), ...r.slack.callsTo('chat.update')].filter((c) => c.params.channel === channel);

/** A room opened with `/incident room`, once its copy of the incident message is in it. */
async function roomWithCopy(id: string): Promise<Room> {
  await slash(r, '/incident', `room INC-${id}`);
  const room = await roomOf(id);
  await found(() => postsIn(room.channel).find((c) => String(c.params.text).includes(`INC-${id} `) && c.result), {
    timeoutMs: 10_000,
    message: 'no copy of the message in the room',
  });
  return room;
}

const goneRoomOf = (id: string) =>
  found(
    async () => {
      const room = (await storedIncident(r, id)).doc.room as Room & { gone?: boolean };
      return room.gone ? room : undefined;
    },
    { timeoutMs: 10_000, message: `the room of INC-${id} was never recorded gone` },
  );

/** An incident with its room and the room's copy, whose channel someone then archived in Slack. */
async function roomArchivedByHand() {
  const message = await openIncident(r);
  const room = await roomWithCopy(message.id);
  const channel = r.slack.channels.get(room.channel);
  if (!channel) throw new Error('no room channel');
  channel.is_archived = true;
  return { message, room };
}

describe('a room gone from Slack', () => {
  it('archived by hand, is recorded gone at the next refusal and no longer synced', async () => {
    const { message, room } = await roomArchivedByHand();

    await slash(r, '/incident', `ack INC-${message.id}`, 'U0BOB');
    expect(await goneRoomOf(message.id)).toEqual({ ...room, archived: true, gone: true });
    expect(await incidentTimeline(r, message.id)).toContainEqual(expect.objectContaining({ kind: 'room', verb: 'gone', actor: 'bot' }));

    // The next change reaches the channel's message and nothing in the room: the refusal is not retried.
    const tried = callsIn(room.channel).length;
    await slash(r, '/incident', `resolve INC-${message.id}`, 'U0BOB');
    await updateOf(r, message, `[RESOLVED] INC-${message.id} `);
    await threadReply(r, message, 'is gone from Slack');
    expect(callsIn(room.channel)).toHaveLength(tried);
  });

  it('gives way to a new room on /incident room, under the next name since the archived channel keeps its own', async () => {
    const { message, room } = await roomArchivedByHand();
    await slash(r, '/incident', `ack INC-${message.id}`, 'U0BOB');
    await goneRoomOf(message.id);

    const reply = await slash(r, '/incident', `room INC-${message.id}`, 'U0ALICE');
    const next = await roomOf(message.id);
    expect(next).toEqual({ channel: r.slack.channelNamed(`${room.name}-2`)?.id, name: `${room.name}-2` });
    expect(String(reply.text)).toContain(`<#${next.channel}>`);
  });

  it('with the bot removed from it (not_in_channel), is recorded gone when the room news is refused', async () => {
    const message = await openIncident(r);
    const room = await roomWithCopy(message.id);
    r.slack.script('chat.postMessage', { status: 200, body: { ok: false, error: 'not_in_channel' }, when: (p) => p.channel === room.channel }, 100);
    try {
      await slash(r, '/incident', `resolve INC-${message.id}`, 'U0BOB');
      expect(await goneRoomOf(message.id)).toMatchObject({ channel: room.channel, gone: true });
    } finally {
      r.slack.recover('chat.postMessage');
    }
  });
});

describe('a room after the incident fires again', () => {
  const fire = (group: string, service: string, startsAt: string, status: 'firing' | 'resolved' = 'firing') =>
    r.bot.postWebhook(notification({ group, service, alerts: [{ fingerprint: `${group}-a`, startsAt, status }] }));

  it('opens a new room on /incident room once the first was archived by /incident close', async () => {
    const message = await openIncident(r);
    const first = await roomWithCopy(message.id);
    await fire(message.group, 'payment-service', '2026-11-22T00:00:00Z', 'resolved');
    await waitFor(async () => (await storedIncident(r, message.id)).state === 'resolved', { message: 'never resolved' });
    await slash(r, '/incident', `close INC-${message.id}`, 'U0BOB');
    await fire(message.group, 'payment-service', '2026-11-22T00:05:00Z');
    await waitFor(async () => (await storedIncident(r, message.id)).state === 'firing', { message: 'never fired again' });

    const reply = await slash(r, '/incident', `room INC-${message.id}`, 'U0ALICE');
    const second = await found(
      async () => {
        const room = (await storedIncident(r, message.id)).doc.room as Room;
        return room.channel !== first.channel ? room : undefined;
      },
      { timeoutMs: 10_000, message: 'no second room' },
    );
    expect(second).toEqual({ channel: r.slack.channelNamed(`${first.name}-2`)?.id, name: `${first.name}-2` });
    expect(String(reply.text)).toContain(`<#${second.channel}>`);
    expect(r.slack.channels.get(second.channel)?.members).toContain('U0ALICE');
    // The new room gets its own copy of the message, not updates of the one in the archived room.
    await found(() => postsIn(second.channel).find((c) => String(c.params.text).includes(`INC-${message.id} `) && c.result), {
      timeoutMs: 10_000,
      message: 'no copy of the message in the new room',
    });
    expect((await storedIncident(r, message.id)).doc.room).toEqual(second);
  });

  it('opens a new one by itself for a service whose war_room asks for it', async () => {
    const message = await openIncident(r, { service: 'billing' });
    const first = await roomOf(message.id);
    await fire(message.group, 'billing', '2026-11-22T00:00:00Z', 'resolved');
    await waitFor(async () => (await storedIncident(r, message.id)).state === 'resolved', { message: 'never resolved' });
    await slash(r, '/incident', `close INC-${message.id}`, 'U0BOB');
    await fire(message.group, 'billing', '2026-11-22T00:05:00Z');
    await found(() => r.slack.channelNamed(`${first.name}-2`), { timeoutMs: 10_000, message: 'no second room by severity' });
    const second = await found(
      async () => {
        const room = (await storedIncident(r, message.id)).doc.room as Room;
        return room.name === `${first.name}-2` ? room : undefined;
      },
      { timeoutMs: 10_000, message: 'second room not recorded' },
    );
    await found(() => postsIn(second.channel).find((c) => String(c.params.text).includes(`INC-${message.id} `) && c.result), {
      timeoutMs: 10_000,
      message: 'no copy of the message in the new room',
    });
    expect((await storedIncident(r, message.id)).doc.room).toEqual(second);
  });
});

describe('a commander named after the room opened', () => {
  it('is invited to the room', async () => {
    const message = await openIncident(r);
    const room = await roomWithCopy(message.id);
    expect(r.slack.channels.get(room.channel)?.members).not.toContain('U0CAROL');
    await click(r, 'incident.lead', buttonValue(message.post, 'incident.lead'), 'U0CAROL', message);
    await waitFor(() => r.slack.channels.get(room.channel)?.members.includes('U0CAROL') === true, {
      timeoutMs: 10_000,
      message: 'the new commander was never invited to the room',
    });
  });
});
