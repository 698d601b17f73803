/**
 * The retrospective draft as the thread's outbox delivers it, over the memory stores, a
 * recording chat and upload port and a scripted GitLab filing, with the real delivery queue
 * on fake timers: posted once after the resolution's reply, by one of two replicas; a draft
 * that fails is tried again without the replies before it; a long one is a file; the room
 * gets its copy once; the issue it was filed as is remembered and edited, not made again;
 * the thread's lease is kept through a slow filing and upload, and a lost one stops the post;
 * a post tried again does not file again; a draft Slack refuses for good is said so.
 */
import { pino } from 'pino';
import { describe, expect, it, vi } from 'vitest';
import type { Incident, TimelineEntry } from '../../src/incidents/incident.js';
import { buildRetro } from '../../src/incidents/retro.js';
import { SlackPermanentError } from '../../src/slack/chat-api.js';
import { DeliveryQueue } from '../../src/slack/delivery-queue.js';
import type { FileUploads, ThreadFile } from '../../src/slack/file-upload.js';
import { IncidentPublisher } from '../../src/slack/incident-publisher.js';
import { renderIncidentMessage } from '../../src/slack/render/incident-message.js';
import { MAX_FALLBACK_TEXT } from '../../src/slack/render/limits.js';
import { renderRetro, type FiledIssue, type RetroStyle } from '../../src/slack/render/retro.js';
import { RetroDrafts, type RetroFiling } from '../../src/slack/retro-delivery.js';
import { RetryLater } from '../../src/slack/retry-later.js';
import { RoomPublisher } from '../../src/slack/room-publisher.js';
import { memoryStores, type MemoryStores } from '../../src/store/memory/index.js';
import { onFakeTimers } from '../support/clock.js';
import { commitIncident } from '../support/commit-incident.js';
import { actionDoc, incidentDoc } from '../support/documents.js';
import { RecordingChat } from '../support/recording-chat.js';
import { isPostedDraft, POSTED_DRAFT } from '../support/retro-draft.js';

const log = pino({ level: 'silent' });
const settle = onFakeTimers();
const TS = '1700000000.999999';

class RecordingUploads implements FileUploads {
  readonly files: ThreadFile[] = [];
  /** Slack's refusal of every upload, as a workspace without the files:write scope answers. */
  refusal: string | undefined;
  /** Runs while an upload is under way (its three calls take a while). */
  during: (() => Promise<void>) | undefined;
  async uploadToThread(file: ThreadFile): Promise<void> {
    await this.during?.();
    if (this.refusal) throw new SlackPermanentError('files.getUploadURLExternal', this.refusal);
    this.files.push(file);
  }
}

const FIRST_ISSUE: FiledIssue = { project: 'shop/postmortems', iid: 3, url: 'https://gitlab.example.com/shop/postmortems/-/issues/3' };

class ScriptedFiling implements RetroFiling {
  readonly calls: Array<{ title: string; description: string; filed: FiledIssue | undefined }> = [];
  failures = 0;
  /** What the first filing waits for before it answers (GitLab is slow). */
  duringFirst: (() => Promise<void>) | undefined;
  async file(_incident: Incident, issue: { title: string; description: string }, filed: FiledIssue | undefined): Promise<FiledIssue> {
    this.calls.push({ ...issue, filed });
    if (this.calls.length === 1) await this.duringFirst?.();
    if (this.failures > 0) {
      this.failures -= 1;
      throw new RetryLater('GitLab answered 503');
    }
    return filed ?? FIRST_ISSUE;
  }
}

interface World {
  stores: MemoryStores;
  chat: RecordingChat;
  uploads: RecordingUploads;
  filing: ScriptedFiling;
  /** A replica's delivery: the thread's publisher and the war room's, told of each change as the bot tells them. */
  publisher: () => { incidentChanged(incidentId: string): void };
}

function world(): World {
  const stores = memoryStores();
  const chat = new RecordingChat();
  const uploads = new RecordingUploads();
  const filing = new ScriptedFiling();
  const publisher = () => {
    const queue = new DeliveryQueue({ log });
    const retro = new RetroDrafts({
      chat,
      uploads,
      store: stores.incidents,
      actionsOf: async (ids) => ids.filter((id) => id === '7').map(() => actionDoc({ id: '7', state: 'succeeded', approvedBy: ['U0BOB'] })),
      filing,
      log,
    });
    const thread = new IncidentPublisher(queue, chat, stores.incidents, log, () => [], { retro });
    const room = new RoomPublisher(
      queue,
      chat,
      stores.incidents,
      log,
      (incident) => renderIncidentMessage(incident, []),
      async () => undefined,
      retro,
    );
    return {
      incidentChanged: (incidentId: string) => {
        thread.incidentChanged(incidentId);
        room.incidentChanged(incidentId);
      },
    };
  };
  return { stores, chat, uploads, filing, publisher };
}

