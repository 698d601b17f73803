/**
 * Flood roll-ups over the memory stores and a recording chat port, with the real delivery
 * queue on fake timers and a manual clock for the flood window: when a channel gets a roll-up
 * instead of a message per incident, what it counts, which incidents still get their own
 * message and in which order, and when the flood is over.
 */
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { Incident } from '../../src/incidents/incident.js';
import { DeliveryQueue } from '../../src/slack/delivery-queue.js';
import { FloodGate } from '../../src/slack/flood/flood-gate.js';
import type { FloodPolicy } from '../../src/slack/flood/policy.js';
import { RollupPublisher } from '../../src/slack/flood/rollup-publisher.js';
import { IncidentPublisher } from '../../src/slack/incident-publisher.js';
import { memoryStores } from '../../src/store/memory/index.js';
import { manualClock, onFakeTimers } from '../support/clock.js';
import { entry, incidentDoc } from '../support/documents.js';
import { RecordingChat } from '../support/recording-chat.js';

const log = pino({ level: 'silent' });
const settle = onFakeTimers();
const CHANNEL = 'C0PAYMENTS';
const WINDOW_MS = 60_000;

function rig(policy: Partial<FloodPolicy> = {}) {
  const clock = manualClock();
  const stores = memoryStores({ clock: clock.now });
  const chat = new RecordingChat();
  const queue = new DeliveryQueue({ log });
  const full: FloodPolicy = { threshold: 20, windowMs: WINDOW_MS, individualPosts: 'critical-only', ...policy };
  const rollups = new RollupPublisher(queue, chat, stores.flood, log, { individualPosts: full.individualPosts });
  const gate = new FloodGate({ store: stores.flood, policy: full, rollups, now: clock.now });
  const publisher = new IncidentPublisher(queue, chat, stores.incidents, log, undefined, { flood: gate });
  let next = 0;
  /** Opens `count` incidents in the channel as the service would, and tells the publisher of each. */
  const open = async (count: number, severity = 'warning'): Promise<Incident[]> => {
    const opened: Incident[] = [];
    for (let i = 0; i < count; i += 1) {
      next += 1;
      const id = String(next);
      const doc = incidentDoc({ id, channel: CHANNEL });
      const alert = doc.alerts[`${id}-a`];
      const incident: Incident = { ...doc, alerts: alert ? { [alert.fingerprint]: { ...alert, labels: { ...alert.labels, severity } } } : {} };
      expect(
        await stores.incidents.commit({ incident, expectedVersion: 0, entries: [entry('opened', 'Incident opened')], pointer: { mode: 'cas', expected: '' } }),
      ).toBe(true);
      publisher.incidentChanged(id);
      opened.push({ ...incident, version: 1 });
    }
    return opened;
  };
  return { clock, stores, chat, rollups, publisher, open };
}

const isRollup = (text: string) => text.startsWith('Alert flood');

/** Every roll-up posted, as it reads now: its last update, else its post. */
function rollupMessages(chat: RecordingChat): Array<{ text: string; blocks?: unknown }> {
  return chat
    .topLevel()
    .filter((post) => isRollup(post.text))
    .map((post) => chat.updates.filter((u) => u.ts === post.ts).at(-1) ?? post);
}

const rollupsNow = (chat: RecordingChat) => rollupMessages(chat).map((m) => m.text);

/** Ids of the incidents that got a message of their own, in the order they were posted. */
const incidentPosts = (chat: RecordingChat) =>
  chat
    .topLevel()
    .filter((post) => !isRollup(post.text))
    .map((post) => /INC-(\d+)/.exec(post.text)?.[1]);

