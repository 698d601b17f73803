/**
 * Which incident a Slack conversation belongs to: the thread under its message, or its war
 * room. The thread is bound where the message's reference is stored (MessageRefStore), the
 * room by whoever opens it; both are kept as long as the incident's records.
 */
export interface IncidentLocator {
  /** The incident whose message heads the thread `threadTs` in `channel`. */
  incidentForThread(channel: string, threadTs: string): Promise<string | undefined>;
  /** The incident whose war room `channel` is. */
  incidentForRoom(channel: string): Promise<string | undefined>;
  bindRoom(channel: string, incidentId: string): Promise<void>;
}

/**
 * Messages already on an incident's timeline, claimed once (SET NX): two clicks or two replicas add one entry.
 * A claim holds briefly until its entry is written and confirmed, so a crash in between does not bar the message for good.
 */
export interface CaptureClaims {
  /**
   * True for the first claim of the message `channel`/`ts` on the incident, false while that
   * claim holds: `holdMs` until it is confirmed, ever after once it is.
   */
  claimCapture(incidentId: string, channel: string, ts: string, holdMs: number): Promise<boolean>;
  /** The entry is written: the claim holds as long as the incident's records. */
  confirmCapture(incidentId: string, channel: string, ts: string): Promise<void>;
  /** Gives a claim back when the entry could not be written, so that trying again can add it. */
  releaseCapture(incidentId: string, channel: string, ts: string): Promise<void>;
}