const at = '2026-11-22T10:10:00.000Z';
const resolution: TimelineEntry[] = [
  { at, actor: 'U0BOB', kind: 'resolved', stillFiring: 0 },
  { at, actor: 'bot', kind: 'retro', reason: 'resolved' },
];

/** An incident whose message is posted, resolved with `entries` (what the resolution commits). */
async function resolved(w: World, overrides: Partial<Incident> = {}, entries = resolution): Promise<void> {
  await commitIncident(w.stores.incidents, incidentDoc({ id: '1', ...overrides }), [
    { at: '2026-11-22T10:00:00.000Z', actor: 'alertmanager', kind: 'opened', alerts: [{ alertname: 'HighErrorRate' }], total: 1 },
  ]);
  await w.stores.incidents.setMessageRef('1', { channel: 'C0PAYMENTS', ts: TS, version: 1, state: 'firing' });
  await w.stores.incidents.setThreadCursor('1', 1);
  await commitIncident(w.stores.incidents, incidentDoc({ id: '1', state: 'resolved', resolvedAt: at, resolvedBy: 'U0BOB', ...overrides }), entries);
}

/** Notes enough for a draft longer than a message shows: it is uploaded. */
const longNotes = (): TimelineEntry[] =>
  Array.from({ length: 80 }, (_, i) => ({
    at: `2026-11-22T10:0${Math.floor(i / 10)}:${String(i % 60).padStart(2, '0')}.000Z`,
    actor: 'U0ALICE',
    kind: 'note',
    text: `note ${i}, with enough words to make the draft longer than a message`,
  }));

const drafts = (w: World, channel = 'C0PAYMENTS') => w.chat.posts.filter((p) => p.channel === channel && isPostedDraft(p.text));

