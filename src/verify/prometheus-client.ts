/**
 * The MetricsQuery adapter for Prometheus's HTTP API: instant queries on /api/v1/query.
 * Queries are reads, so a timeout, a dropped connection, a 429 or a 5xx is tried again a
 * few times with backoff; when every try failed the answer is "no data" with the reason.
 * A 4xx is Prometheus refusing the query (or the token): HealthCheckError, never retried.
 */
import { z } from 'zod';
import { HealthCheckError } from '../errors.js';
import type { MetricsQuery, QueryRequest, QueryResult, Sample } from './metrics-query.js';
import { postForm, said, withRetries, type Attempt, type PrometheusClientOptions } from './prometheus-http.js';

/** Prometheus writes sample values as strings: "0.02", "NaN", "+Inf". */
const SampleValue = z.tuple([z.number(), z.string()]).transform(([, text]) => Number(text));

const QueryResponse = z.discriminatedUnion('status', [
  z.object({
    status: z.literal('success'),
    data: z.discriminatedUnion('resultType', [
      z.object({ resultType: z.literal('vector'), result: z.array(z.object({ metric: z.record(z.string(), z.string()), value: SampleValue })) }),
      z.object({ resultType: z.literal('scalar'), result: SampleValue }),
      z.object({ resultType: z.literal('matrix'), result: z.array(z.unknown()) }),
      z.object({ resultType: z.literal('string'), result: z.unknown() }),
    ]),
  }),
  z.object({ status: z.literal('error'), errorType: z.string().optional(), error: z.string().optional() }),
]);
type QueryResponse = z.output<typeof QueryResponse>;

export class PrometheusClient implements MetricsQuery {
  constructor(private readonly options: PrometheusClientOptions) {}

  async query(request: QueryRequest): Promise<QueryResult> {
    const outcome = await withRetries(
      this.options,
      () => this.tryOnce(request),
      (reason, attempt) => this.options.log?.warn({ service: request.service, check: request.check, attempt, reason }, 'Prometheus query failed'),
    );
    return outcome.done ? outcome.result : { kind: 'no-data', reason: outcome.reason };
  }

  private async tryOnce(request: QueryRequest): Promise<Attempt<QueryResult>> {
    const form = new URLSearchParams({ query: request.query });
    if (request.time) form.set('time', (request.time.getTime() / 1000).toFixed(3));
    const answer = await postForm(this.options, '/api/v1/query', form);
    if (!answer.answered) return { done: false, reason: answer.reason };
    const { status, text } = answer;
    if (status === 429 || status >= 500) return { done: false, reason: `HTTP ${status}${said(parse(text))}` };
    if (status >= 400) throw this.refusal(request, status, parse(text));
    const parsed = parse(text);
    if (!parsed) return { done: true, result: { kind: 'no-data', reason: `HTTP ${status} with a body that is not a Prometheus query response` } };
    if (parsed.status === 'error') throw this.refusal(request, status, parsed);
    return { done: true, result: samplesOf(request, parsed.data) };
  }

  private refusal(request: QueryRequest, status: number, parsed: QueryResponse | undefined): HealthCheckError {
    const auth = status === 401 || status === 403 ? ': check PROMETHEUS_TOKEN' : '';
    return new HealthCheckError(request.service, request.check, `Prometheus refused the query (HTTP ${status}${said(parsed)})${auth}`);
  }
}

function samplesOf(request: QueryRequest, data: Extract<QueryResponse, { status: 'success' }>['data']): QueryResult {
  switch (data.resultType) {
    case 'vector':
      return { kind: 'samples', samples: data.result.map((s): Sample => ({ labels: s.metric, value: s.value })) };
    case 'scalar':
      return { kind: 'samples', samples: [{ labels: {}, value: data.result }] };
    default:
      throw new HealthCheckError(
        request.service,
        request.check,
        `the query returns a ${data.resultType}; a check needs one number (an instant vector or a scalar)`,
      );
  }
}

function parse(text: string): QueryResponse | undefined {
  try {
    const parsed = QueryResponse.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}
