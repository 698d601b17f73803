import type { Runbook } from './schema.js';

/** What slash commands may read of the loaded runbooks. */
export function runbookDirectory(runbooks: readonly Runbook[]) {
  const fleetIds = (runbook: Runbook) => runbook.actions.filter((action) => action.kind === 'fleet').map((action) => action.id);
  return {
    fleetActionsOf: (runbookId: string): string[] | undefined => {
      const runbook = runbooks.find((r) => r.id === runbookId);
      return runbook && fleetIds(runbook);
    },
    withFleetActions: (): string[] => runbooks.filter((r) => fleetIds(r).length > 0).map((r) => r.id),
  };
}
