import type { ServiceCatalog } from '../services/catalog.js';
import type { RunbookProblem } from './errors.js';
import type { Runbook } from './schema.js';

/**
 * What the runbooks name that the services file lacks: a service or host group their
 * actions target. Runbooks and services.yaml are edited apart, so a reference can go stale;
 * the bot would refuse such an action when asked, and this says so before anyone asks.
 * One line per problem: `runbook <id>: <path>: <reason>`.
 */
export function inventoryProblems(runbooks: readonly Runbook[], catalog: Pick<ServiceCatalog, 'get' | 'group' | 'hostsOf'>): string[] {
  const problems: string[] = [];
  for (const runbook of runbooks) {
    runbook.actions.forEach((action, index) => {
      const at = (field: string, reason: string) => problems.push(`runbook ${runbook.id}: actions.${index}.${field}: ${reason}`);
      if (action.kind === 'rollback') {
        if (action.service && !catalog.get(action.service)) at('service', `service "${action.service}" is not in the services file`);
        return;
      }
      const { targets } = action;
      if (targets.from === 'group' && !catalog.group(targets.group)) at('targets.group', `host group "${targets.group}" is not in the services file (groups:)`);
      if (targets.from === 'service-hosts' && targets.service) {
        if (!catalog.get(targets.service)) at('targets.service', `service "${targets.service}" is not in the services file`);
        else if (catalog.hostsOf(targets.service).length === 0) at('targets.service', `service "${targets.service}" lists no hosts in the services file`);
      }
    });
  }
  return problems;
}

/**
 * Health checks a fleet action's `verify` names that its service does not list under
 * `health`. Unlike a stale host reference, this stops start-up: the rollout could never be
 * verified, and a rollout that cannot be verified must not pass as one that was. Only
 * actions whose service the runbook fixes are checked here; one taken from the alert is
 * checked when the action is requested.
 */
export function verifyCheckProblems(runbook: Runbook, catalog: Pick<ServiceCatalog, 'get' | 'group'>): Omit<RunbookProblem, 'file'>[] {
  const problems: Omit<RunbookProblem, 'file'>[] = [];
  runbook.actions.forEach((action, index) => {
    if (action.kind !== 'fleet' || !action.verify) return;
    const { targets } = action;
    const service = targets.from === 'group' ? catalog.group(targets.group)?.service : targets.from === 'service-hosts' ? targets.service : undefined;
    const entry = service === undefined ? undefined : catalog.get(service);
    if (!entry) return;
    const known = (entry.health ?? []).map((check) => check.name);
    action.verify.checks.forEach((check, at) => {
      if (typeof check !== 'string' || known.includes(check)) return;
      const choices = known.length > 0 ? `its checks: ${known.join(', ')}` : 'it lists no health checks';
      problems.push({
        path: `actions.${index}.verify.checks.${at}`,
        reason: `service "${service}" has no health check "${check}" in the services file (${choices}); name one of them or write the check inline`,
      });
    });
  });
  return problems;
}
