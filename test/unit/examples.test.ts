import { describe, expect, it } from 'vitest';
import { inventoryProblems, verifyCheckProblems } from '../../src/runbooks/inventory-check.js';
import { loadRunbooks } from '../../src/runbooks/loader.js';
import { createCatalog, loadServicesFile } from '../../src/services/catalog.js';

/** The example the README points to for health checks: it must load as the bot would load it. */
describe('the verified example (examples/verified)', () => {
  it('loads, and its runbook names only checks its services have', async () => {
    const catalog = createCatalog(await loadServicesFile('examples/verified/services.yaml'), 'C0FALLBACK');
    const runbooks = await loadRunbooks('examples/verified/runbooks', { crossCheck: (runbook) => verifyCheckProblems(runbook, catalog) });
    expect(inventoryProblems(runbooks, catalog)).toEqual([]);
    const verify = runbooks.flatMap((r) => r.actions).find((a) => a.kind === 'fleet' && a.verify);
    expect(verify).toBeDefined();
    expect(catalog.get('payment-service')).toMatchObject({ verify_after: '5m', deploy_guard: { checks: ['error-rate'], mode: 'propose' } });
  });
});
