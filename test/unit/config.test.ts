import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { ConfigError } from '../../src/errors.js';

const valid = {
  SLACK_BOT_TOKEN: 'xoxb-1',
  SLACK_SIGNING_SECRET: 'secret',
  ALERTMANAGER_TOKEN: '0123456789abcdef',
  INCIDENT_CHANNEL: 'C0INCIDENTS',
};

describe('loadConfig', () => {
  it('applies the documented defaults', () => {
    expect(loadConfig(valid)).toMatchObject({
      port: 3000,
      redis: { url: 'redis://127.0.0.1:6379', keyPrefix: 'chatops:', startupWaitMs: 5_000, sentinel: undefined, waitReplicas: 0 },
      servicesFile: 'services.yaml',
      runbooksDir: 'runbooks',
      logLevel: 'info',
      serviceLabel: 'service',
      reopenWindowMs: 30 * 60_000,
      sweepIntervalMs: 5_000,
      slack: { apiUrl: undefined, appToken: undefined, updatesPerMinute: 50, messageIntervalMs: 1_000 },
      gitlab: { pollIntervalMs: 5_000, lookupWindowMs: 120_000 },
      http: { headersTimeoutMs: 10_000, requestTimeoutMs: 30_000, keepAliveTimeoutMs: 5_000, maxConnections: 500 },
    });
  });

  it('names every missing variable and what is expected', () => {
    const error = (() => {
      try {
        loadConfig({});
      } catch (e) {
        return e as ConfigError;
      }
    })();
    expect(error).toBeInstanceOf(ConfigError);
    expect(error?.message).toContain('SLACK_BOT_TOKEN: required');
    expect(error?.message).toContain('ALERTMANAGER_TOKEN: required');
    expect(error?.message).toContain('INCIDENT_CHANNEL: required');
  });

  it('rejects malformed values with the variable name', () => {
    expect(() => loadConfig({ ...valid, PORT: 'http' })).toThrow(/PORT: expected a TCP port number/);
    expect(() => loadConfig({ ...valid, INCIDENT_CHANNEL: '#incidents' })).toThrow(/INCIDENT_CHANNEL: expected a Slack channel id/);
    expect(() => loadConfig({ ...valid, REOPEN_WINDOW: 'soon' })).toThrow(/REOPEN_WINDOW: expected a duration/);
    expect(() => loadConfig({ ...valid, SLACK_API_URL: 'not a url' })).toThrow(/SLACK_API_URL/);
    expect(() => loadConfig({ ...valid, ALERTMANAGER_TOKEN: 'short' })).toThrow(/ALERTMANAGER_TOKEN: expected at least 16/);
    expect(() => loadConfig({ ...valid, LOG_LEVEL: 'verbose' })).toThrow(/LOG_LEVEL/);
    expect(() => loadConfig({ ...valid, SWEEP_INTERVAL: '1500ms' })).toThrow(/SWEEP_INTERVAL: expected whole seconds from 1s to 60s/);
    expect(() => loadConfig({ ...valid, SWEEP_INTERVAL: '2m' })).toThrow(/SWEEP_INTERVAL: expected whole seconds from 1s to 60s/);
    expect(() => loadConfig({ ...valid, SLACK_MESSAGE_INTERVAL: '5ms' })).toThrow(/SLACK_MESSAGE_INTERVAL: expected at least 10ms/);
    expect(() => loadConfig({ ...valid, GITLAB_LOOKUP_WINDOW: '10m' })).toThrow(/GITLAB_LOOKUP_WINDOW: expected at most 5m/);
  });

  it('bounds the HTTP server as given, the headers within the request', () => {
    const env = { ...valid, HTTP_HEADERS_TIMEOUT: '2s', HTTP_REQUEST_TIMEOUT: '1m', HTTP_KEEP_ALIVE_TIMEOUT: '65s', HTTP_MAX_CONNECTIONS: '2000' };
    expect(loadConfig(env).http).toEqual({ headersTimeoutMs: 2_000, requestTimeoutMs: 60_000, keepAliveTimeoutMs: 65_000, maxConnections: 2000 });
    expect(() => loadConfig({ ...valid, HTTP_HEADERS_TIMEOUT: '1m', HTTP_REQUEST_TIMEOUT: '30s' })).toThrow(
      /HTTP_HEADERS_TIMEOUT: expected at most HTTP_REQUEST_TIMEOUT/,
    );
    expect(() => loadConfig({ ...valid, HTTP_KEEP_ALIVE_TIMEOUT: '0s' })).toThrow(/HTTP_KEEP_ALIVE_TIMEOUT: expected at least 100ms/);
    expect(() => loadConfig({ ...valid, HTTP_MAX_CONNECTIONS: '0' })).toThrow(/HTTP_MAX_CONNECTIONS: expected at least 1/);
    expect(() => loadConfig({ ...valid, HTTP_MAX_CONNECTIONS: 'many' })).toThrow(/HTTP_MAX_CONNECTIONS: expected a number of connections/);
  });

  it('needs the signing secret in HTTP mode but not in Socket Mode', () => {
    const { SLACK_SIGNING_SECRET: _unused, ...withoutSecret } = valid;
    expect(() => loadConfig(withoutSecret)).toThrow(/SLACK_SIGNING_SECRET: required in HTTP mode/);
    expect(loadConfig({ ...withoutSecret, SLACK_APP_TOKEN: 'xapp-1' }).slack.appToken).toBe('xapp-1');
  });

  it('finds the master through Sentinel when given the sentinels and the group name', () => {
    const config = loadConfig({
      ...valid,
      REDIS_SENTINELS: ' 10.0.0.1:26379, sentinel-b:26380,[::1]:26381 ',
      REDIS_SENTINEL_NAME: 'chatops',
      REDIS_SENTINEL_PASSWORD: 's3cret ',
    });
    expect(config.redis.sentinel).toEqual({
      name: 'chatops',
      nodes: [
        { host: '10.0.0.1', port: 26379 },
        { host: 'sentinel-b', port: 26380 },
        { host: '::1', port: 26381 },
      ],
      password: 's3cret ',
    });
    expect(config.redis.waitReplicas).toBe(0);
    const waiting = loadConfig({ ...valid, REDIS_SENTINELS: '10.0.0.1:26379', REDIS_SENTINEL_NAME: 'chatops', REDIS_WAIT_REPLICAS: '1' }).redis;
    expect(waiting.sentinel?.password).toBeUndefined();
    expect(waiting.waitReplicas).toBe(1);
    expect(() => loadConfig({ ...valid, REDIS_WAIT_REPLICAS: 'one' })).toThrow(/REDIS_WAIT_REPLICAS: expected a number of replicas/);
    expect(() => loadConfig({ ...valid, REDIS_WAIT_REPLICAS: '-1' })).toThrow(/REDIS_WAIT_REPLICAS: expected 0 or more replicas/);
  });

  it('wants both Sentinel variables or neither, and host:port pairs', () => {
    expect(() => loadConfig({ ...valid, REDIS_SENTINELS: '10.0.0.1:26379' })).toThrow(
      /REDIS_SENTINEL_NAME: REDIS_SENTINELS and REDIS_SENTINEL_NAME go together/,
    );
    expect(() => loadConfig({ ...valid, REDIS_SENTINEL_NAME: 'chatops' })).toThrow(/REDIS_SENTINELS: REDIS_SENTINELS and REDIS_SENTINEL_NAME go together/);
    expect(() => loadConfig({ ...valid, REDIS_SENTINELS: '10.0.0.1', REDIS_SENTINEL_NAME: 'chatops' })).toThrow(
      /REDIS_SENTINELS: expected comma-separated host:port pairs .* got "10.0.0.1"/,
    );
    expect(() => loadConfig({ ...valid, REDIS_SENTINELS: 'a:26379,b:0,c:99999', REDIS_SENTINEL_NAME: 'chatops' })).toThrow(/got "b:0", "c:99999"/);
    expect(() => loadConfig({ ...valid, REDIS_SENTINELS: ' , ', REDIS_SENTINEL_NAME: 'chatops' })).toThrow(
      /REDIS_SENTINELS: expected comma-separated host:port pairs/,
    );
    expect(() => loadConfig({ ...valid, REDIS_URL: 'rediss://redis.example.com:6380', REDIS_SENTINELS: 'a:26379', REDIS_SENTINEL_NAME: 'chatops' })).toThrow(
      /REDIS_URL: TLS \(rediss:\/\/\) to a master found through Sentinel is not supported/,
    );
  });
});
