/**
 * ActionPublisher over the memory stores and a recording chat port, with the real delivery
 * queue on fake timers: where the approval message goes, that it is updated in place, and
 * which steps it replies in its own thread.
 */
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { Action, ActionEntry } from '../../src/actions/action.js';
import { ActionPublisher } from '../../src/slack/action-publisher.js';
import { DeliveryQueue } from '../../src/slack/delivery-queue.js';
import { memoryStores, type MemoryStores } from '../../src/store/memory/index.js';
import { actionDoc } from '../support/documents.js';
import { onFakeTimers } from '../support/clock.js';
import { RecordingChat } from '../support/recording-chat.js';

const log = pino({ level: 'silent' });

/** Runs every queued delivery, retries included, on the fake clock. */
const settle = onFakeTimers();

const step = (text: string, actor = 'bot'): ActionEntry => ({ at: '2026-11-22T10:00:00.000Z', actor, text });

function publisher(stores: MemoryStores, chat: RecordingChat): ActionPublisher {
  return new ActionPublisher(new DeliveryQueue({ log }), chat, stores.actions, log);
}

/** Stores the action's next version with one step, as the actions layer does. */
async function commit(stores: MemoryStores, action: Action, text: string): Promise<Action> {
  expect(await stores.actions.commitAction({ action, expectedVersion: action.version, entry: step(text) })).toBe(true);
  return { ...action, version: action.version + 1 };
}

describe('ActionPublisher', () => {
  it('posts a standalone request in its service’s channel, updates it in place and replies each later step in its own thread, once', async () => {
    const stores = memoryStores();
    const chat = new RecordingChat();
    const p = publisher(stores, chat);
    const requested = await commit(stores, actionDoc({ id: '1', channel: 'C0PAYMENTS' }), 'U0ALICE requested ACT-1');
    p.actionChanged('1');
    await settle();
    expect(chat.posts).toEqual([expect.objectContaining({ channel: 'C0PAYMENTS', text: expect.stringContaining('ACT-1') })]);
    const ts = chat.posts[0]?.ts ?? '';
    expect(await stores.actions.getActionMessage('1')).toEqual({ channel: 'C0PAYMENTS', ts, version: requested.version });

    const approved = await commit(stores, { ...requested, state: 'approved', approvedBy: ['U0BOB'] }, 'U0BOB approved ACT-1');
    await commit(stores, { ...approved, state: 'running' }, 'ACT-1 started');
    p.actionChanged('1');
    await settle();
    expect(chat.updates).toEqual([expect.objectContaining({ channel: 'C0PAYMENTS', ts, text: expect.stringContaining('ACT-1') })]);
    expect(chat.repliesTo(ts).map((reply) => reply.text)).toEqual(['U0BOB approved ACT-1\nACT-1 started']);
    expect(await stores.actions.replyCursor('1')).toBe(3);

    p.actionChanged('1');
    await settle();
    expect(chat.repliesTo(ts)).toHaveLength(1);
    expect(chat.topLevel()).toHaveLength(1);
  });

  it('posts a request of an incident in the incident’s thread, and leaves its steps to the incident’s thread', async () => {
    const stores = memoryStores();
    const chat = new RecordingChat();
    const p = publisher(stores, chat);
    const requested = await commit(stores, actionDoc({ id: '1', incidentId: '4', threadTs: '1700000000.000777' }), 'U0ALICE requested ACT-1');
    p.actionChanged('1');
    await settle();
    expect(chat.posts).toEqual([expect.objectContaining({ channel: 'C0PAYMENTS', thread_ts: '1700000000.000777' })]);

    await commit(stores, { ...requested, state: 'denied', decidedBy: 'U0BOB' }, 'U0BOB denied ACT-1');
    p.actionChanged('1');
    await settle();
    expect(chat.updates).toHaveLength(1);
    expect(chat.posts).toHaveLength(1);
    expect(await stores.actions.replyCursor('1')).toBe(0);
  });

  it('two replicas told of the same request post one approval message between them', async () => {
    const stores = memoryStores();
    const chat = new RecordingChat();
    await commit(stores, actionDoc({ id: '1' }), 'U0ALICE requested ACT-1');
    for (const replica of [publisher(stores, chat), publisher(stores, chat)]) replica.actionChanged('1');
    await settle();
    expect(chat.topLevel()).toHaveLength(1);
  });

  it('posts nothing for an action that is not stored (any more)', async () => {
    const stores = memoryStores();
    const chat = new RecordingChat();
    publisher(stores, chat).actionChanged('9');
    await settle();
    expect(chat.posts).toEqual([]);
  });
});
