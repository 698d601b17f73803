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
      redis: { url: 'redis://127.0.0.1:6379', keyPrefix: 'chatops:', startupWaitMs: 5_000 },
      servicesFile: 'services.yaml',
      runbooksDir: 'runbooks',
      logLevel: 'info',
      serviceLabel: 'service',
      reopenWindowMs: 30 * 60_000,
      sweepIntervalMs: 5_000,
      slack: { apiUrl: undefined, appToken: undefined, updatesPerMinute: 50, messageIntervalMs: 1_000 },
      gitlab: { pollIntervalMs: 5_000, lookupWindowMs: 120_000 },
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

  it('needs the signing secret in HTTP mode but not in Socket Mode', () => {
    const { SLACK_SIGNING_SECRET: _unused, ...withoutSecret } = valid;
    expect(() => loadConfig(withoutSecret)).toThrow(/SLACK_SIGNING_SECRET: required in HTTP mode/);
    expect(loadConfig({ ...withoutSecret, SLACK_APP_TOKEN: 'xapp-1' }).slack.appToken).toBe('xapp-1');
  });
});
