import type { Logger } from 'pino';
import type { ActionStore } from '../actions/store.js';
import type { ChatApi } from './chat-api.js';
import { RetryLater, type DeliveryQueue } from './delivery-queue.js';
import { postOrUpdate, type MessageSlot } from './message-sync.js';
import { renderActionMessage } from './render/action-message.js';
import { renderActionEntry } from './render/timeline.js';

const THREAD_LEASE_MS = 30_000;

/**
 * Keeps each action's approval message in step with Redis. The message is posted in the
 * incident's thread when the action belongs to an incident (where its steps are replied
 * by the incident publisher), else in the service's channel, where its steps are replied
 * in the message's own thread.
 */
export class ActionPublisher {
  constructor(
    private readonly queue: DeliveryQueue,
    private readonly chat: ChatApi,
    private readonly store: ActionStore,
    private readonly log: Logger,
  ) {}

  actionChanged(actionId: string): void {
    this.queue.enqueue(`action:${actionId}`, () => this.sync(actionId));
  }

  private async sync(actionId: string): Promise<void> {
    const action = await this.store.getAction(actionId);
    if (!action) return;
    const slot: MessageSlot = {
      label: `action ${actionId}`,
      ref: () => this.store.getActionMessage(actionId),
      save: (ref) => this.store.setActionMessage(actionId, ref),
      lease: (ttlMs) => this.store.lease(`action-post:${actionId}`, ttlMs),
    };
    const where = { channel: action.channel, ...(action.threadTs ? { thread_ts: action.threadTs } : {}) };
    const { ref, posted } = await postOrUpdate(this.chat, slot, renderActionMessage(action), where);
    if (posted) this.log.info({ actionId, channel: ref.channel, ts: ref.ts }, 'approval message posted');
    else if (!action.incidentId) await this.replyNewSteps(actionId, ref);
  }

  private async replyNewSteps(actionId: string, ref: { channel: string; ts: string }): Promise<void> {
    const release = await this.store.lease(`action-thread:${actionId}`, THREAD_LEASE_MS);
    if (!release) throw RetryLater.waitingOn('another replica is replying in this thread');
    try {
      const entries = await this.store.actionTimeline(actionId);
      const cursor = await this.store.replyCursor(actionId);
      // The first entry (the request) is the approval message itself.
      const fresh = entries.slice(Math.max(cursor, 1));
      if (fresh.length === 0) return;
      await this.chat.postMessage({ channel: ref.channel, thread_ts: ref.ts, text: fresh.map(renderActionEntry).join('\n') });
      await this.store.setReplyCursor(actionId, entries.length);
    } finally {
      await release();
    }
  }
}