describe('flood roll-ups', () => {
  it('gives every incident its own message while at most the threshold are new in the channel within the window', async () => {
    const r = rig();
    await r.open(20);
    await settle();
    r.clock.advance(WINDOW_MS);
    await r.open(20);
    await settle();
    expect(incidentPosts(r.chat)).toHaveLength(40);
    expect(rollupsNow(r.chat)).toEqual([]);
  });

  it('past the threshold, posts one roll-up that counts every new incident, and no message for those it counts', async () => {
    const r = rig();
    await r.open(20);
    await settle();
    const flood = await r.open(30);
    await settle();
    expect(rollupsNow(r.chat)).toEqual(['Alert flood: 50 new incidents in this channel (roll-up, kept up to date)']);
    expect(incidentPosts(r.chat)).toHaveLength(20);
    // Shown by the roll-up: neither their message nor their thread is behind, so nothing retries them.
    for (const incident of flood) expect(await r.publisher.isBehind(incident.id)).toBe(false);
    const floodId = (await r.stores.flood.membership(flood[0]?.id ?? '')) ?? '';
    expect(await r.rollups.isBehind(floodId)).toBe(false);
    expect(r.chat.updates.length).toBeGreaterThan(0);
  });

  it('leaves to the roll-up an incident whose first post was still waiting when the flood began', async () => {
    const r = rig();
    // Slack takes none of the first posts: each of the first 20 is still to be posted when the 21st opens.
    r.chat.failNextPosts(25);
    await r.open(25);
    await settle();
    expect(incidentPosts(r.chat)).toEqual([]);
    expect(rollupsNow(r.chat)).toEqual([expect.stringContaining('25 new incidents')]);
  });

  it('posts a critical incident of the flood after the roll-up, and lists it first there', async () => {
    const r = rig();
    await r.open(20);
    await settle();
    await r.open(1);
    const [critical] = await r.open(1, 'critical');
    await r.open(5);
    await settle();
    const posts = r.chat.topLevel().map((post) => (isRollup(post.text) ? 'roll-up' : /INC-(\d+)/.exec(post.text)?.[1]));
    expect(posts.filter((p) => p === 'roll-up')).toHaveLength(1);
    expect(posts.indexOf('roll-up')).toBeLessThan(posts.indexOf(critical?.id));
    expect(posts).toHaveLength(20 + 1 + 1);
    const listed = JSON.stringify(rollupMessages(r.chat)[0]?.blocks);
    expect(listed).toContain('27 new incidents');
    expect(listed).toMatch(new RegExp(`Most severe\\*\\\\n• \\*INC-${critical?.id}\\* critical`));
  });

  it('with critical-first, posts the roll-up, then the critical incidents, then the others', async () => {
    const r = rig({ individualPosts: 'critical-first' });
    await r.open(20);
    await settle();
    const before = r.chat.topLevel().length;
    const others = await r.open(4);
    const criticals = await r.open(2, 'critical');
    await settle();
    const order = r.chat
      .topLevel()
      .slice(before)
      .map((post) => (isRollup(post.text) ? 'roll-up' : /INC-(\d+)/.exec(post.text)?.[1]));
    expect(order[0]).toBe('roll-up');
    expect(new Set(order.slice(1, 3))).toEqual(new Set(criticals.map((i) => i.id)));
    expect(new Set(order.slice(3))).toEqual(new Set(others.map((i) => i.id)));
  });

  it('ends the flood once at most half the threshold are new within the window; a later flood gets a roll-up of its own', async () => {
    const r = rig();
    await r.open(25);
    await settle();
    r.clock.advance(WINDOW_MS);
    const [calm] = await r.open(1);
    await settle();
    expect(incidentPosts(r.chat)).toContain(calm?.id);
    expect(rollupsNow(r.chat)).toEqual([expect.stringContaining('25 new incidents')]);
    r.clock.advance(WINDOW_MS);
    await r.open(22);
    await settle();
    expect(rollupsNow(r.chat)).toEqual([expect.stringContaining('25 new incidents'), expect.stringContaining('22 new incidents')]);
  });

  it('stays on while more than half the threshold are new within the window', async () => {
    const r = rig();
    await r.open(20);
    await settle();
    await r.open(1);
    await settle();
    r.clock.advance(WINDOW_MS / 2);
    await r.open(10);
    await settle();
    // The first 21 have left the window; 10 and this one are in it: more than half of 20.
    r.clock.advance(WINDOW_MS / 2 + 1);
    await r.open(1);
    await settle();
    expect(rollupsNow(r.chat)).toEqual([expect.stringContaining('32 new incidents')]);
    expect(incidentPosts(r.chat)).toHaveLength(20);
  });
});
