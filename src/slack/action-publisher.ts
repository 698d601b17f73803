import type { Logger } from 'pino';
import type { ActionStore } from '../actions/store.js';
import type { ChatApi } from './chat-api.js';
import type { DeliveryQueue } from './delivery-queue.js';
import { RetryLater } from './retry-later.js';
import { afterSlackAnswered } from './delivery/after-slack.js';
import { RefusedVersions } from './delivery/brief-on-refusal.js';
import { namingRefusals } from './delivery/refusal-log.js';
import { reconcileMessage, showsVersion, type MessageSlot } from './message-sync.js';
import { renderActionMessage } from './render/action-message.js';
import { renderMinimalActionMessage, renderMinimalReply } from './render/minimal-message.js';
import { renderActionReply } from './render/thread-reply.js';

const THREAD_LEASE_MS = 30_000;

/**
 * Keeps each action's approval message in step with Redis. The message is posted in the
 * incident's thread when the action belongs to an incident (where its steps are replied
 * by the incident publisher), else in the service's channel, where its steps are replied
 * in the message's own thread.
 */
export class ActionPublisher {
  private readonly refusals = new RefusedVersions();

  constructor(
    private readonly queue: DeliveryQueue,
    private readonly chat: ChatApi,
    private readonly store: ActionStore,
    private readonly log: Logger,
  ) {}

  /** After a change: noted in Redis first, so a sweep on any replica finds it if this one dies. */
  actionChanged(actionId: string): void {
    this.store
      .noteActionChanged(actionId, Date.now())
      .catch((error: unknown) => this.log.warn({ err: error, actionId }, 'change not noted for the reconciler; the delivery goes on'));
    this.queue.enqueue(`action:${actionId}`, () => this.sync(actionId));
  }

  /** Brings the approval message (and a standalone action's thread) to what Redis holds, unless its delivery is queued already. */
  reconcile(actionId: string): void {
    this.queue.ensure(`action:${actionId}`, () => this.sync(actionId));
  }

  /** Whether the approval message or its thread is behind what Redis holds; one with a delivery queued here is, without asking Redis. */
  async isBehind(actionId: string): Promise<boolean> {
    if (this.queue.has(`action:${actionId}`)) return true;
    const [action, ref] = await Promise.all([this.store.getAction(actionId), this.store.getActionMessage(actionId)]);
    if (!action) return false;
    if (!showsVersion(ref, action.version)) return true;
    if (action.incidentId) return false;
    const [cursor, entries] = await Promise.all([this.store.replyCursor(actionId), this.store.actionTimeline(actionId)]);
    return Math.max(cursor, 1) < entries.length;
  }

  private async sync(actionId: string): Promise<void> {
    let action = await this.store.getAction(actionId);
    if (!action) return;
    const slot: MessageSlot = {
      label: `action ${actionId}`,
      ref: () => this.store.getActionMessage(actionId),
      save: (ref) => this.store.setActionMessage(actionId, ref),
      lease: (ttlMs) => this.store.lease(`message:action:${actionId}`, ttlMs),
      refusals: this.refusals,
    };
    const context = () => ({ channel: action?.channel, service: action?.service, incidentId: action?.incidentId, actionId });
    await namingRefusals(this.log, context, async () => {
      const result = await reconcileMessage(this.chat, slot, async () => {
        action = await this.store.getAction(actionId);
        if (!action) return undefined;
        return {
          version: action.version,
          message: renderActionMessage(action),
          brief: renderMinimalActionMessage(action),
          where: { channel: action.channel, ...(action.threadTs ? { thread_ts: action.threadTs } : {}) },
        };
      });
      if (result?.refused)
        this.log.warn({ actionId, channel: result.ref.channel, reason: result.refused }, 'Slack refused the approval message; sent it in brief');
      if (result?.posted) this.log.info({ actionId, channel: result.ref.channel, ts: result.ref.ts }, 'approval message posted');
      const ref = result?.ref ?? (await this.store.getActionMessage(actionId));
      if (ref && action && !action.incidentId) await this.replyNewSteps(actionId, ref);
    });
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
      const reply = (text: string) => this.chat.postMessage({ channel: ref.channel, thread_ts: ref.ts, text });
      const whole = renderActionReply(fresh, actionId);
      const { refused } = await this.refusals.send(`thread of action ${actionId}`, cursor, reply, whole, renderMinimalReply(fresh.length, undefined));
      if (refused) this.log.warn({ actionId, reason: refused, entries: fresh.length }, 'Slack refused a thread reply; sent it in brief');
      await afterSlackAnswered(() => this.store.setReplyCursor(actionId, entries.length));
    } finally {
      await afterSlackAnswered(release);
    }
  }
}
