/**
 * The RangeQuery adapter for Prometheus's /api/v1/query_range, tried like the instant
 * client: a timeout, a dropped connection, a 429 or a 5xx again with backoff; a 4xx is
 * Prometheus refusing the query (or the token) and is not tried again.
 */
import type { Logger } from 'pino';
import { z } from 'zod';
import type { Series } from '../graph/series.js';
import type { RangeQuery, RangeRequest, RangeResult } from './range-query.js';
import type { PrometheusClientOptions } from './prometheus-client.js';

const Point = z.tuple([z.number(), z.string()]).transform(([t, text]): [number, number] => [t, Number(text)]);

const RangeResponse = z.discriminatedUnion('status', [
  z.object({
    status: z.literal('success'),
    data: z.object({ resultType: z.literal('matrix'), result: z.array(z.object({ metric: z.record(z.string(), z.string()), values: z.array(Point) })) }),
  }),
  z.object({ status: z.literal('error'), errorType: z.string().optional(), error: z.string().optional() }),
]);
type RangeResponse = z.output<typeof RangeResponse>;

type Attempt = { done: true; result: RangeResult } | { done: false; reason: string };

export class PrometheusRangeClient implements RangeQuery {
  private readonly retries: number;
  private readonly backoffMs: number;
  private readonly log: Logger | undefined;

  constructor(private readonly options: PrometheusClientOptions) {
    this.retries = options.retries ?? 2;
    this.backoffMs = options.backoffMs ?? 250;
    this.log = options.log;
  }

  async queryRange(request: RangeRequest): Promise<RangeResult> {
    let reason = '';
    for (let attempt = 0; attempt <= this.retries; attempt++) {
      if (attempt > 0) await sleep(this.backoffMs * 2 ** (attempt - 1));
      const outcome = await this.tryOnce(request);
      if (outcome.done) return outcome.result;
      reason = outcome.reason;
      this.log?.warn({ query: request.query, attempt: attempt + 1, reason }, 'Prometheus range query failed');
    }
    return { kind: 'unavailable', reason: `Prometheus did not answer after ${this.retries + 1} tries: ${reason}` };
  }

  private async tryOnce(request: RangeRequest): Promise<Attempt> {
    const body = new URLSearchParams({
      query: request.query,
      start: seconds(request.start),
      end: seconds(request.end),
      step: String(request.stepSeconds),
    });
    const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' };
    if (this.options.token) headers.authorization = `Bearer ${this.options.token}`;
    let response: Response;
    let text: string;
    try {
      response = await fetch(`${this.options.url}/api/v1/query_range`, {
        method: 'POST',
        headers,
        body,
        signal: AbortSignal.timeout(this.options.timeoutMs),
      });
      text = await response.text();
    } catch (error) {
      const timedOut = error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError');
      return { done: false, reason: timedOut ? `no answer within ${this.options.timeoutMs} ms` : String((error as Error).message ?? error) };
    }
    const parsed = parse(text);
    if (response.status === 429 || response.status >= 500) return { done: false, reason: `HTTP ${response.status}${said(parsed)}` };
    if (response.status >= 400 || parsed?.status === 'error') {
      const auth = response.status === 401 || response.status === 403 ? ': check PROMETHEUS_TOKEN' : '';
      return { done: true, result: { kind: 'unavailable', reason: `Prometheus refused the query (HTTP ${response.status}${said(parsed)})${auth}` } };
    }
    if (!parsed) return { done: true, result: { kind: 'unavailable', reason: `HTTP ${response.status} with a body that is not a Prometheus range response` } };
    const series: Series[] = parsed.data.result.map((s) => ({ labels: s.metric, points: s.values }));
    return { done: true, result: { kind: 'series', series } };
  }
}

function seconds(at: Date): string {
  return (at.getTime() / 1000).toFixed(3);
}

function parse(text: string): RangeResponse | undefined {
  try {
    const parsed = RangeResponse.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

function said(parsed: RangeResponse | undefined): string {
  return parsed?.status === 'error' && parsed.error ? `: ${parsed.errorType ? `${parsed.errorType}: ` : ''}${parsed.error}` : '';
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
