/** The runbooks as start-up reads them: each checked against the services file it acts on. */
import type { Logger } from 'pino';
import type { Config } from '../config/load.js';
import { inventoryProblems, verifyCheckProblems } from '../runbooks/inventory-check.js';
import { loadRunbooks } from '../runbooks/loader.js';
import type { Runbook } from '../runbooks/schema.js';
import type { ServiceCatalog } from '../services/catalog.js';
import { requirePrometheusForVerify } from './health-checks.js';

export async function loadCheckedRunbooks(config: Config, catalog: ServiceCatalog, log: Logger): Promise<Runbook[]> {
  const runbooks = await loadRunbooks(config.runbooksDir, { crossCheck: (runbook) => verifyCheckProblems(runbook, catalog) });
  log.info({ runbooks: runbooks.length, dir: config.runbooksDir }, 'runbooks loaded');
  // Not fatal: a stale reference disables one action, and must not stop incident intake.
  for (const problem of inventoryProblems(runbooks, catalog)) log.warn({ problem }, 'runbook action refers to what services.yaml lacks; it will be refused');
  requirePrometheusForVerify(config, runbooks);
  return runbooks;
}
