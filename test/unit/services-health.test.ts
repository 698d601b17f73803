import { describe, expect, it } from 'vitest';
import { parseServicesFile } from '../../src/services/catalog.js';

const file = (health: string) => `services:\n  payment-service:\n    health:\n${health}`;

describe('services.yaml health checks', () => {
  it('reads checks, with no_data pause by default', () => {
    const parsed = parseServicesFile(
      file(
        '      - name: error-rate\n        query: sum(rate(x[1m]))\n        max: 0.05\n      - name: up\n        query: up\n        min: 1\n        no_data: fail\n',
      ),
      'svc.yaml',
    );
    expect(parsed.services['payment-service']?.health).toEqual([
      { name: 'error-rate', query: 'sum(rate(x[1m]))', max: 0.05, no_data: 'pause' },
      { name: 'up', query: 'up', min: 1, no_data: 'fail' },
    ]);
  });

  it('leaves health absent when a service lists none', () => {
    expect(parseServicesFile('services:\n  payment-service: {}\n', 'svc.yaml').services['payment-service']?.health).toBeUndefined();
  });

  it('refuses a check without min or max, naming file and path', () => {
    expect(() => parseServicesFile(file('      - name: error-rate\n        query: up\n'), 'svc.yaml')).toThrow(
      /svc\.yaml is invalid:\n {2}- services\.payment-service\.health\.0: expected min, max or both/,
    );
  });

  it('refuses a check name that is not a slug', () => {
    expect(() => parseServicesFile(file('      - name: Error Rate\n        query: up\n        max: 1\n'), 'svc.yaml')).toThrow(
      /services\.payment-service\.health\.0\.name: expected a check name of lower-case letters/,
    );
  });

  it('refuses two checks of one service with the same name', () => {
    expect(() =>
      parseServicesFile(file('      - name: up\n        query: up\n        min: 1\n      - name: up\n        query: up\n        max: 2\n'), 'svc.yaml'),
    ).toThrow(/services\.payment-service\.health\.1\.name: up is used by another check of this service/);
  });

  it('refuses an empty query, an unknown no_data, min above max and unknown keys', () => {
    const cases: Array<[string, RegExp]> = [
      ['      - name: up\n        query: " "\n        max: 1\n', /health\.0\.query: expected a PromQL query/],
      ['      - name: up\n        query: up\n        max: 1\n        no_data: ignore\n', /health\.0\.no_data: /],
      ['      - name: up\n        query: up\n        min: 2\n        max: 1\n', /health\.0\.min: expected min at most max/],
      ['      - name: up\n        query: up\n        max: 1\n        treshold: 1\n', /health\.0: Unrecognized key: "treshold"/],
      ['      - name: up\n        query: up\n        max: "5%"\n', /health\.0\.max: expected a number/],
    ];
    for (const [text, reason] of cases) expect(() => parseServicesFile(file(text), 'svc.yaml')).toThrow(reason);
  });
});
