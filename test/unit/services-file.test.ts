import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createCatalog, loadServicesFile, parseServicesFile } from '../../src/services/catalog.js';
import { ServicesFileError } from '../../src/errors.js';

function refusal(fn: () => unknown): ServicesFileError {
  try {
    fn();
  } catch (error) {
    if (error instanceof ServicesFileError) return error;
    throw error;
  }
  throw new Error('expected a ServicesFileError');
}

describe('services file', () => {
  it('loads the example shipped in the repository', async () => {
    const file = await loadServicesFile('services.yaml');
    expect(Object.keys(file.services).length).toBeGreaterThan(0);
  });

  it('routes a service to its channel and anything else to the default', () => {
    const catalog = createCatalog(parseServicesFile('services:\n  payment-service:\n    channel: C0PAYMENTS\n', 'services.yaml'), 'C0DEFAULT');
    expect(catalog.channelFor('payment-service')).toBe('C0PAYMENTS');
    expect(catalog.channelFor('unknown')).toBe('C0DEFAULT');
    expect(catalog.channelFor(undefined)).toBe('C0DEFAULT');
    expect(catalog.names()).toEqual(['payment-service']);
  });

  it('names the file, the path in it and the reason', () => {
    expect(() => parseServicesFile('services:\n  payment-service:\n    channel: "#payments"\n', 'svc.yaml')).toThrow(
      /svc\.yaml is invalid:\n {2}- services\.payment-service\.channel: expected a Slack channel id/,
    );
    expect(() => parseServicesFile('services:\n  payment-service:\n    chanel: C0X\n', 'svc.yaml')).toThrow(
      /services\.payment-service: Unrecognized key: "chanel"/,
    );
    expect(() => parseServicesFile('services: [\n', 'svc.yaml')).toThrow(/svc\.yaml is invalid:\n {2}- line \d+, column \d+: YAML syntax/);
    expect(() => parseServicesFile('services:\n  a:\n    channel: C0A\n  a:\n    channel: C0B\n', 'svc.yaml')).toThrow(ServicesFileError);
  });

  it('refuses a YAML alias bomb naming the file, instead of a stack trace', () => {
    const bomb = [
      'a: &a [x, x, x, x, x, x, x, x, x]',
      ...['b', 'c', 'd', 'e', 'f'].map((name, i) => `${name}: &${name} [${Array(9).fill(`*${'abcde'[i]}`).join(', ')}]`),
      'services: {}',
    ].join('\n');
    const error = refusal(() => parseServicesFile(bomb, 'svc.yaml'));
    expect(error.message).toMatch(/^svc\.yaml is invalid:\n {2}- \(file\): YAML: Excessive alias count/);
    expect(error.problems).toHaveLength(1);
  });

  it('refuses a service, a group or a variable named __proto__, with its path, instead of dropping it', () => {
    const problems = refusal(() =>
      parseServicesFile(
        [
          'services:',
          '  __proto__: { channel: C0PROTO }',
          '  web:',
          '    approvers: [U0APPROVER]',
          '    gitlab: { project: shop/web, environment: production, variables: { __proto__: x } }',
          'groups:',
          '  __proto__: { service: web }',
        ].join('\n'),
        'svc.yaml',
      ),
    ).problems;
    expect(problems).toEqual([
      'services.__proto__: "__proto__" cannot be a name: JavaScript reserves it',
      'groups.__proto__: "__proto__" cannot be a name: JavaScript reserves it',
      'services.web.gitlab.variables.__proto__: "__proto__" cannot be a name: JavaScript reserves it',
    ]);
  });

  it('says which file cannot be read', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'svc-'));
    await expect(loadServicesFile(join(dir, 'missing.yaml'))).rejects.toThrow(/missing\.yaml is invalid:\n {2}- cannot be read \(ENOENT\)/);
    await writeFile(join(dir, 'empty.yaml'), '');
    expect((await loadServicesFile(join(dir, 'empty.yaml'))).services).toEqual({});
  });
});
