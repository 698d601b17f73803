import type { Logger } from 'pino';
import type { Incident, TimelineEntry, TimelineKind } from '../incidents/incident.js';
import type { RunbookActionRef } from '../runbooks/match.js';
import type { IncidentStore, MessageRefStore, SlackMessageRef } from '../incidents/store.js';
import type { ChatApi } from './chat-api.js';
import type { RetroStep } from './retro-delivery.js';
import type { SlackMessage } from './render/block-kit.js';
import type { DeliveryQueue } from './delivery-queue.js';
import { RetryLater } from './retry-later.js';
import { afterSlackAnswered } from './delivery/after-slack.js';
import { RefusedVersions } from './delivery/brief-on-refusal.js';
import { postWithChannelFallback } from './delivery/channel-fallback.js';
import { namingRefusals } from './delivery/refusal-log.js';
import type { FirstPostGate } from './flood/flood-gate.js';
import { reconcileMessage, showsVersion, type MessageSlot } from './message-sync.js';
import { withChannelFallbackNote } from './render/channel-fallback.js';
import { renderIncidentMessage } from './render/incident-message.js';
import { renderMinimalIncidentMessage, renderMinimalReply } from './render/minimal-message.js';
import { renderThreadReply } from './render/thread-reply.js';

/**
 * Timeline kinds that go to the thread. Alert-level changes are shown by the message
 * itself (counts and list) and kept in the timeline; posting each one would flood the
 * channel during a storm.
 */
const THREAD_KINDS: ReadonlySet<TimelineKind> = new Set([
  'acknowledged',
  'resolved',
  'reopened',
  'action',
  'reminder',
  'silence',
  'commander',
  'severity',
  'note',
  'captured',
  'room',
  'followup',
]);

export function threadWorthy(entries: readonly TimelineEntry[]): TimelineEntry[] {
  return entries.filter((e) => THREAD_KINDS.has(e.kind));
}

const THREAD_LEASE_MS = 30_000;
/** The thread's lease for posting a draft: an upload is three Slack calls of up to 10 s each. */
const RETRO_POST_LEASE_MS = 60_000;

export interface IncidentPublisherOptions {
  /** Where an incident goes when its service's channel refuses it (INCIDENT_CHANNEL). */
  fallbackChannel?: string;
  /** Holds first posts back while a channel is flooded, leaving them to a roll-up (src/slack/flood). */
  flood?: FirstPostGate;
  /** Offer the Silence… menu (ALERTMANAGER_URL is set). */
  silences?: boolean;
  /** Told once the incident's message exists (its ts is known), for what follows it into the thread. */
  posted?: (incidentId: string) => void;
  /** Posts the retrospective draft a `retro` entry of the timeline asks for (retro-delivery.ts); without it the entry is passed over. */
  retro?: { deliver(incidentId: string, ref: SlackMessageRef, step: RetroStep): Promise<void> };
}

/**
 * Keeps each incident's Slack message and thread in step with what Redis holds. The
 * timeline in Redis is the thread's outbox and its cursor says how far it was replied, so
 * replies wait for the message however long that takes, and any replica may send them.
 */
export class IncidentPublisher {
  private readonly refusals = new RefusedVersions();

  constructor(
    private readonly queue: DeliveryQueue,
    private readonly chat: ChatApi,
    private readonly store: IncidentStore & MessageRefStore,
    private readonly log: Logger,
    private readonly runbookActions: (incident: Incident) => RunbookActionRef[] = () => [],
    private readonly options: IncidentPublisherOptions = {},
  ) {}

  /** After a change (the commit noted it in Redis too, so a sweep on any replica finds it if this one dies). */
  incidentChanged(incidentId: string): void {
    this.queue.enqueue(`message:${incidentId}`, () => this.syncMessage(incidentId));
    this.queue.enqueue(`thread:${incidentId}`, () => this.syncThread(incidentId));
  }

  /** Brings the message and the thread to what Redis holds, unless their delivery is queued already; cheap when they show it. */
  reconcile(incidentId: string): void {
    this.queue.ensure(`message:${incidentId}`, () => this.syncMessage(incidentId));
    this.queue.ensure(`thread:${incidentId}`, () => this.syncThread(incidentId));
  }

  /** Whether the message or the thread is behind what Redis holds; one with a delivery queued here is, without asking Redis. */
  async isBehind(incidentId: string): Promise<boolean> {
    if (this.queue.has(`message:${incidentId}`) || this.queue.has(`thread:${incidentId}`)) return true;
    const [incident, ref] = await Promise.all([this.store.get(incidentId), this.store.getMessageRef(incidentId)]);
    if (!incident) return false;
    if (!ref && (await this.options.flood?.shownByRollup(incident))) return false;
    if (!showsVersion(ref, incident.version)) return true;
    const [cursor, timeline] = await Promise.all([this.store.threadCursor(incidentId), this.store.timeline(incidentId)]);
    return cursor < timeline.length;
  }

