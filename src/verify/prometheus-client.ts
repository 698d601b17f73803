/**
 * The MetricsQuery adapter for Prometheus's HTTP API: instant queries on /api/v1/query.
 * Queries are reads, so a timeout, a dropped connection, a 429 or a 5xx is tried again a
 * few times with backoff; when every try failed the answer is "no data" with the reason.
 * A 4xx is Prometheus refusing the query (or the token): HealthCheckError, never retried.
 */
import type { Logger } from 'pino';
import { z } from 'zod';
import { HealthCheckError } from '../errors.js';
import type { MetricsQuery, QueryRequest, QueryResult, Sample } from './metrics-query.js';

export interface PrometheusClientOptions {
  /** Base URL without a trailing slash, e.g. http://prometheus:9090. */
  url: string;
  /** Sent as `Authorization: Bearer <token>`. */
  token?: string | undefined;
  /** Bound on one try. */
  timeoutMs: number;
  /** Tries after the first (default 2). */
  retries?: number;
  /** Wait before the first retry, doubled before each next one (default 250 ms). */
  backoffMs?: number;
  log?: Logger;
}

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

/** One try's outcome: an answer, or a failure worth trying again. */
type Attempt = { ok: true; result: QueryResult } | { ok: false; reason: string };

export class PrometheusClient implements MetricsQuery {
  private readonly retries: number;
  private readonly backoffMs: number;

  constructor(private readonly options: PrometheusClientOptions) {
    this.retries = options.retries ?? 2;
    this.backoffMs = options.backoffMs ?? 250;
  }

  async query(request: QueryRequest): Promise<QueryResult> {
    let reason = '';
    for (let attempt = 0; attempt <= this.retries; attempt++) {
      if (attempt > 0) await sleep(this.backoffMs * 2 ** (attempt - 1));
      const outcome = await this.tryOnce(request);
      if (outcome.ok) return outcome.result;
      reason = outcome.reason;
      this.options.log?.warn({ service: request.service, check: request.check, attempt: attempt + 1, reason }, 'Prometheus query failed');
    }
    return { kind: 'no-data', reason: `Prometheus did not answer after ${this.retries + 1} tries: ${reason}` };
  }

  private async tryOnce(request: QueryRequest): Promise<Attempt> {
    const body = new URLSearchParams({ query: request.query });
    if (request.time) body.set('time', (request.time.getTime() / 1000).toFixed(3));
    const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' };
    if (this.options.token) headers.authorization = `Bearer ${this.options.token}`;
    let response: Response;
    let text: string;
    try {
      // POST takes queries longer than a URL may be; Prometheus reads the same form either way.
      response = await fetch(`${this.options.url}/api/v1/query`, {
        method: 'POST',
        headers,
        body,
        signal: AbortSignal.timeout(this.options.timeoutMs),
      });
      text = await response.text();
    } catch (error) {
      const timedOut = error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError');
      return { ok: false, reason: timedOut ? `no answer within ${this.options.timeoutMs} ms` : `${describe(error)}` };
    }
    if (response.status === 429 || response.status >= 500) return { ok: false, reason: `HTTP ${response.status}${said(parse(text))}` };
    if (response.status >= 400) throw this.refusal(request, response.status, parse(text));
    const parsed = parse(text);
    if (!parsed) return { ok: true, result: { kind: 'no-data', reason: `HTTP ${response.status} with a body that is not a Prometheus query response` } };
    if (parsed.status === 'error') throw this.refusal(request, response.status, parsed);
    return { ok: true, result: samplesOf(request, parsed.data) };
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

function said(parsed: QueryResponse | undefined): string {
  return parsed?.status === 'error' && parsed.error ? `: ${parsed.errorType ? `${parsed.errorType}: ` : ''}${parsed.error}` : '';
}

function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause instanceof Error ? ` (${error.cause.message})` : '';
  return `${error.message}${cause}`;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
