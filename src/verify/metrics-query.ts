/**
 * The port health checks are evaluated through: one instant query, answered with the
 * samples it returned, or with "no data" and why when the metrics source did not answer.
 * A query the source refuses as malformed is a configuration error (HealthCheckError),
 * thrown: no retry or wait can make it pass.
 */

export interface Sample {
  labels: Readonly<Record<string, string>>;
  /** NaN and ±Inf are kept: an error ratio with no traffic is 0/0. */
  value: number;
}

export type QueryResult = { kind: 'samples'; samples: readonly Sample[] } | { kind: 'no-data'; reason: string };

export interface QueryRequest {
  /** The service and check the query belongs to, named in errors. */
  service: string;
  check: string;
  query: string;
  /** The instant evaluated; the source's present when absent. */
  time?: Date;
}

export interface MetricsQuery {
  query(request: QueryRequest): Promise<QueryResult>;
}
