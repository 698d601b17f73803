/**
 * The retrospective draft in the incident's thread. The thread's outbox (the incident's
 * timeline, see incident-publisher.ts) holds a `retro` entry for each resolution and each
 * `/incident retro`; delivering that entry is this: file (or update) the GitLab issue, then
 * post the draft, as a message or, when longer than a message shows, as an uploaded file.
 * The outbox's cursor moves past the entry only after Slack answered, under the thread's
 * lease, so a crash before posting leaves it for the next run on any replica, and two
 * replicas never post it twice. The war room's copy goes out through the room's own outbox
 * (room-publisher.ts) the same way.
 */
import type { Logger } from 'pino';
import type { Incident, TimelineEntry } from '../incidents/incident.js';
import { buildRetro, linkedActionIds, type RetroAction, type RetroDraft } from '../incidents/retro.js';
import type { IncidentStore, MessageRefStore, SlackMessageRef } from '../incidents/store.js';
import type { ChatApi } from './chat-api.js';
import type { FileUploads } from './file-upload.js';
import { MAX_FALLBACK_TEXT } from './render/limits.js';
import { renderRetro, renderRetroMarkdown, retroFileComment, retroFilename, retroTitle, type FiledIssue } from './render/retro.js';

/** Files the draft as one GitLab issue; throws RetryLater while GitLab cannot say. */
export interface RetroFiling {
  /**
   * `filed`: the issue this incident's draft was filed as before (edited, never made again);
   * undefined when the incident's service files no retrospective.
   */
  file(incident: Incident, issue: { title: string; description: string }, filed: FiledIssue | undefined): Promise<FiledIssue | undefined>;
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

export class RetroDrafts {
  constructor(private readonly options: RetroDraftsOptions) {}

  /** Delivers the `retro` entry of the incident's timeline into its thread at `ref`; throws for the outbox to try again. */
  async deliver(incidentId: string, ref: SlackMessageRef): Promise<void> {
    const prepared = await this.prepare(incidentId);
    if (!prepared) return;
    await this.post(ref.channel, ref.ts, prepared.draft, prepared.filed);
    this.options.log.info({ incidentId, filed: prepared.filed?.url }, 'retrospective draft posted');
  }

  /** The same draft in the incident's war room, from the room's own outbox; it is filed in GitLab by the thread's delivery. */
  async deliverToRoom(incidentId: string, channel: string): Promise<void> {
    const prepared = await this.prepare(incidentId, false);
    if (!prepared) return;
    await this.post(channel, undefined, prepared.draft, prepared.filed);
    this.options.log.info({ incidentId, channel }, 'retrospective draft posted in the war room');
  }

  private async prepare(incidentId: string, file = true): Promise<{ draft: RetroDraft; filed: FiledIssue | undefined } | undefined> {
    const { store, actionsOf, filing } = this.options;
    const incident = await store.get(incidentId);
    if (!incident) return undefined;
    const timeline = await store.timeline(incidentId);
    const draft = buildRetro(incident, timeline, await actionsOf(linkedActionIds(timeline)));
    const known = filedIssueOf(timeline);
    if (!file || !filing) return { draft, filed: known };
    const filed = await filing.file(incident, { title: retroTitle(draft), description: renderRetroMarkdown(draft) }, known);
    if (filed && (filed.iid !== known?.iid || filed.project !== known.project)) {
      // Recorded before the draft is posted: a retry edits this issue rather than making another.
      await store.appendTimeline(incidentId, [{ at: new Date().toISOString(), actor: 'bot', kind: 'retro_filed', ...filed }]);
    }
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
