/**
 * Start-up refuses a services file whose health checks could never be evaluated: a check
 * that silently never runs would let an action pass as verified that nobody verified.
 */
import type { Logger } from 'pino';
import { configProblemsText, type Config } from '../config/load.js';
import { ConfigError } from '../errors.js';
import type { ServiceCatalog } from '../services/catalog.js';
import { evaluateChecks, type EvaluateRound } from '../verify/checks.js';
import { PrometheusClient } from '../verify/prometheus-client.js';

export function requirePrometheusForHealthChecks(config: Config, catalog: ServiceCatalog): void {
  const requirement = prometheusRequirement(catalog, config.prometheus.url, config.servicesFile);
  if (requirement) throw new ConfigError(configProblemsText([requirement]));
}

/** What the services file makes required of PROMETHEUS_URL, as a `VARIABLE: reason` line; undefined when it is set or not needed. */
export function prometheusRequirement(catalog: ServiceCatalog, url: string | undefined, servicesFile: string): string | undefined {
  const users = catalog.names().filter((name) => (catalog.get(name)?.health?.length ?? 0) > 0);
  if (users.length === 0 || url) return undefined;
  return `PROMETHEUS_URL: required because ${users.join(', ')} list health checks in ${servicesFile}`;
}

/** Rounds of checks against PROMETHEUS_URL; undefined without one (then no service lists checks). */
export function createHealthRounds(config: Config, log: Logger): EvaluateRound | undefined {
  const { url, token, timeoutMs } = config.prometheus;
  if (!url) return undefined;
  const client = new PrometheusClient({ url, token, timeoutMs, log: log.child({ component: 'prometheus' }) });
  return (service, checks) => evaluateChecks(client, service, checks, { graphBase: url });
}
