import type { Logger } from 'pino';
import type { Incident, TimelineEntry, TimelineKind } from '../incidents/incident.js';
import type { RunbookActionRef } from '../runbooks/match.js';
import type { IncidentStore, MessageRefStore } from '../incidents/store.js';
import type { ChatApi } from './chat-api.js';
import { RetryLater, type DeliveryQueue } from './delivery-queue.js';
import { postOrUpdate, type MessageSlot } from './message-sync.js';
import { renderIncidentMessage } from './render/incident-message.js';
import { renderThreadReply } from './render/thread-reply.js';

/**
 * Timeline kinds that go to the thread. Alert-level changes are shown by the message
 * itself (counts and list) and kept in the timeline; posting each one would flood the
 * channel during a storm.
 */
const THREAD_KINDS: ReadonlySet<TimelineKind> = new Set(['acknowledged', 'resolved', 'reopened', 'action', 'reminder']);

export function threadWorthy(entries: readonly TimelineEntry[]): TimelineEntry[] {
  return entries.filter((e) => THREAD_KINDS.has(e.kind));
}

const THREAD_LEASE_MS = 30_000;

/** Keeps each incident's Slack message and thread in step with what Redis holds. */
export class IncidentPublisher {
  constructor(
    private readonly queue: DeliveryQueue,
    private readonly chat: ChatApi,
    private readonly store: IncidentStore & MessageRefStore,
    private readonly log: Logger,
    private readonly runbookActions: (incident: Incident) => RunbookActionRef[] = () => [],
  ) {}

  incidentChanged(incidentId: string): void {
    this.queue.enqueue(`message:${incidentId}`, () => this.syncMessage(incidentId));
    this.queue.enqueue(`thread:${incidentId}`, () => this.syncThread(incidentId));
  }

  private async syncMessage(incidentId: string): Promise<void> {
    const incident = await this.store.get(incidentId);
    if (!incident) return;
    const slot: MessageSlot = {
      label: `incident ${incidentId}`,
      ref: () => this.store.getMessageRef(incidentId),
      save: (ref) => this.store.setMessageRef(incidentId, ref),
      lease: (ttlMs) => this.store.lease(`first-post:${incidentId}`, ttlMs),
    };
    const { ref, posted } = await postOrUpdate(this.chat, slot, renderIncidentMessage(incident, this.runbookActions(incident)), { channel: incident.channel });
    if (posted) this.log.info({ incidentId, channel: ref.channel, ts: ref.ts }, 'incident message posted');
  }

  private async syncThread(incidentId: string): Promise<void> {
    const ref = await this.store.getMessageRef(incidentId);
    if (!ref) {
      if (!(await this.store.get(incidentId))) return;
      throw RetryLater.waitingOn('incident message not posted yet');
    }
    const release = await this.store.lease(`thread:${incidentId}`, THREAD_LEASE_MS);
    if (!release) throw RetryLater.waitingOn('another replica is replying in this thread');
    try {
      const cursor = await this.store.threadCursor(incidentId);
      const fresh = await this.store.timeline(incidentId, cursor);
      if (fresh.length === 0) return;
      const worthy = threadWorthy(fresh);
      if (worthy.length > 0) {
        await this.chat.postMessage({ channel: ref.channel, thread_ts: ref.ts, text: renderThreadReply(worthy) });
      }
      await this.store.setThreadCursor(incidentId, cursor + fresh.length);
    } finally {
      await release();
    }
  }
}
