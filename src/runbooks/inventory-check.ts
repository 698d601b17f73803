import type { ServiceCatalog } from '../services/catalog.js';
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
