import type { Logger } from 'pino';
import type { ActionStore } from '../../actions/store.js';
import type { IncidentStore, MessageRefStore } from '../../incidents/store.js';
import { OutageLog } from '../../outage-log.js';

/** Something whose Slack messages can be compared with Redis and brought up to date. */
export interface Reconcilable {
  isBehind(id: string): Promise<boolean>;
  reconcile(id: string): void;
}

export interface ReconcilerOptions {
  incidents: { store: Pick<IncidentStore, 'listOpen'> & Pick<MessageRefStore, 'changedSince'>; publisher: Reconcilable };
  actions: { store: Pick<ActionStore, 'runningActionIds' | 'awaitingApprovalIds' | 'actionsChangedSince'>; publisher: Reconcilable };
  /** Flood roll-ups (src/slack/flood), when they are on. */
  floods?: { store: { changedSince(since: number): Promise<string[]> }; publisher: Reconcilable };
  intervalMs: number;
  log: Logger;
}

/** Open incidents looked at per sweep; more than any channel can follow. */
const OPEN_LIMIT = 1_000;
/** How far back a change is looked at: long enough to outlast a Slack outage or a restart. */
const RECENT_MS = 60 * 60_000;

/**
 * Compares what Slack shows with what Redis holds, as a controller does: at start-up and
 * every interval, over open and recently changed incidents and actions, and hands each one
 * that is behind to its publisher. Any replica may do it after any crash: the publishers
 * lease each message, so two sweeps never send one message twice.
 */
export class Reconciler {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private readonly outage: OutageLog;

  constructor(private readonly options: ReconcilerOptions) {
    this.outage = new OutageLog(options.log, 'reconciliation');
  }

  start(): void {
    void this.sweepOnce();
    this.timer = setInterval(() => void this.sweepOnce(), this.options.intervalMs);
    this.timer.unref();
  }

  stop(): Promise<void> {
    clearInterval(this.timer);
    return this.running ?? Promise.resolve();
  }

  /** One sweep, unless one is still running. */
  private sweepOnce(): Promise<void> {
    this.running ??= this.sweep()
      .then((behind) => {
        this.outage.succeeded();
        if (behind > 0) this.options.log.info({ behind }, 'Slack messages behind Redis handed to delivery');
      })
      .catch((error: unknown) => {
        if (!this.outage.failed(error)) this.options.log.warn({ err: error }, 'reconciliation sweep failed; the next one tries again');
      })
      .finally(() => {
        this.running = undefined;
      });
    return this.running;
  }

  /** The count of incidents and actions found behind. */
  async sweep(): Promise<number> {
    const since = Date.now() - RECENT_MS;
    const { incidents, actions } = this.options;
    const incidentIds = new Set([...(await incidents.store.listOpen(OPEN_LIMIT)).map((i) => i.id), ...(await incidents.store.changedSince(since))]);
    const actionIds = new Set([
      ...(await actions.store.runningActionIds()),
      ...(await actions.store.awaitingApprovalIds()),
      ...(await actions.store.actionsChangedSince(since)),
    ]);
    const kinds: Array<[Set<string>, Reconcilable]> = [
      [incidentIds, incidents.publisher],
      [actionIds, actions.publisher],
    ];
    const { floods } = this.options;
    if (floods) kinds.push([new Set(await floods.store.changedSince(since)), floods.publisher]);
    let behind = 0;
    for (const [ids, publisher] of kinds) {
      for (const id of ids) {
        if (!(await publisher.isBehind(id))) continue;
        publisher.reconcile(id);
        behind += 1;
      }
    }
    return behind;
  }
}
