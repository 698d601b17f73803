import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { createLogger } from '../../src/logger.js';

const valid = {
  SLACK_BOT_TOKEN: 'xoxb-1',
  SLACK_SIGNING_SECRET: 'secret',
  ALERTMANAGER_TOKEN: '0123456789abcdef',
  INCIDENT_CHANNEL: 'C0INCIDENTS',
};

describe('Prometheus settings', () => {
  it('are unset by default, with a 5 s query timeout', () => {
    expect(loadConfig(valid).prometheus).toEqual({ url: undefined, token: undefined, timeoutMs: 5_000 });
  });

  it('read the base URL without a trailing slash, the token and the timeout', () => {
    const config = loadConfig({ ...valid, PROMETHEUS_URL: 'https://prom.example.net/prometheus/', PROMETHEUS_TOKEN: ' tok ', PROMETHEUS_TIMEOUT: '750ms' });
    expect(config.prometheus).toEqual({ url: 'https://prom.example.net/prometheus', token: 'tok', timeoutMs: 750 });
  });

  it('refuse a URL that is not http(s) and a timeout out of range, by variable name', () => {
    expect(() => loadConfig({ ...valid, PROMETHEUS_URL: 'prometheus:9090' })).toThrow(/PROMETHEUS_URL: expected the Prometheus base URL/);
    expect(() => loadConfig({ ...valid, PROMETHEUS_URL: 'ftp://prom' })).toThrow(/PROMETHEUS_URL: expected the Prometheus base URL/);
    expect(() => loadConfig({ ...valid, PROMETHEUS_TIMEOUT: '10ms' })).toThrow(/PROMETHEUS_TIMEOUT: expected at least 100ms/);
    expect(() => loadConfig({ ...valid, PROMETHEUS_TIMEOUT: '5 s' })).toThrow(/PROMETHEUS_TIMEOUT: expected a duration/);
  });

  it('never log the token', () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk, _encoding, done) {
        lines.push(String(chunk));
        done();
      },
    });
    const config = loadConfig({ ...valid, PROMETHEUS_URL: 'http://prom:9090', PROMETHEUS_TOKEN: 'prom-secret-token' });
    const log = createLogger('info', sink);
    log.info({ config }, 'configuration');
    log.info({ prometheus: config.prometheus }, 'prometheus');
    expect(lines.join('')).toContain('http://prom:9090');
    expect(lines.join('')).not.toContain('prom-secret-token');
  });
});
