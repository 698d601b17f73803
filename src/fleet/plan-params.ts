/**
 * A fleet plan's parameters as the actions layer stores them with the action (strings
 * only): everything the run needs, nothing looked up again after approval.
 */
import type { ExecutionPlan } from '../actions/executor.js';
import type { HealthCheck, InventoryHost } from '../services/schema.js';

/** The plan's parameters as stored with the action: everything the run needs, nothing looked up again. */
export interface FleetParams {
  runbook: string;
  action: string;
  hosts: InventoryHost[];
  command: string;
  dryRunCommand: string;
  batches: string[][];
  continues: string;
  /** The checks `verify` resolved to at planning; [] without `verify`. */
  checks: HealthCheck[];
}

export function readParams(plan: ExecutionPlan): FleetParams {
  const p = plan.params;
  return {
    runbook: p.runbook ?? '',
    action: p.action ?? '',
    hosts: JSON.parse(p.hosts ?? '[]') as InventoryHost[],
    command: p.command ?? '',
    dryRunCommand: p.dryRunCommand ?? '',
    batches: JSON.parse(p.batches ?? '[]') as string[][],
    continues: p.continues ?? '',
    checks: JSON.parse(p.checks ?? '[]') as HealthCheck[],
  };
}

export function writeParams(params: FleetParams): Record<string, string> {
  return { ...params, hosts: JSON.stringify(params.hosts), batches: JSON.stringify(params.batches), checks: JSON.stringify(params.checks) };
}
