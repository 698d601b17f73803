import { mkdtemp, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EXAMPLE_VALUES } from '../../src/config/placeholders.js';
import { ConfigError } from '../../src/errors.js';
import { loadStartupConfig } from '../../src/wiring/startup-config.js';

/** .env.example as the environment it gives when copied to .env unchanged. */
function envExample(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of readFileSync('.env.example', 'utf8').split('\n')) {
    const match = /^([A-Z0-9_]+)=(.*)$/.exec(line);
    if (match?.[1]) env[match[1]] = match[2] ?? '';
  }
  return env;
}

/** The variables a start-up error names, in its order. */
async function refusedVariables(env: Record<string, string | undefined>): Promise<string[]> {
  const error = await loadStartupConfig(env).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ConfigError);
  return [...(error as Error).message.matchAll(/^ {2}- ([A-Z_, ]+):/gm)].flatMap((m) => (m[1] ?? '').split(', '));
}

const OWN_VALUES = {
  SLACK_BOT_TOKEN: 'xoxb-1-2-abc',
  SLACK_SIGNING_SECRET: 'a-real-signing-secret',
  ALERTMANAGER_TOKEN: 'a-real-alertmanager-token-0123',
  INCIDENT_CHANNEL: 'C0INCIDENTS',
  GITLAB_TOKEN: 'glpat-real',
};

describe('start-up configuration', () => {
  it('names every problem at once: required variables, the signing secret, and what services.yaml makes required', async () => {
    expect(await refusedVariables({})).toEqual([
      'SLACK_BOT_TOKEN',
      'ALERTMANAGER_TOKEN',
      'INCIDENT_CHANNEL',
      'SLACK_SIGNING_SECRET',
      'GITLAB_URL',
      'GITLAB_TOKEN',
    ]);
  });

  it('names PROMETHEUS_URL with the others when a service lists health checks', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'startup-config-'));
    const file = join(dir, 'services.yaml');
    await writeFile(file, 'services:\n  api:\n    health:\n      - { name: up, query: up, min: 1 }\n');
    const error = await loadStartupConfig({ SERVICES_FILE: file }).catch((e: unknown) => e as Error);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toContain(`  - PROMETHEUS_URL: required because api list health checks in ${file}`);
    expect((error as Error).message).toContain('  - SLACK_BOT_TOKEN: required');
  });

  it('names GITLAB_WEBHOOK_TOKEN with the others when a service has a deploy_guard', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'startup-config-'));
    const file = join(dir, 'services.yaml');
    await writeFile(
      file,
      'services:\n  api:\n    approvers: [U0ALICE]\n    gitlab: { project: g/api, environment: production }\n    health:\n      - { name: up, query: up, min: 1 }\n    deploy_guard: { checks: [up] }\n',
    );
    expect(await refusedVariables({ SERVICES_FILE: file })).toEqual(
      expect.arrayContaining(['SLACK_BOT_TOKEN', 'GITLAB_URL', 'GITLAB_TOKEN', 'PROMETHEUS_URL', 'GITLAB_WEBHOOK_TOKEN']),
    );
  });

  it('reports a broken services file together with the environment problems', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'startup-config-'));
    const file = join(dir, 'services.yaml');
    await writeFile(file, 'services:\n  api:\n    channel: 12\n');
    const message = (await loadStartupConfig({ SERVICES_FILE: file }).catch((e: unknown) => e as Error)) as Error;
    expect(message).toBeInstanceOf(ConfigError);
    expect(message.message).toMatch(/^Invalid configuration:\n {2}- SLACK_BOT_TOKEN: /);
    expect(message.message).toContain(`${file} is invalid:\n  - services.api.channel: `);
  });

  it('refuses each value .env.example ships with by the variable name', async () => {
    expect(await refusedVariables(envExample())).toEqual([...Object.keys(EXAMPLE_VALUES), 'GITLAB_TOKEN']);
  });

  it('keeps its list of example values equal to .env.example', () => {
    const example = envExample();
    expect(Object.fromEntries(Object.keys(EXAMPLE_VALUES).map((name) => [name, example[name]]))).toEqual(EXAMPLE_VALUES);
  });

  it('starts from .env.example once the example values are replaced by your own', async () => {
    const { config } = await loadStartupConfig({ ...envExample(), ...OWN_VALUES });
    expect(config.alertmanagerToken).toBe(OWN_VALUES.ALERTMANAGER_TOKEN);
  });
});