describe('the retrospective draft in the thread', () => {
  it('follows the resolution reply once, filed in GitLab, even when two replicas are told', async () => {
    const w = world();
    await resolved(w);
    const [a, b] = [w.publisher(), w.publisher()];
    a.incidentChanged('1');
    b.incidentChanged('1');
    await settle();

    const replies = w.chat.repliesTo(TS);
    expect(replies.map((r) => String(r.text).split('\n')[0])).toEqual([expect.stringContaining('Resolved by <@U0BOB>'), `${POSTED_DRAFT}INC-1 HighErrorRate*`]);
    expect(replies[1]?.text).toContain('Filed in GitLab: <https://gitlab.example.com/shop/postmortems/-/issues/3|shop/postmortems#3>');
    expect(w.filing.calls).toHaveLength(1);
    expect(w.filing.calls[0]?.title).toBe('INC-1: retrospective of HighErrorRate');
    expect(w.filing.calls[0]?.description).toMatch(/^# Retrospective draft: INC-1 HighErrorRate\n[\s\S]*\n- \*\*Service:\*\* /);
    const timeline = await w.stores.incidents.timeline('1');
    expect(timeline.filter((e) => e.kind === 'retro_filed')).toEqual([expect.objectContaining({ project: 'shop/postmortems', iid: 3 })]);
    expect(await w.stores.incidents.threadCursor('1')).toBe(timeline.length);
  });

  it('tries a draft that failed again without replying twice what came before it', async () => {
    const w = world();
    await resolved(w);
    w.filing.failures = 2;
    w.publisher().incidentChanged('1');
    await settle();

    expect(w.filing.calls).toHaveLength(3);
    expect(w.chat.repliesTo(TS).filter((r) => !isPostedDraft(r.text))).toEqual([expect.objectContaining({ text: expect.stringContaining('Resolved by') })]);
    expect(drafts(w)).toHaveLength(1);
  });

  it('keeps the thread: a replica whose lease lapsed during a slow filing does not post the draft another replica posts', async () => {
    const w = world();
    await resolved(w);
    const [a, b] = [w.publisher(), w.publisher()];
    let answer: () => void = () => undefined;
    w.filing.duringFirst = () =>
      new Promise<void>((resolve) => {
        answer = resolve;
      });
    a.incidentChanged('1');
    await vi.waitFor(() => expect(w.filing.calls).toHaveLength(1));
    // GitLab answers replica a after more than the lease's 30 s; meanwhile replica b, told of the incident, finds the thread free and posts the draft.
    vi.setSystemTime(Date.now() + 31_000);
    b.incidentChanged('1');
    await vi.waitFor(() => expect(drafts(w)).toHaveLength(1));
    answer();
    await settle();

    expect(drafts(w)).toHaveLength(1);
    expect(w.chat.repliesTo(TS).filter((r) => !isPostedDraft(r.text))).toEqual([expect.objectContaining({ text: expect.stringContaining('Resolved by') })]);
    expect(await w.stores.incidents.threadCursor('1')).toBe((await w.stores.incidents.timeline('1')).length);
  });

  it('keeps the thread while a slow filing and a slow upload together outlast one lease', async () => {
    const w = world();
    await resolved(w, {}, [...longNotes(), ...resolution]);
    w.filing.duringFirst = async () => {
      vi.setSystemTime(Date.now() + 25_000);
    };
    let takenByAnother: unknown;
    w.uploads.during = async () => {
      vi.setSystemTime(Date.now() + 25_000);
      takenByAnother = await w.stores.incidents.lease('thread:1', 30_000);
    };
    w.publisher().incidentChanged('1');
    await settle();

    expect(w.uploads.files).toHaveLength(1);
    expect(takenByAnother).toBeUndefined();
  });

  it('files once when the draft waits for the channel after the resolution reply: a post tried again does not edit the issue again', async () => {
    const w = world();
    await resolved(w);
    // What PacedChat throws when the draft follows the reply within the channel's pace.
    w.chat.failNextPosts(2, (args) => isPostedDraft(args.text));
    w.publisher().incidentChanged('1');
    await settle();

    expect(drafts(w)).toHaveLength(1);
    expect(w.filing.calls).toHaveLength(1);
    expect(drafts(w)[0]?.text).toContain('shop/postmortems#3');
  });

  it('says so in the thread when Slack refuses the draft for good, and the thread goes on', async () => {
    const w = world();
    await resolved(w, {}, [...longNotes(), ...resolution]);
    w.uploads.refusal = 'missing_scope';
    const p = w.publisher();
    p.incidentChanged('1');
    await settle();

    const said = w.chat.repliesTo(TS).filter((r) => String(r.text).includes('could not be posted'));
    expect(said.map((r) => r.text)).toEqual([
      'The retrospective draft of INC-1 could not be posted (Slack said: `missing_scope`); `/incident retro INC-1` tries again.',
    ]);
    expect(w.filing.calls).toHaveLength(1);
    expect(await w.stores.incidents.threadCursor('1')).toBe((await w.stores.incidents.timeline('1')).length);

    await w.stores.incidents.appendTimeline('1', [{ at: '2026-11-22T10:30:00.000Z', actor: 'U0DAVE', kind: 'note', text: 'scope added' }]);
    p.incidentChanged('1');
    await settle();
    expect(w.chat.repliesTo(TS).at(-1)?.text).toContain('scope added');
    expect(w.filing.calls).toHaveLength(1);
  });

  it("says so in the war room too when Slack refuses the room's copy for good, and the room's outbox goes on", async () => {
    const w = world();
    await resolved(w, { room: { channel: 'C0ROOM', name: 'inc-1-payment-service' } }, [...longNotes(), ...resolution]);
    w.uploads.refusal = 'missing_scope';
    w.publisher().incidentChanged('1');
    await settle();

    const inRoom = w.chat.posts.filter((post) => post.channel === 'C0ROOM' && String(post.text).includes('could not be posted'));
    expect(inRoom).toHaveLength(1);
    expect(inRoom[0]).not.toHaveProperty('thread_ts');
    const retroAt = (await w.stores.incidents.timeline('1')).findIndex((e) => e.kind === 'retro');
    expect(await w.stores.incidents.threadCursor('1', 'room')).toBeGreaterThan(retroAt);
  });

  it('edits the issue filed before when asked again, and lists the new follow-up', async () => {
    const w = world();
    await resolved(w);
    const p = w.publisher();
    p.incidentChanged('1');
    await settle();
    await w.stores.incidents.appendTimeline('1', [
      { at: '2026-11-22T10:20:00.000Z', actor: 'U0DAVE', kind: 'followup', what: 'page on queue depth' },
      { at: '2026-11-22T10:21:00.000Z', actor: 'U0ALICE', kind: 'retro', reason: 'regenerated' },
    ]);
    p.incidentChanged('1');
    await settle();

    expect(drafts(w)).toHaveLength(2);
    expect(drafts(w)[0]?.text).not.toContain('page on queue depth');
    expect(drafts(w)[1]?.text).toContain('• ☐ page on queue depth (<@U0DAVE>)');
    expect(w.filing.calls.map((c) => c.filed?.iid)).toEqual([undefined, 3]);
    expect((await w.stores.incidents.timeline('1')).filter((e) => e.kind === 'retro_filed')).toHaveLength(1);
  });

  it('uploads a draft longer than a message shows as a Markdown file in the thread', async () => {
    const w = world();
    const many: TimelineEntry[] = Array.from({ length: 80 }, (_, i) => ({
      at: `2026-11-22T10:0${Math.floor(i / 10)}:${String(i % 60).padStart(2, '0')}.000Z`,
      actor: 'U0ALICE',
      kind: 'action',
      step: { kind: 'remark', actionId: '7', text: `step ${i} of a long rollout, with enough words to make the draft long` },
    }));
    await resolved(w, {}, [...many, ...resolution]);
    w.publisher().incidentChanged('1');
    await settle();

    expect(drafts(w)).toHaveLength(0);
    expect(w.uploads.files).toEqual([
      expect.objectContaining({ channel: 'C0PAYMENTS', threadTs: TS, filename: 'retrospective-inc-1.md', title: 'INC-1: retrospective of HighErrorRate' }),
    ]);
    const text = new TextDecoder().decode(w.uploads.files[0]?.bytes);
    expect(text).toContain('### ACT-7: roll back payment-service (succeeded)');
    expect(w.uploads.files[0]?.comment).toContain('shop/postmortems#3');
  });

  it('measures the message as it is posted: a draft that fits in mrkdwn is posted although its Markdown is longer', async () => {
    const followups = (pad: number): TimelineEntry[] =>
      Array.from({ length: 20 }, (_, i) => ({ at, actor: 'U0DAVE', kind: 'followup', what: `${i} ${'x'.repeat(i === 0 ? 100 + pad : 100)}` }));
    const lengths = async (pad: number): Promise<Record<RetroStyle, number>> => {
      const w = world();
      await resolved(w, {}, [...followups(pad), ...resolution]);
      const incident = await w.stores.incidents.get('1');
      const draft = buildRetro(incident!, await w.stores.incidents.timeline('1'), []);
      return { markdown: renderRetro(draft, 'markdown', FIRST_ISSUE).length, mrkdwn: renderRetro(draft, 'mrkdwn', FIRST_ISSUE).length };
    };
    const pad = MAX_FALLBACK_TEXT - (await lengths(0)).mrkdwn;
    expect(pad).toBeGreaterThan(0);
    const sized = await lengths(pad);
    expect(sized.mrkdwn).toBe(MAX_FALLBACK_TEXT);
    expect(sized.markdown).toBeGreaterThan(MAX_FALLBACK_TEXT);

    const w = world();
    await resolved(w, {}, [...followups(pad), ...resolution]);
    w.publisher().incidentChanged('1');
    await settle();

    expect(w.uploads.files).toEqual([]);
    expect(drafts(w).map((d) => String(d.text).length)).toEqual([MAX_FALLBACK_TEXT]);
  });

  it("posts the room's copy once as well, through the room's own outbox", async () => {
    const w = world();
    await resolved(w, { room: { channel: 'C0ROOM', name: 'inc-1-payment-service' } });
    w.publisher().incidentChanged('1');
    w.publisher().incidentChanged('1');
    await settle();

    expect(drafts(w, 'C0ROOM')).toHaveLength(1);
    expect(drafts(w, 'C0ROOM')[0]).not.toHaveProperty('thread_ts');
    expect(drafts(w)).toHaveLength(1);
    expect(await w.stores.incidents.threadCursor('1', 'room')).toBe((await w.stores.incidents.timeline('1')).length);
  });

  it("posts the room's copy after a failure, and what came before it in the room once", async () => {
    const w = world();
    await resolved(w, { room: { channel: 'C0ROOM', name: 'inc-1-payment-service' } });
    // The room's copy of the message, then its "resolved" news, go first; the post after them (the draft) fails twice.
    const p = w.publisher();
    w.chat.failNextPosts(2, (args) => args.channel === 'C0ROOM' && isPostedDraft(args.text));
    p.incidentChanged('1');
    await settle();

    const inRoom = w.chat.posts.filter((post) => post.channel === 'C0ROOM' && post.thread_ts === undefined);
    expect(inRoom.filter((post) => String(post.text).includes('is resolved'))).toHaveLength(1);
    expect(drafts(w, 'C0ROOM')).toHaveLength(1);
  });
});
