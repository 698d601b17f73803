/**
 * The RangeQuery adapter for Prometheus's /api/v1/query_range, tried like the instant
 * client: a timeout, a dropped connection, a 429 or a 5xx again with backoff; a 4xx is
 * Prometheus refusing the query (or the token) and is not tried again.
 */
import { z } from 'zod';
import type { Series } from '../graph/series.js';
import type { RangeQuery, RangeRequest, RangeResult } from './range-query.js';
import { postForm, said, withRetries, type Attempt, type PrometheusClientOptions } from './prometheus-http.js';

const Point = z.tuple([z.number(), z.string()]).transform(([t, text]): [number, number] => [t, Number(text)]);

const RangeResponse = z.discriminatedUnion('status', [
  z.object({
    status: z.literal('success'),
    data: z.object({ resultType: z.literal('matrix'), result: z.array(z.object({ metric: z.record(z.string(), z.string()), values: z.array(Point) })) }),
  }),
  z.object({ status: z.literal('error'), errorType: z.string().optional(), error: z.string().optional() }),
]);
type RangeResponse = z.output<typeof RangeResponse>;

export class PrometheusRangeClient implements RangeQuery {
  constructor(private readonly options: PrometheusClientOptions) {}

  async queryRange(request: RangeRequest): Promise<RangeResult> {
    const outcome = await withRetries(
      this.options,
      () => this.tryOnce(request),
      (reason, attempt) => this.options.log?.warn({ query: request.query, attempt, reason }, 'Prometheus range query failed'),
    );
    return outcome.done ? outcome.result : { kind: 'unavailable', reason: outcome.reason };
  }

  private async tryOnce(request: RangeRequest): Promise<Attempt<RangeResult>> {
    const form = new URLSearchParams({
      query: request.query,
      start: seconds(request.start),
      end: seconds(request.end),
      step: String(request.stepSeconds),
    });
    const answer = await postForm(this.options, '/api/v1/query_range', form);
    if (!answer.answered) return { done: false, reason: answer.reason };
    const { status, text } = answer;
    const parsed = parse(text);
    if (status === 429 || status >= 500) return { done: false, reason: `HTTP ${status}${said(parsed)}` };
    if (status >= 400 || parsed?.status === 'error') {
      const auth = status === 401 || status === 403 ? ': check PROMETHEUS_TOKEN' : '';
      return { done: true, result: { kind: 'unavailable', reason: `Prometheus refused the query (HTTP ${status}${said(parsed)})${auth}` } };
    }
    if (!parsed) return { done: true, result: { kind: 'unavailable', reason: `HTTP ${status} with a body that is not a Prometheus range response` } };
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