  private async syncMessage(incidentId: string): Promise<void> {
    let incident: Incident | undefined;
    const slot: MessageSlot = {
      label: `incident ${incidentId}`,
      ref: () => this.store.getMessageRef(incidentId),
      save: (ref) => this.store.setMessageRef(incidentId, ref),
      lease: (ttlMs) => this.store.lease(`message:incident:${incidentId}`, ttlMs),
      refusals: this.refusals,
    };
    const context = () => ({ channel: incident?.channel, service: incident?.service, incidentId });
    await namingRefusals(this.log, context, async () => {
      const result = await reconcileMessage(
        this.chat,
        slot,
        async () => {
          incident = await this.store.get(incidentId);
          if (!incident) return undefined;
          const shownIn = (await this.store.getMessageRef(incidentId))?.channel;
          if (shownIn === undefined && !(await this.mayPostFirst(incident))) return undefined;
          const fellBack = shownIn !== undefined && shownIn !== incident.channel;
          const where = incident.channel;
          const noted = (message: SlackMessage) => (fellBack ? withChannelFallbackNote(message, where) : message);
          return {
            version: incident.version,
            state: incident.state,
            message: noted(renderIncidentMessage(incident, this.runbookActions(incident), { silences: this.options.silences === true })),
            brief: noted(renderMinimalIncidentMessage(incident)),
            where: { channel: where },
          };
        },
        (args) =>
          postWithChannelFallback(
            this.chat,
            this.options.fallbackChannel,
            this.log,
            { service: incident?.service, incidentId },
            { ...args, blocks: args.blocks ?? [] },
          ),
      );
      if (result?.refused)
        this.log.warn({ incidentId, channel: result.ref.channel, reason: result.refused }, 'Slack refused the incident message; sent it in brief');
      if (!result?.posted) return;
      this.log.info({ incidentId, channel: result.ref.channel, ts: result.ref.ts }, 'incident message posted');
      if (incident) await this.options.flood?.posted(incident);
      this.options.posted?.(incidentId);
      // The thread's replies wait for this message; a replica that dies first leaves them to a sweep.
      this.queue.enqueue(`thread:${incidentId}`, () => this.syncThread(incidentId));
    });
  }

  /** False when the incident's flood roll-up shows it instead; throws to wait while the roll-up or critical incidents go first. */
  private async mayPostFirst(incident: Incident): Promise<boolean> {
    const decision = (await this.options.flood?.firstPost(incident)) ?? 'post';
    if (decision === 'wait') throw RetryLater.waitingOn('the flood roll-up and critical incidents go first');
    return decision === 'post';
  }

  /** Replies with the thread-worthy ones of `batch` (the entries from `cursor` on), then moves the cursor past them. */
  private async reply(incidentId: string, ref: SlackMessageRef, cursor: number, batch: TimelineEntry[]): Promise<void> {
    const worthy = threadWorthy(batch);
    if (worthy.length > 0) {
      const reply = (text: string) => this.chat.postMessage({ channel: ref.channel, thread_ts: ref.ts, text });
      const whole = renderThreadReply(worthy, incidentId);
      const { refused } = await this.refusals.send(`thread of incident ${incidentId}`, cursor, reply, whole, renderMinimalReply(worthy.length, incidentId));
      if (refused) this.log.warn({ incidentId, reason: refused, entries: worthy.length }, 'Slack refused a thread reply; sent it in brief');
    }
    // Committed only after Slack answered: a failure leaves these entries for the next run.
    await afterSlackAnswered(() => this.store.setThreadCursor(incidentId, cursor + batch.length));
  }

  private async syncThread(incidentId: string): Promise<void> {
    const ref = await this.store.getMessageRef(incidentId);
    // Not posted yet (or shown by a flood roll-up): whoever posts it queues the thread then, so nobody polls for it meanwhile.
    if (!ref) return;
    const lease = await this.store.renewableLease(`thread:${incidentId}`, THREAD_LEASE_MS);
    if (!lease) throw RetryLater.waitingOn('another replica is replying in this thread');
    // Renewed before each step: with a draft (GitLab, then an upload) the run outlasts one lease, and a lapsed one lets another replica post it too.
    const keep = async (ttlMs: number) => {
      if (!(await lease.renew(ttlMs))) throw RetryLater.waitingOn("this replica lost the thread's lease; another one may be replying in it");
    };
    try {
      // A retrospective draft is a delivery of its own: the replies before it go first, and the cursor passes it only once it is posted.
      for (;;) {
        await keep(THREAD_LEASE_MS);
        const cursor = await this.store.threadCursor(incidentId);
        const fresh = await this.store.timeline(incidentId, cursor);
        const retroAt = this.options.retro ? fresh.findIndex((e) => e.kind === 'retro') : -1;
        if (retroAt === 0) {
          await this.options.retro?.deliver(incidentId, ref, { index: cursor, keep: () => keep(RETRO_POST_LEASE_MS) });
          await afterSlackAnswered(() => this.store.setThreadCursor(incidentId, cursor + 1));
          continue;
        }
        const batch = retroAt > 0 ? fresh.slice(0, retroAt) : fresh;
        if (batch.length === 0) return;
        await this.reply(incidentId, ref, cursor, batch);
        if (retroAt < 0) return;
      }
    } finally {
      await afterSlackAnswered(() => lease.release());
    }
  }
}
