/**
 * Adding a Slack message to an incident's timeline: find the incident of the conversation,
 * claim the message once per incident, and record it at its own time by its author.
 */
import type { CaptureClaims, IncidentLocator } from './locator.js';
import { capturedEntry, type CapturedMessage } from './roles.js';
import type { IncidentService } from './service.js';

/**
 * How long a claim holds before its entry is written. A process that dies between the two
 * leaves a claim that lapses, so the message can be added again; a crash after the entry
 * but before the confirmation can at worst add it twice after this long, which a person
 * sees and shrugs at, where a message refused forever is lost without a word. Writing
 * claim and entry in one Redis script would need the locator to write the incident
 * store's timeline keys; an entry is written in milliseconds, a minute is ample.
 */
export const CAPTURE_HOLD_MS = 60_000;

/** `added`; `already` on the timeline (another click, reaction or replica was first); `unreadable`: its ts is not a time. */
export type CaptureOutcome = 'added' | 'already' | 'unreadable';

export class TimelineCapture {
  constructor(
    private readonly incidents: Pick<IncidentService, 'addEntry'>,
    readonly locator: IncidentLocator,
    private readonly claims: CaptureClaims,
  ) {}

  /** The incident of a message: the one whose message heads its thread (`threadTs`), else the one whose war room `channel` is. */
  async incidentOf(channel: string, threadTs: string | undefined): Promise<string | undefined> {
    const ofThread = threadTs === undefined ? undefined : await this.locator.incidentForThread(channel, threadTs);
    return ofThread ?? (await this.locator.incidentForRoom(channel));
  }

  incidentOfRoom(channel: string): Promise<string | undefined> {
    return this.locator.incidentForRoom(channel);
  }

  /** Adds `message` to the incident's timeline for `by`, once however often it is asked. */
  async capture(incidentId: string, message: CapturedMessage, by: string): Promise<CaptureOutcome> {
    const entry = capturedEntry(message, by);
    if (!entry) return 'unreadable';
    if (!(await this.claims.claimCapture(incidentId, message.channel, message.ts, CAPTURE_HOLD_MS))) return 'already';
    try {
      await this.incidents.addEntry(incidentId, entry);
    } catch (error) {
      // Unwritten, the message must stay addable: a retry would otherwise be told it is there.
      await this.claims.releaseCapture(incidentId, message.channel, message.ts).catch(() => undefined);
      throw error;
    }
    await this.claims.confirmCapture(incidentId, message.channel, message.ts);
    return 'added';
  }
}
