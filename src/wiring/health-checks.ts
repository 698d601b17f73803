/**
 * Start-up refuses a services file whose health checks, or runbooks whose `verify`, could
 * never be evaluated: a check that silently never runs would let an action pass as
 * verified that nobody verified.
 */
import type { Logger } from 'pino';
import type { Config } from '../config/load.js';
import { ConfigError } from '../errors.js';
import type { Runbook } from '../runbooks/schema.js';
import type { ServiceCatalog } from '../services/catalog.js';
import { evaluateChecks, type EvaluateRound } from '../verify/checks.js';
import { PrometheusClient } from '../verify/prometheus-client.js';

export function requirePrometheusForHealthChecks(config: Config, catalog: ServiceCatalog, runbooks: readonly Runbook[] = []): void {
  if (config.prometheus.url) return;
  const users = catalog.names().filter((name) => (catalog.get(name)?.health?.length ?? 0) > 0);
  const verifying = runbooks.flatMap((runbook) =>
    runbook.actions.filter((action) => action.kind === 'fleet' && action.verify).map((action) => `${runbook.id} / ${action.id}`),
  );
  const reasons = [
    ...(users.length > 0 ? [`${users.join(', ')} list health checks in ${config.servicesFile}`] : []),
    ...(verifying.length > 0 ? [`runbook actions ${verifying.join(', ')} verify their batches (verify:) in ${config.runbooksDir}`] : []),
  ];
  if (reasons.length === 0) return;
  throw new ConfigError(`Invalid configuration:\n  - PROMETHEUS_URL: required because ${reasons.join(', and ')}`);
}

/** Rounds of checks against PROMETHEUS_URL; undefined without one (then no service lists checks). */
export function createHealthRounds(config: Config, log: Logger): EvaluateRound | undefined {
  const { url, token, timeoutMs } = config.prometheus;
  if (!url) return undefined;
  const client = new PrometheusClient({ url, token, timeoutMs, log: log.child({ component: 'prometheus' }) });
  return (service, checks) => evaluateChecks(client, service, checks, { graphBase: url });
}
