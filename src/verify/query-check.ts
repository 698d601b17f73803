import { HealthCheckError } from '../errors.js';
import type { ServicesFile } from '../services/schema.js';
import type { MetricsQuery } from './metrics-query.js';

/**
 * Sends every health check's query once, for `npm run check`: the problems, each as
 * `services.<service>.health.<check>: reason`. A query that returns no sample is not one
 * (the series may not exist where the check is run); a refused query or a Prometheus that
 * does not answer is.
 */
export async function queryProblems(file: ServicesFile, metrics: MetricsQuery): Promise<string[]> {
  const problems: string[] = [];
  for (const [service, entry] of Object.entries(file.services)) {
    for (const check of entry.health ?? []) {
      try {
        const result = await metrics.query({ service, check: check.name, query: check.query });
        if (result.kind === 'no-data') problems.push(`services.${service}.health.${check.name}: ${result.reason}`);
      } catch (error) {
        if (!(error instanceof HealthCheckError)) throw error;
        problems.push(error.message);
      }
    }
  }
  return problems;
}
