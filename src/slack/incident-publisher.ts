import type { Logger } from 'pino';
import type { Incident, TimelineEntry, TimelineKind } from '../incidents/incident.js';
import type { RunbookActionRef } from '../runbooks/match.js';
import type { IncidentStore, MessageRefStore, SlackMessageRef } from '../incidents/store.js';
import type { ChatApi } from './chat-api.js';
import { RetryLater, type DeliveryQueue } from './delivery-queue.js';
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

/** Long enough for a slow first post to finish; short enough that a crashed replica's claim lapses. */
const FIRST_POST_CLAIM_MS = 60_000;
const THREAD_LEASE_MS = 30_000;
const NOT_READY_RETRY_MS = 1_000;

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
    const message = renderIncidentMessage(incident, this.runbookActions(incident));
    const ref = await this.store.getMessageRef(incidentId);
    if (ref) {
      await this.chat.update({ channel: ref.channel, ts: ref.ts, ...message });
      return;
    }
    const release = await this.store.lease(`first-post:${incidentId}`, FIRST_POST_CLAIM_MS);
    if (!release) throw new RetryLater('another replica is posting this incident', NOT_READY_RETRY_MS);
    let posted: SlackMessageRef;
    try {
      posted = await this.chat.postMessage({ channel: incident.channel, ...message });
    } catch (error) {
      await release();
      throw error;
    }
    // The lease stays until it lapses: the stored ref is what later runs see from now on.
    await this.store.setMessageRef(incidentId, posted);
    this.log.info({ incidentId, channel: posted.channel, ts: posted.ts }, 'incident message posted');
  }

  private async syncThread(incidentId: string): Promise<void> {
    const ref = await this.store.getMessageRef(incidentId);
    if (!ref) {
      if (!(await this.store.get(incidentId))) return;
      throw new RetryLater('incident message not posted yet', NOT_READY_RETRY_MS);
    }
    const release = await this.store.lease(`thread:${incidentId}`, THREAD_LEASE_MS);
    if (!release) throw new RetryLater('another replica is replying in this thread', NOT_READY_RETRY_MS);
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
