import { describe, expect, it } from 'vitest';
import { createCatalog, loadServicesFile, parseServicesFile } from '../../src/services/catalog.js';
import { ServicesFileError } from '../../src/errors.js';

/** The problems of a file that must not load, as `path: reason` lines. */
function problemsOf(text: string): string[] {
  try {
    parseServicesFile(text, 'svc.yaml');
  } catch (error) {
    if (error instanceof ServicesFileError) return [...error.problems];
    throw error;
  }
  throw new Error('expected the services file to be refused');
}

const web = (hosts: string) => `services:\n  web:\n    approvers: [U0OPS]\n    hosts: ${hosts}\n`;

describe('services file host inventory', () => {
  it('normalises both entry forms to a name and an SSH address', () => {
    const file = parseServicesFile(
      web('["web-1", "web-2.example.net", "web-3:2222", "10.0.0.5", "[2001:db8::1]:22", "[::1]", { name: web-4, address: "127.0.0.1:2201" }]'),
      'svc.yaml',
    );
    expect(file.services.web?.hosts).toEqual([
      { name: 'web-1', address: 'web-1' },
      { name: 'web-2.example.net', address: 'web-2.example.net' },
      { name: 'web-3', address: 'web-3:2222' },
      { name: '10.0.0.5', address: '10.0.0.5' },
      { name: '2001:db8::1', address: '[2001:db8::1]:22' },
      { name: '::1', address: '[::1]' },
      { name: 'web-4', address: '127.0.0.1:2201' },
    ]);
  });

  it('loads the hosts and groups of the example shipped in the repository', async () => {
    const catalog = createCatalog(await loadServicesFile('services.yaml'), 'C0DEFAULT');
    expect(catalog.hostsOf('payment-service').length).toBeGreaterThan(0);
    expect(catalog.groupNames().length).toBeGreaterThan(0);
  });

  it('defaults to no hosts and no groups', () => {
    const file = parseServicesFile('services:\n  web:\n    channel: C0WEB\n', 'svc.yaml');
    expect(file.services.web?.hosts).toEqual([]);
    expect(file.groups).toEqual({});
  });

  it.each([['web-1; rm -rf /'], ['-oProxyCommand=x'], ['a b'], ['web-1:0'], ['web-1:65536'], ['2001:db8::1'], ['user@web-1'], ['$(reboot)'], ['']])(
    'refuses the host entry %j with its path',
    (entry) => {
      expect(problemsOf(web(`["web-0", ${JSON.stringify(entry)}]`))).toEqual([
        `services.web.hosts.1: expected a host name such as web-1 or web-1:2222, or { name, address }; got ${JSON.stringify(entry)}`,
      ]);
    },
  );

  it('accepts the highest port', () => {
    expect(parseServicesFile(web('["web-1:65535"]'), 'svc.yaml').services.web?.hosts).toEqual([{ name: 'web-1', address: 'web-1:65535' }]);
  });

  it('refuses a bad name or address in the object form at the field', () => {
    expect(problemsOf(web('[{ name: web-1, address: "-oProxyCommand=x" }]'))).toEqual([
      'services.web.hosts.0.address: expected an SSH address such as web-1, web-1:2222, 10.0.0.5 or [2001:db8::1]:22',
    ]);
    expect(problemsOf(web('[{ name: "web-1:2222", address: "10.0.0.5:2222" }]'))).toEqual([
      'services.web.hosts.0.name: expected a host name without a port, such as web-1, web-1.example.net, 10.0.0.5 or 2001:db8::1',
    ]);
    expect(problemsOf(web('[{ name: web-1 }]'))).toEqual(['services.web.hosts.0: expected a host name such as web-1 or web-1:2222, or { name, address }']);
    expect(problemsOf(web('[42]'))).toEqual(['services.web.hosts.0: expected a host name such as web-1 or web-1:2222, or { name, address }']);
  });

  it('refuses a host listed twice in one list', () => {
    expect(problemsOf(web('["web-1", "web-2", "web-1"]'))).toEqual(['services.web.hosts.2: web-1 is listed twice in this list']);
  });

  it('refuses one host name with two addresses, at the second occurrence', () => {
    const text = [
      'services:',
      '  web:',
      '    approvers: [U0OPS]',
      '    hosts: ["web-1"]',
      'groups:',
      '  canaries:',
      '    service: web',
      '    hosts: [{ name: web-1, address: "127.0.0.1:2201" }]',
      '',
    ].join('\n');
    expect(problemsOf(text)).toEqual([
      'groups.canaries.hosts.0: host web-1 has address 127.0.0.1:2201 here but web-1 at services.web.hosts.0; one host name must have one address',
    ]);
  });

  it('refuses a group whose service is not defined, naming the services that are', () => {
    const text = 'services:\n  web: {}\n  api: {}\ngroups:\n  edge:\n    service: wbe\n    hosts: [edge-1]\n';
    expect(problemsOf(text)).toEqual(['groups.edge.service: unknown service "wbe"; it must be a service under services (one of: api, web)']);
    expect(problemsOf('groups:\n  edge:\n    hosts: [edge-1]\n')).toEqual([
      'groups.edge.service: expected the name of the service whose approvers, approvals and channel govern this group',
    ]);
    expect(problemsOf('services:\n  web: {}\ngroups:\n  Edge_1:\n    service: web\n')).toEqual([
      'groups.Edge_1: expected a group name of lower-case letters, digits and "-" (at most 64 characters, no "-" at either end)',
    ]);
  });

  describe('catalog', () => {
    const catalog = createCatalog(
      parseServicesFile(
        [
          'services:',
          '  web:',
          '    approvers: [U0OPS]',
          '    hosts: ["web-1", "web-2:2222"]',
          '  api:',
          '    approvers: [U0OPS]',
          '    hosts: [{ name: api-1, address: "127.0.0.1:2201" }]',
          '  batch: {}',
          'groups:',
          '  frontends:',
          '    service: api',
          '    description: Hosts that serve both web and api',
          '    hosts: ["web-2:2222", "lb-1"]',
          '  workers:',
          '    service: batch',
          '',
        ].join('\n'),
        'svc.yaml',
      ),
      'C0DEFAULT',
    );

    it('lists the hosts of a service, none for an unknown one', () => {
      expect(catalog.hostsOf('web')).toEqual([
        { name: 'web-1', address: 'web-1' },
        { name: 'web-2', address: 'web-2:2222' },
      ]);
      expect(catalog.hostsOf('batch')).toEqual([]);
      expect(catalog.hostsOf('nope')).toEqual([]);
    });

    it('returns groups by name', () => {
      expect(catalog.groupNames()).toEqual(['frontends', 'workers']);
      expect(catalog.group('frontends')).toEqual({
        service: 'api',
        hosts: [
          { name: 'web-2', address: 'web-2:2222' },
          { name: 'lb-1', address: 'lb-1' },
        ],
      });
      expect(catalog.group('workers')).toEqual({ service: 'batch', hosts: [] });
      expect(catalog.group('nope')).toBeUndefined();
    });

    it('finds a host by exact name with every service that lists it directly or through a group', () => {
      expect(catalog.findHost('web-2')).toEqual({ host: { name: 'web-2', address: 'web-2:2222' }, services: ['api', 'web'] });
      expect(catalog.findHost('web-1')).toEqual({ host: { name: 'web-1', address: 'web-1' }, services: ['web'] });
      expect(catalog.findHost('api-1')).toEqual({ host: { name: 'api-1', address: '127.0.0.1:2201' }, services: ['api'] });
      expect(catalog.findHost('lb-1')?.services).toEqual(['api']);
      expect(catalog.findHost('web-2:2222')).toBeUndefined();
      expect(catalog.findHost('WEB-1')).toBeUndefined();
    });

    it('hands out copies, so a caller sorting a list cannot change the catalogue', () => {
      catalog.hostsOf('web').reverse();
      expect(catalog.hostsOf('web')[0]?.name).toBe('web-1');
    });
  });
});

describe('approvers for hosts', () => {
  it('a service with hosts, or owning a group of hosts, needs approvers', () => {
    expect(() => parseServicesFile('services:\n  web:\n    hosts: [web-1]\n', 'services.yaml')).toThrow(
      /services\.web\.approvers: a service with hosts needs at least one approver/,
    );
    expect(() => parseServicesFile('services:\n  web: {}\ngroups:\n  edge:\n    service: web\n    hosts: [lb-1]\n', 'services.yaml')).toThrow(
      /groups\.edge\.service: service "web" has no approvers/,
    );
  });
});
