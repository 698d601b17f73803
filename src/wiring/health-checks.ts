/**
 * Start-up refuses a services file whose health checks could never be evaluated: a check
 * that silently never runs would let an action pass as verified that nobody verified.
 */
import type { Config } from '../config/load.js';
import { ConfigError } from '../errors.js';
import type { ServiceCatalog } from '../services/catalog.js';

export function requirePrometheusForHealthChecks(config: Config, catalog: ServiceCatalog): void {
  const users = catalog.names().filter((name) => (catalog.get(name)?.health?.length ?? 0) > 0);
  if (users.length === 0 || config.prometheus.url) return;
  throw new ConfigError(`Invalid configuration:\n  - PROMETHEUS_URL: required because ${users.join(', ')} list health checks in ${config.servicesFile}`);
}
