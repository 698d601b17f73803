/**
 * What the bot wrote to Redis, read back under its key prefix through the test's own
 * client (TestBot.redis), in the shapes the tests assert on.
 *
 * Each reader takes the rig ({ bot }) rather than the bot itself, so a test that replaces
 * its bot (a restart on the same key prefix) reads through the current one.
 */
import type { ActionEntry } from '../../src/actions/action.js';
import type { TimelineEntry } from '../../src/incidents/incident.js';
import { renderActionEntry, renderTimelineEntry } from '../../src/slack/render/timeline.js';
import type { TestBot } from './bot.js';

export interface HasBot {
  bot: TestBot;
}

/** An entry of the audit stream: its fields, plus the stream id under `id`. */
export type AuditEntry = Record<string, string> & { id: string };

/** A stored timeline entry (facts), with `rendered`: the words src/slack/render makes of it, which are not stored. */
export type Rendered<Entry> = Entry & { rendered: string };

/** An incident or action hash: its state and version fields, and the parsed document. */
export interface Stored<Doc> {
  state: string;
  version: string;
  doc: Doc;
}

export type IncidentDoc = Record<string, unknown>;
export type ActionDoc = Record<string, unknown> & { approvedBy?: string[]; expiresAt?: string };

/** The whole audit stream, oldest first (take its length before a request to find what that request added). */
export async function audit(r: HasBot): Promise<AuditEntry[]> {
  const entries = await r.bot.redis.xrange(`${r.bot.prefix}audit`, '-', '+');
  return entries.map(([id, flat]) => {
    const record: AuditEntry = { id };
    for (let i = 0; i + 1 < flat.length; i += 2) record[flat[i] as string] = flat[i + 1] as string;
    return record;
  });
}

export function storedIncident(r: HasBot, id: string): Promise<Stored<IncidentDoc>> {
  return readHash<IncidentDoc>(r, `incident:${id}`);
}

export function storedAction(r: HasBot, id: string): Promise<Stored<ActionDoc>> {
  return readHash<ActionDoc>(r, `action:${id}`);
}

export async function incidentTimeline(r: HasBot, id: string): Promise<Array<Rendered<TimelineEntry>>> {
  return (await readTimeline<TimelineEntry>(r, `incident:${id}:timeline`)).map((entry) => ({ ...entry, rendered: renderTimelineEntry(entry) }));
}

export async function actionTimeline(r: HasBot, id: string): Promise<Array<Rendered<ActionEntry>>> {
  return (await readTimeline<ActionEntry>(r, `action:${id}:timeline`)).map((entry) => ({ ...entry, rendered: renderActionEntry(entry) }));
}

// Absent fields read as '' and an absent doc as {}, so a snapshot of a missing hash compares
// like any other instead of failing the test before its assertion.
async function readHash<Doc>(r: HasBot, key: string): Promise<Stored<Doc>> {
  const hash = await r.bot.redis.hgetall(`${r.bot.prefix}${key}`);
  return { state: hash.state ?? '', version: hash.version ?? '', doc: (hash.doc ? JSON.parse(hash.doc) : {}) as Doc };
}

async function readTimeline<Entry>(r: HasBot, key: string): Promise<Entry[]> {
  const lines = await r.bot.redis.lrange(`${r.bot.prefix}${key}`, 0, -1);
  return lines.map((line) => JSON.parse(line) as Entry);
}
