/**
 * IncidentPublisher over the memory stores and a recording chat port, with the real
 * delivery queue on fake timers: the message is posted once and then updated in place,
 * the thread gets each entry it is for once, replicas do not post twice, and a failed post
 * is retried. What Slack itself receives is tested end to end in test/integration.
 */
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { DeliveryQueue } from '../../src/slack/delivery-queue.js';
import { IncidentPublisher } from '../../src/slack/incident-publisher.js';
import { memoryStores, type MemoryStores } from '../../src/store/memory/index.js';
import { entry, incidentDoc } from '../support/documents.js';
import { onFakeTimers } from '../support/clock.js';
import { RecordingChat } from '../support/recording-chat.js';
import { commitIncident } from '../support/commit-incident.js';

const log = pino({ level: 'silent' });

/** Runs every queued delivery, retries included, on the fake clock. */
const settle = onFakeTimers();

function publisher(stores: MemoryStores, chat: RecordingChat): IncidentPublisher {
  return new IncidentPublisher(new DeliveryQueue({ log }), chat, stores.incidents, log);
}

describe('IncidentPublisher', () => {
  it('posts the incident’s message once, in its channel, then updates that same message', async () => {
    const stores = memoryStores();
    const chat = new RecordingChat();
    const p = publisher(stores, chat);
    const opened = await commitIncident(stores.incidents, incidentDoc({ id: '1', channel: 'C0PAYMENTS' }), [entry('opened', 'Incident opened')]);
    p.incidentChanged('1');
    await settle();

    expect(chat.topLevel()).toEqual([expect.objectContaining({ channel: 'C0PAYMENTS', text: expect.stringContaining('INC-1') })]);
    const posted = chat.topLevel()[0];
    expect(await stores.incidents.getMessageRef('1')).toEqual({ channel: 'C0PAYMENTS', ts: posted?.ts, version: 1, state: 'firing' });

    await commitIncident(stores.incidents, { ...opened, state: 'acknowledged', acknowledgedBy: 'U0ALICE' }, [
      entry('acknowledged', 'Acknowledged by U0ALICE', 'U0ALICE'),
    ]);
    p.incidentChanged('1');
    await settle();
    expect(chat.topLevel()).toHaveLength(1);
    expect(chat.updates).toEqual([expect.objectContaining({ channel: 'C0PAYMENTS', ts: posted?.ts, text: expect.stringContaining('ACKNOWLEDGED') })]);
  });

  it('replies in the thread what the thread is for, each entry once, and moves the cursor past everything read', async () => {
    const stores = memoryStores();
    const chat = new RecordingChat();
    const p = publisher(stores, chat);
    const opened = await commitIncident(stores.incidents, incidentDoc({ id: '1' }), [
      entry('opened', 'Incident opened'),
      entry('alert_firing', '2 alerts firing'),
    ]);
    p.incidentChanged('1');
    await settle();
    const ts = chat.topLevel()[0]?.ts ?? '';
    expect(chat.repliesTo(ts)).toEqual([]);
    expect(await stores.incidents.threadCursor('1')).toBe(2);

    const acknowledged = await commitIncident(stores.incidents, { ...opened, state: 'acknowledged' }, [
      entry('acknowledged', 'Acknowledged by U0ALICE', 'U0ALICE'),
    ]);
    await stores.incidents.appendTimeline('1', [entry('command', 'U0BOB looked at it', 'U0BOB')]);
    p.incidentChanged('1');
    p.incidentChanged('1');
    await settle();
    expect(chat.repliesTo(ts).map((reply) => reply.text)).toEqual([expect.stringContaining('Acknowledged by U0ALICE')]);
    expect(chat.repliesTo(ts)[0]?.text).not.toContain('U0BOB looked at it');
    expect(await stores.incidents.threadCursor('1')).toBe(4);

    await commitIncident(stores.incidents, { ...acknowledged, state: 'resolved' }, [entry('resolved', 'Resolved by U0BOB', 'U0BOB')]);
    p.incidentChanged('1');
    await settle();
    expect(chat.repliesTo(ts).map((reply) => reply.text)).toEqual([
      expect.stringContaining('Acknowledged by U0ALICE'),
      expect.stringContaining('Resolved by U0BOB'),
    ]);
  });

  it('two replicas told of the same change post one message between them', async () => {
    const stores = memoryStores();
    const chat = new RecordingChat();
    const replicas = [publisher(stores, chat), publisher(stores, chat)];
    await commitIncident(stores.incidents, incidentDoc({ id: '1' }), [entry('opened', 'Incident opened')]);
    for (const replica of replicas) replica.incidentChanged('1');
    await settle();
    expect(chat.topLevel()).toHaveLength(1);
    expect(chat.updates.every((update) => update.ts === chat.topLevel()[0]?.ts)).toBe(true);
  });

  it('retries a post that failed, and posts the message once', async () => {
    const stores = memoryStores();
    const chat = new RecordingChat();
    const p = publisher(stores, chat);
    await commitIncident(stores.incidents, incidentDoc({ id: '1' }), [entry('opened', 'Incident opened')]);
    chat.failNextPosts(2);
    p.incidentChanged('1');
    await settle();
    expect(chat.topLevel()).toHaveLength(1);
    expect((await stores.incidents.getMessageRef('1'))?.ts).toBe(chat.topLevel()[0]?.ts);
  });

  it('replies in the thread once the message is posted, however late that is', async () => {
    const stores = memoryStores();
    const chat = new RecordingChat();
    const p = publisher(stores, chat);
    const opened = await commitIncident(stores.incidents, incidentDoc({ id: '1' }), [entry('opened', 'Incident opened')]);
    await commitIncident(stores.incidents, { ...opened, state: 'resolved' }, [entry('resolved', 'Resolved by U0BOB', 'U0BOB')]);
    chat.failNextPosts(6);
    p.incidentChanged('1');
    await settle();
    const ts = chat.topLevel()[0]?.ts ?? '';
    expect(chat.repliesTo(ts).map((reply) => reply.text)).toEqual([expect.stringContaining('Resolved by U0BOB')]);
    expect(await stores.incidents.threadCursor('1')).toBe(2);
  });

  it('posts nothing for an incident that is not stored (any more)', async () => {
    const stores = memoryStores();
    const chat = new RecordingChat();
    publisher(stores, chat).incidentChanged('9');
    await settle();
    expect(chat.posts).toEqual([]);
    expect(chat.updates).toEqual([]);
  });
});
