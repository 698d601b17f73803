/**
 * The retrospective draft in the incident's thread. The thread's outbox (the incident's
 * timeline, see incident-publisher.ts) holds a `retro` entry for each resolution and each
 * `/incident retro`; delivering that entry is this: file (or update) the GitLab issue, then
 * post the draft, as a message or, when longer than a message shows, as an uploaded file.
 * The outbox's cursor moves past the entry only after Slack answered, under the thread's
 * lease (renewed between the filing and the post), so a crash before posting leaves it for
 * the next run on any replica, and two replicas never post it twice. A filing done is
 * remembered per entry, so a post tried again does not file again; a draft Slack refuses for
 * good is replaced by a short reply saying so. The war room's copy goes out through the
 * room's own outbox (room-publisher.ts) the same way.
 */
import type { Logger } from 'pino';
import type { Incident, TimelineEntry } from '../incidents/incident.js';
import { buildRetro, linkedActionIds, type RetroAction, type RetroDraft } from '../incidents/retro.js';
import type { IncidentStore, MessageRefStore, SlackMessageRef } from '../incidents/store.js';
import { SlackPermanentError, type ChatApi } from './chat-api.js';
import { namingRefusals } from './delivery/refusal-log.js';
import type { FileUploads } from './file-upload.js';
import { MAX_FALLBACK_TEXT } from './render/limits.js';
import { renderRetroRefused } from './render/retro-refused.js';
import { renderRetro, renderRetroMarkdown, retroFileComment, retroFilename, retroTitle, type FiledIssue } from './render/retro.js';

/** Files the draft as one GitLab issue; throws RetryLater while GitLab cannot say. */
export interface RetroFiling {
  /**
   * `filed`: the issue this incident's draft was filed as before (edited, never made again);
   * undefined when the incident's service files no retrospective.
   */
  file(incident: Incident, issue: { title: string; description: string }, filed: FiledIssue | undefined): Promise<FiledIssue | undefined>;
}

/** The thread's `retro` entry being delivered: where it is in the timeline, and how its deliverer keeps the thread's lease. */
export interface RetroStep {
  index: number;
  keep(): Promise<void>;
}

export interface RetroDraftsOptions {
  chat: ChatApi;
  uploads: FileUploads;
  store: IncidentStore & MessageRefStore;
  /** The actions with these ids that still exist. */
  actionsOf: (ids: string[]) => Promise<RetroAction[]>;
  filing?: RetroFiling;
  log: Logger;
}

/** The issue the draft was filed as last, as the timeline recorded it. */
export function filedIssueOf(timeline: readonly TimelineEntry[]): FiledIssue | undefined {
  const filed = timeline.flatMap((e) => ('text' in e || e.kind !== 'retro_filed' ? [] : [{ project: e.project, iid: e.iid, url: e.url }]));
  return filed.at(-1);
}

/** The draft as it stands, and the GitLab issue it is filed as. */
interface PreparedDraft {
  draft: RetroDraft;
  filed: FiledIssue | undefined;
}

export class RetroDrafts {
  constructor(private readonly options: RetroDraftsOptions) {}

  /**
   * Delivers the `retro` entry at `step.index` of the incident's timeline into its thread at
   * `ref`; throws for the outbox to try again. `step.keep` renews the thread's lease for the
   * post, and throws once it was lost: the GitLab filing before it may take a while.
   */
  async deliver(incidentId: string, ref: SlackMessageRef, step: RetroStep): Promise<void> {
    const { log } = this.options;
    const prepared = await this.prepare(incidentId, step.index);
    if (!prepared) return;
    await step.keep();
    if (await this.postOrSayRefused(incidentId, ref.channel, ref.ts, prepared))
      log.info({ incidentId, filed: prepared.filed?.url }, 'retrospective draft posted');
  }

  /** The same draft in the incident's war room, from the room's own outbox; it is filed in GitLab by the thread's delivery. */
  async deliverToRoom(incidentId: string, channel: string): Promise<void> {
    const prepared = await this.prepare(incidentId);
    if (!prepared) return;
    if (await this.postOrSayRefused(incidentId, channel, undefined, prepared))
      this.options.log.info({ incidentId, channel }, 'retrospective draft posted in the war room');
  }

  /**
   * Posts the draft; when Slack refuses it for good, says so where it would have been (false).
   * Trying again would meet the same refusal: the outbox would stop there, and the GitLab
   * issue be edited at each try. A refusal of that short reply too (the channel is gone) is thrown.
   */
  private async postOrSayRefused(incidentId: string, channel: string, threadTs: string | undefined, prepared: PreparedDraft): Promise<boolean> {
    const { chat, log } = this.options;
    try {
      await namingRefusals(
        log,
        () => ({ channel, incidentId }),
        () => this.post(channel, threadTs, prepared.draft, prepared.filed),
      );
      return true;
    } catch (error) {
      if (!(error instanceof SlackPermanentError)) throw error;
      await chat.postMessage({ channel, ...(threadTs ? { thread_ts: threadTs } : {}), text: renderRetroRefused(incidentId, error.reason) });
      return false;
    }
  }

  /** The draft as it stands, filed in GitLab first for the thread's `retro` entry at `index` unless that was done already. */
  private async prepare(incidentId: string, index?: number): Promise<PreparedDraft | undefined> {
    const { store, actionsOf, filing } = this.options;
    const incident = await store.get(incidentId);
    if (!incident) return undefined;
    const timeline = await store.timeline(incidentId);
    const draft = buildRetro(incident, timeline, await actionsOf(linkedActionIds(timeline)));
    const known = filedIssueOf(timeline);
    // A post that waits for the channel's pace, or fails, comes back here: its filing is not done twice.
    if (index === undefined || !filing || (await store.retroFiledCursor(incidentId)) > index) return { draft, filed: known };
    const filed = await filing.file(incident, { title: retroTitle(draft), description: renderRetroMarkdown(draft) }, known);
    if (filed && (filed.iid !== known?.iid || filed.project !== known.project)) {
      // Recorded before the draft is posted: a retry edits this issue rather than making another.
      await store.appendTimeline(incidentId, [{ at: new Date().toISOString(), actor: 'bot', kind: 'retro_filed', ...filed }]);
    }
    await store.setRetroFiledCursor(incidentId, index + 1);
    return { draft, filed };
  }

  private async post(channel: string, threadTs: string | undefined, draft: RetroDraft, filed: FiledIssue | undefined): Promise<void> {
    // A message is read in Slack's mrkdwn; the file, like the GitLab issue, is Markdown.
    const text = renderRetro(draft, 'mrkdwn', filed);
    // Past what Slack shows before "Show more" a draft is read better as a file: measured as posted.
    if (text.length <= MAX_FALLBACK_TEXT) {
      await this.options.chat.postMessage({ channel, ...(threadTs ? { thread_ts: threadTs } : {}), text });
      return;
    }
    await this.options.uploads.uploadToThread({
      channel,
      ...(threadTs ? { threadTs } : {}),
      filename: retroFilename(draft.incidentId),
      title: retroTitle(draft),
      comment: retroFileComment(draft, filed),
      bytes: new TextEncoder().encode(renderRetroMarkdown(draft, filed)),
    });
  }
}
