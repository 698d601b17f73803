import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { createLogger } from '../../src/logger.js';
import { createCatalog, parseServicesFile } from '../../src/services/catalog.js';
import { webhookTokenRequirement } from '../../src/wiring/deploy-guard.js';

const valid = {
  SLACK_BOT_TOKEN: 'xoxb-1',
  SLACK_SIGNING_SECRET: 'secret',
  ALERTMANAGER_TOKEN: '0123456789abcdef',
  INCIDENT_CHANNEL: 'C0INCIDENTS',
};
const TOKEN = 'gitlab-webhook-secret-0123';

const guarded = createCatalog(
  parseServicesFile(
    `services:
  payment-service:
    approvers: [U0ALICE]
    gitlab: { project: shop/payment-service, environment: production }
    health: [{ name: error-rate, query: q, max: 0.05 }]
    deploy_guard: { checks: [error-rate] }
`,
    'services.yaml',
  ),
  'C0INCIDENTS',
);

describe('GITLAB_WEBHOOK_TOKEN', () => {
  it('is off when unset or empty, and kept exactly as given otherwise', () => {
    expect(loadConfig(valid).gitlab.webhookToken).toBeUndefined();
    expect(loadConfig({ ...valid, GITLAB_WEBHOOK_TOKEN: '' }).gitlab.webhookToken).toBeUndefined();
    expect(loadConfig({ ...valid, GITLAB_WEBHOOK_TOKEN: ` ${TOKEN}` }).gitlab.webhookToken).toBe(` ${TOKEN}`);
  });

  it('refuses a short token by name', () => {
    expect(() => loadConfig({ ...valid, GITLAB_WEBHOOK_TOKEN: 'short' })).toThrow(/GITLAB_WEBHOOK_TOKEN: expected at least 16 characters/);
  });

  it('is required when a service has a deploy_guard', () => {
    expect(webhookTokenRequirement(guarded, undefined, 'services.yaml')).toMatch(
      /^GITLAB_WEBHOOK_TOKEN: required by the deploy_guard of payment-service in services.yaml/,
    );
    expect(webhookTokenRequirement(guarded, TOKEN, 'services.yaml')).toBeUndefined();
  });

  it('is never logged', () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk, _encoding, done) {
        lines.push(String(chunk));
        done();
      },
    });
    const config = loadConfig({ ...valid, GITLAB_WEBHOOK_TOKEN: TOKEN });
    const log = createLogger('info', sink);
    log.info({ config }, 'configuration');
    log.info({ gitlab: config.gitlab }, 'gitlab');
    log.info({ headers: { 'x-gitlab-token': TOKEN } }, 'request');
    expect(lines).toHaveLength(3);
    expect(lines.join('')).not.toContain(TOKEN);
  });
});
