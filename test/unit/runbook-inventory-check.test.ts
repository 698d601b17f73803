import { describe, expect, it } from 'vitest';
import { inventoryProblems } from '../../src/runbooks/inventory-check.js';
import { Runbook } from '../../src/runbooks/schema.js';
import { createCatalog, parseServicesFile } from '../../src/services/catalog.js';

const catalog = createCatalog(
  parseServicesFile(
    'services:\n  web:\n    approvers: [U0OPS]\n    hosts: [web-1]\n  api: {}\ngroups:\n  edge:\n    service: web\n    hosts: [lb-1]\n',
    'services.yaml',
  ),
  'C0DEFAULT',
);

const runbook = (actions: unknown[]) => Runbook.parse({ id: 'r', title: 'R', match: [{ label: 'alertname', equals: 'X' }], actions });
const fleet = (id: string, targets: unknown) => ({ id, title: id, kind: 'fleet', command: 'true', targets });

describe('inventoryProblems', () => {
  it('names each service or group a runbook targets that the services file lacks, or that has no hosts', () => {
    const problems = inventoryProblems(
      [
        runbook([
          { id: 'back', title: 'Back', kind: 'rollback', service: 'billing' },
          fleet('a', { from: 'group', group: 'edge' }),
          fleet('b', { from: 'group', group: 'core' }),
          fleet('c', { from: 'service-hosts', service: 'api' }),
          fleet('d', { from: 'service-hosts', service: 'web' }),
          fleet('e', { from: 'service-hosts' }),
          fleet('f', { from: 'alert-instance' }),
        ]),
      ],
      catalog,
    );
    expect(problems).toEqual([
      'runbook r: actions.0.service: service "billing" is not in the services file',
      'runbook r: actions.2.targets.group: host group "core" is not in the services file (groups:)',
      'runbook r: actions.3.targets.service: service "api" lists no hosts in the services file',
    ]);
  });
});
