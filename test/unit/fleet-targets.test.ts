import { describe, expect, it } from 'vitest';
import { ExecutorRefusal } from '../../src/actions/executor.js';
import { hostOfInstance, resolveTargets, type FleetInventory } from '../../src/fleet/targets.js';
import { createCatalog, parseServicesFile } from '../../src/services/catalog.js';

const inventory: FleetInventory = createCatalog(
  parseServicesFile(
    `services:
  storage:
    approvers: [U0OPS]
    hosts: [web-1, web-2, "web-3:2222"]
  search:
    approvers: [U0OPS]
    hosts: [web-2, es-1]
groups:
  edge:
    service: storage
    hosts: [{ name: lb-1, address: "10.0.0.9" }]
`,
    'services.yaml',
  ),
  'C0DEFAULT',
);

const request = (over: { service?: string; instances?: string[]; hosts?: string[] } = {}) => ({ instances: [], hosts: [], ...over });

function refusal(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ExecutorRefusal);
    return (error as Error).message;
  }
  throw new Error('expected an ExecutorRefusal');
}

describe('hostOfInstance', () => {
  it.each([
    ['web-1:9100', 'web-1'],
    ['web-1', 'web-1'],
    ['10.0.0.5:9100', '10.0.0.5'],
    ['[2001:db8::1]:9100', '2001:db8::1'],
  ])('%s is host %s', (instance, host) => expect(hostOfInstance(instance)).toBe(host));
});

describe('resolveTargets', () => {
  it('alert-instance: the alerts’ hosts, looked up in the inventory for their address and service', () => {
    const resolved = resolveTargets({ from: 'alert-instance' }, request({ instances: ['web-3:9100', 'web-1:9100', 'web-1:9100'] }), inventory);
    expect(resolved).toEqual({
      service: 'storage',
      hosts: [
        { name: 'web-3', address: 'web-3:2222' },
        { name: 'web-1', address: 'web-1' },
      ],
    });
  });

  it('alert-instance: a host the inventory does not list is refused, so a label cannot pick where a command runs', () => {
    expect(refusal(() => resolveTargets({ from: 'alert-instance' }, request({ instances: ['evil.example.com:22'] }), inventory))).toBe(
      "evil.example.com is not in the host inventory (hosts and groups in services.yaml), so nothing runs there (from the alert's instance label).",
    );
  });

  it('alert-instance: a host of several services goes to the alert’s service, and is refused when the alert names none', () => {
    expect(resolveTargets({ from: 'alert-instance' }, request({ service: 'search', instances: ['web-2:9100'] }), inventory).service).toBe('search');
    expect(refusal(() => resolveTargets({ from: 'alert-instance' }, request({ instances: ['web-2:9100'] }), inventory))).toMatch(
      /belong to several services \(search, storage\)/,
    );
  });

  it('alert-instance without an alert takes the hosts named, and asks for them when none are', () => {
    expect(resolveTargets({ from: 'alert-instance' }, request({ hosts: ['es-1'] }), inventory)).toEqual({
      service: 'search',
      hosts: [{ name: 'es-1', address: 'es-1' }],
    });
    expect(refusal(() => resolveTargets({ from: 'alert-instance' }, request(), inventory))).toMatch(/there is no alert here, so name the hosts/);
  });

  it('service-hosts: the runbook’s service, else the alert’s; named hosts narrow them and must be among them', () => {
    expect(resolveTargets({ from: 'service-hosts', service: 'search' }, request({ service: 'storage' }), inventory).hosts.map((h) => h.name)).toEqual([
      'web-2',
      'es-1',
    ]);
    expect(resolveTargets({ from: 'service-hosts' }, request({ service: 'storage', hosts: ['web-2'] }), inventory).hosts.map((h) => h.name)).toEqual(['web-2']);
    expect(refusal(() => resolveTargets({ from: 'service-hosts' }, request({ service: 'storage', hosts: ['es-1'] }), inventory))).toBe(
      'es-1 is not a target of this action; its targets are web-1, web-2, web-3.',
    );
    expect(refusal(() => resolveTargets({ from: 'service-hosts' }, request(), inventory))).toMatch(/no service is named/);
    expect(refusal(() => resolveTargets({ from: 'service-hosts', service: 'billing' }, request(), inventory))).toBe(
      'Service billing lists no hosts in services.yaml, so there is nowhere to run this action.',
    );
  });

  it('group: its hosts, on behalf of the service that owns the group', () => {
    expect(resolveTargets({ from: 'group', group: 'edge' }, request(), inventory)).toEqual({
      service: 'storage',
      hosts: [{ name: 'lb-1', address: '10.0.0.9' }],
    });
    expect(refusal(() => resolveTargets({ from: 'group', group: 'core' }, request(), inventory))).toBe(
      'Host group "core" is not defined in services.yaml (groups:).',
    );
  });
});
