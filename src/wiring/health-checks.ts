/**
 * Start-up refuses a services file whose health checks, or runbooks whose `verify`, could
 * never be evaluated: a check that silently never runs would let an action pass as
 * verified that nobody verified.
 */
import type { Logger } from 'pino';
import { configProblemsText, type Config } from '../config/load.js';
import { ConfigError } from '../errors.js';
import type { Runbook } from '../runbooks/schema.js';
import type { ServiceCatalog } from '../services/catalog.js';
import { evaluateChecks, type EvaluateRound } from '../verify/checks.js';
import { PrometheusClient } from '../verify/prometheus-client.js';

/**
 * Refuses to start when a runbook's `verify` has no Prometheus to ask. What the services
 * file requires was refused with the rest of the configuration (startup-config.ts), before
 * the runbooks were read.
 */
export function requirePrometheusForVerify(config: Config, runbooks: readonly Runbook[]): void {
  if (config.prometheus.url) return;
  const verifying = runbooks.flatMap((runbook) =>
    runbook.actions.filter((action) => action.kind === 'fleet' && action.verify).map((action) => `${runbook.id} / ${action.id}`),
  );
  if (verifying.length === 0) return;
  throw new ConfigError(
    configProblemsText([`PROMETHEUS_URL: required because runbook actions ${verifying.join(', ')} verify their batches (verify:) in ${config.runbooksDir}`]),
  );
}

/** What the services file makes required of PROMETHEUS_URL, as a `VARIABLE: reason` line; undefined when it is set or not needed. */
export function prometheusRequirement(catalog: ServiceCatalog, url: string | undefined, servicesFile: string): string | undefined {
  const users = catalog.names().filter((name) => (catalog.get(name)?.health?.length ?? 0) > 0);
  if (url || users.length === 0) return undefined;
  return `PROMETHEUS_URL: required because ${users.join(', ')} list health checks in ${servicesFile}`;
}

/** Rounds of checks against PROMETHEUS_URL; undefined without one (then no service lists checks). */
export function createHealthRounds(config: Config, log: Logger): EvaluateRound | undefined {
  const { url, token, timeoutMs } = config.prometheus;
  if (!url) return undefined;
  const client = new PrometheusClient({ url, token, timeoutMs, log: log.child({ component: 'prometheus' }) });
  return (service, checks) => evaluateChecks(client, service, checks, { graphBase: url });
}
