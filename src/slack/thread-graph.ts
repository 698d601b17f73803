/**
 * The alert's graph in the incident's thread: its expression over the last hour from
 * Prometheus, drawn as a PNG and uploaded as a reply. Queued behind the incident message
 * (it needs the message's ts) and never in its way: a graph that cannot be drawn is logged
 * and left out. Posted once per incident: a Redis claim taken before the first try makes
 * two replicas, or a restart, post it once; a replica that dies mid-upload leaves that
 * graph out (`/incident graph` posts one on demand).
 */
import type { Logger } from 'pino';
import { renderChartPng, type TimeMark } from '../graph/chart.js';
import { expressionOf, graphQueryOf } from '../graph/expression.js';
import { topSeries } from '../graph/series.js';
import type { Incident, TrackedAlert } from '../incidents/incident.js';
import type { IncidentStore, MessageRefStore } from '../incidents/store.js';
import { stepFor, type RangeQuery } from '../verify/range-query.js';
import type { DeliveryQueue } from './delivery-queue.js';
import type { FileUploads } from './file-upload.js';
import { alertStartMark, graphFileTitle, graphFilename, graphTitle } from './render/graph.js';

export const DEFAULT_GRAPH_RANGE_MS = 3_600_000;

export interface ThreadGraphOptions {
  queue: DeliveryQueue;
  store: IncidentStore & MessageRefStore;
  range: RangeQuery;
  uploads: FileUploads;
  /** SET NX in Redis: true for the one caller that got the key. */
  claim: (key: string, ttlMs: number) => Promise<boolean>;
  /** How long the once-per-incident claim is kept: as long as the incident is. */
  claimTtlMs: number;
  log: Logger;
}

/** Why a graph asked for cannot be drawn; 'queued' when it is on its way. */
export type GraphRequestOutcome = 'queued' | 'no_message' | 'no_expression';

export class ThreadGraphs {
  private requests = 0;

  constructor(private readonly options: ThreadGraphOptions) {}

  /** The incident's message exists now: its first graph follows it, once. */
  incidentPosted(incidentId: string): void {
    let claimed = false;
    this.options.queue.enqueue(`graph:${incidentId}`, async () => {
      // Kept across the queue's retries of this task, so a retry is not taken for a second replica.
      if (!claimed) {
        claimed = await this.options.claim(`graph:incident:${incidentId}`, this.options.claimTtlMs);
        if (!claimed) return;
      }
      await this.post(incidentId, DEFAULT_GRAPH_RANGE_MS);
    });
  }

  /** A graph asked for by a person (`/incident graph`): a new one each time. */
  async request(incident: Incident, rangeMs: number): Promise<GraphRequestOutcome> {
    if (!(await this.options.store.getMessageRef(incident.id))) return 'no_message';
    if (!alertWithExpression(incident)) return 'no_expression';
    this.requests += 1;
    this.options.queue.enqueue(`graph:${incident.id}:asked:${this.requests}`, () => this.post(incident.id, rangeMs));
    return 'queued';
  }

  private async post(incidentId: string, rangeMs: number): Promise<void> {
    const { store, range, uploads } = this.options;
    const log = this.options.log.child({ incidentId });
    const [incident, ref] = await Promise.all([store.get(incidentId), store.getMessageRef(incidentId)]);
    const alert = incident && alertWithExpression(incident);
    if (!ref || !alert) return;
    const { query, threshold } = graphQueryOf(alert.expr);
    const end = new Date();
    const start = new Date(end.getTime() - rangeMs);
    const result = await range.queryRange({ query, start, end, stepSeconds: stepFor(start, end) });
    if (result.kind === 'unavailable') {
      log.warn({ query, reason: result.reason }, 'alert graph left out: Prometheus gave no data');
      return;
    }
    // An empty chart says nothing the alert did not; the log says why none came.
    if (result.series.length === 0) {
      log.warn({ query }, 'alert graph left out: the expression returned no series over the range');
      return;
    }
    const alertname = alert.alert.labels.alertname;
    const startedAt = new Date(alert.alert.startsAt);
    const marks: TimeMark[] = startedAt >= start ? [{ at: startedAt, label: alertStartMark(startedAt) }] : [];
    const bytes = renderChartPng({
      title: graphTitle(alertname, query, rangeMs),
      lines: topSeries(result.series),
      from: start,
      to: end,
      marks,
      ...(threshold !== undefined ? { threshold } : {}),
    });
    await uploads.uploadToThread({
      channel: ref.channel,
      threadTs: ref.ts,
      filename: graphFilename(incidentId, end),
      title: graphFileTitle(incidentId, alertname),
      bytes,
    });
    log.info({ query, series: result.series.length, bytes: bytes.byteLength }, 'alert graph posted');
  }
}

/** The earliest-started alert whose generatorURL carries an expression. */
function alertWithExpression(incident: Incident): { alert: TrackedAlert; expr: string } | undefined {
  const candidates = Object.values(incident.alerts)
    .map((alert) => ({ alert, expr: expressionOf(alert.generatorURL) }))
    .filter((c): c is { alert: TrackedAlert; expr: string } => c.expr !== undefined)
    .sort((a, b) => a.alert.startsAt.localeCompare(b.alert.startsAt));
  return candidates[0];
}
