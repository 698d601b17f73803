/**
 * The part of autocannon 8's programmatic API the benches use. The package ships no
 * types and @types/autocannon is not a dependency; this keeps `tsc --noEmit` strict.
 */
declare module 'autocannon' {
  export interface RawRequest {
    method?: string;
    path?: string;
    headers?: Record<string, string>;
    body?: string | Buffer;
  }

  export interface RequestSpec extends RawRequest {
    /** Called before each request of this spec; returns the request to send. */
    setupRequest?: (request: RawRequest, context: Record<string, unknown>) => RawRequest;
    onResponse?: (status: number, body: string, context: Record<string, unknown>) => void;
  }

  export interface Options {
    url: string;
    connections?: number;
    duration?: number;
    pipelining?: number;
    timeout?: number;
    method?: string;
    headers?: Record<string, string>;
    body?: string | Buffer;
    requests?: RequestSpec[];
    title?: string;
    /** Return the raw (encoded-histogram) result, to merge several runs with aggregateResult. */
    skipAggregateResult?: boolean;
  }

  export interface Histogram {
    average: number;
    mean: number;
    stddev: number;
    min: number;
    max: number;
    total: number;
    p50: number;
    p90: number;
    p99: number;
  }

  export interface Result {
    title?: string;
    url: string;
    requests: Histogram;
    latency: Histogram;
    throughput: Histogram;
    /** Seconds. */
    duration: number;
    errors: number;
    timeouts: number;
    non2xx: number;
    '2xx': number;
    statusCodeStats: Record<string, { count: number }>;
  }

  /** A thenable event emitter (the run's tracker). */
  export interface Instance extends PromiseLike<Result> {
    stop(): void;
  }

  /** Per-run result as returned with skipAggregateResult: counters plus encoded histograms. */
  export interface RawResult {
    duration: number;
    errors: number;
    timeouts: number;
    non2xx: number;
    '2xx': number;
  }

  function autocannon(options: Options & { skipAggregateResult: true }): PromiseLike<RawResult> & { stop(): void };
  function autocannon(options: Options): Instance;
  namespace autocannon {
    /** Merges raw results of several runs (latency histograms added together). */
    function aggregateResult(results: RawResult[], options: { url: string }): Result;
  }
  export default autocannon;
}
