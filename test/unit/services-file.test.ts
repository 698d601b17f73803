import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createCatalog, loadServicesFile, parseServicesFile } from '../../src/services/catalog.js';
import { ServicesFileError } from '../../src/errors.js';

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
    expect(() => parseServicesFile('services: [\n', 'svc.yaml')).toThrow(/svc\.yaml is invalid:\n {2}- YAML syntax/);
    expect(() => parseServicesFile('services:\n  a:\n    channel: C0A\n  a:\n    channel: C0B\n', 'svc.yaml')).toThrow(ServicesFileError);
  });

  it('says which file cannot be read', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'svc-'));
    await expect(loadServicesFile(join(dir, 'missing.yaml'))).rejects.toThrow(/missing\.yaml is invalid:\n {2}- cannot be read \(ENOENT\)/);
    await writeFile(join(dir, 'empty.yaml'), '');
    expect((await loadServicesFile(join(dir, 'empty.yaml'))).services).toEqual({});
  });
});
