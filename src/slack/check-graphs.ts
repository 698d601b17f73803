/**
 * A verification's evidence as pictures: each check it rests on (the failing checks of a
 * deploy guard, the checks of a rollback's verdict), graphed over a window around the deploy
 * or the rollback with that moment marked and the check's threshold drawn, uploaded into the
 * thread where the verdict is said. Queued and never in the way of that message; each graph
 * is claimed once, so two replicas or a restart post it once.
 */
import type { Logger } from 'pino';
import { renderChartPng, type ChartSpec } from '../graph/chart.js';
import { topSeries, type Series } from '../graph/series.js';
import type { CheckResult } from '../verify/checks.js';
import { stepFor, type RangeQuery } from '../verify/range-query.js';
import type { DeliveryQueue } from './delivery-queue.js';
import type { FileUploads } from './file-upload.js';
import { checkGraphFilename, checkGraphFileTitle, checkGraphTitle, eventMark } from './render/graph.js';

/** A verdict rests on a handful of checks at most; more pictures would bury the thread. */
const MAX_CHECK_GRAPHS = 3;
/** Shown before the event at least, so the graph says what "before" looked like. */
const MIN_LEAD_MS = 10 * 60_000;
/** At most this much before the event: a guard window of a day would flatten the moment that matters. */
const MAX_LEAD_MS = 6 * 3_600_000;

export interface CheckGraphRequest {
  /** Names the event (a rollback's action id, a guarded deploy): the claims and queue keys hang off it. */
  key: string;
  service: string;
  event: { kind: 'deploy' | 'rollback'; at: Date };
  /** Graphed in this order, the first MAX_CHECK_GRAPHS of them. */
  checks: readonly Pick<CheckResult, 'check' | 'query' | 'threshold' | 'value'>[];
  /** Where to upload, looked up when the upload runs: undefined leaves the graphs out. */
  where: () => Promise<{ channel: string; threadTs: string } | undefined>;
}

export interface CheckGraphOptions {
  queue: Pick<DeliveryQueue, 'enqueue'>;
  range: RangeQuery;
  uploads: FileUploads;
  /** SET NX: true for the one caller that got the key; never released. */
  claim: (key: string, ttlMs: number) => Promise<boolean>;
  claimTtlMs: number;
  log: Logger;
  now?: () => Date;
}

/** The span a check is drawn over: as long before the event as has passed since, within bounds, up to now. */
export function checkGraphWindow(at: Date, now: Date): { from: Date; to: Date } {
  const lead = Math.min(MAX_LEAD_MS, Math.max(MIN_LEAD_MS, now.getTime() - at.getTime()));
  return { from: new Date(at.getTime() - lead), to: now };
}

/** The bound the value broke, else the upper one, else the lower: one line is drawn. */
function thresholdLine({ threshold, value }: Pick<CheckResult, 'threshold' | 'value'>): number | undefined {
  if (value !== undefined && threshold.min !== undefined && value < threshold.min) return threshold.min;
  return threshold.max ?? threshold.min;
}

/** The chart of one check around the event. Pure. */
export function checkChartSpec(
  request: Pick<CheckGraphRequest, 'service' | 'event'>,
  check: Pick<CheckResult, 'check' | 'query' | 'threshold' | 'value'>,
  series: readonly Series[],
  window: { from: Date; to: Date },
): ChartSpec {
  const threshold = thresholdLine(check);
  return {
    title: checkGraphTitle(request.service, check.check, check.query),
    lines: topSeries(series),
    from: window.from,
    to: window.to,
    marks: [{ at: request.event.at, label: eventMark(request.event.kind, request.event.at) }],
    ...(threshold !== undefined ? { threshold } : {}),
  };
}

export class CheckGraphs {
  private readonly now: () => Date;

  constructor(private readonly o: CheckGraphOptions) {
    this.now = o.now ?? (() => new Date());
  }

  /** Queues one graph per check; returns at once. */
  post(request: CheckGraphRequest): void {
    for (const check of request.checks.slice(0, MAX_CHECK_GRAPHS)) {
      const key = `graph:${request.key}:${check.check}`;
      let claimed = false;
      this.o.queue.enqueue(key, async () => {
        // Kept across the queue's retries of this task, so a retry is not taken for a second replica.
        if (!claimed) {
          claimed = await this.o.claim(key, this.o.claimTtlMs);
          if (!claimed) return;
        }
        await this.postOne(request, check);
      });
    }
  }

  private async postOne(request: CheckGraphRequest, check: CheckGraphRequest['checks'][number]): Promise<void> {
    const log = this.o.log.child({ service: request.service, check: check.check, event: request.event.kind });
    const where = await request.where();
    if (!where) return void log.warn('check graph left out: no thread to post it in');
    const window = checkGraphWindow(request.event.at, this.now());
    const result = await this.o.range.queryRange({ query: check.query, start: window.from, end: window.to, stepSeconds: stepFor(window.from, window.to) });
    if (result.kind === 'unavailable') return void log.warn({ reason: result.reason }, 'check graph left out: Prometheus gave no data');
    if (result.series.length === 0) return void log.warn('check graph left out: the query returned no series over the window');
    const bytes = renderChartPng(checkChartSpec(request, check, result.series, window));
    await this.o.uploads.uploadToThread({
      ...where,
      filename: checkGraphFilename(request.service, check.check, window.to),
      title: checkGraphFileTitle(request.service, check.check, request.event.kind),
      bytes,
    });
    log.info({ series: result.series.length, bytes: bytes.byteLength }, 'check graph posted');
  }
}
