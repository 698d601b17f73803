/**
 * What the files beside the code say, checked against the code and each other: the README's
 * Alertmanager receiver, the Slack app manifest, the Dockerfile's health check and the
 * benchmarks' Redis.
 */
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { parse } from 'yaml';
import { SHORTCUT_IDS } from '../../src/slack/contract.js';

const ROOT = resolve(import.meta.dirname, '../..');
const text = (file: string) => readFileSync(join(ROOT, file), 'utf8');

describe('README', () => {
  it('shows the very receiver deploy/alertmanager.yml configures', () => {
    const readme = text('README.md');
    const section = readme.slice(readme.indexOf('## Alertmanager receiver'));
    const block = /```yaml\n([\s\S]*?)```/.exec(section)?.[1];
    expect(block).toBeDefined();
    expect(parse(block ?? '')).toEqual(parse(text('deploy/alertmanager.yml')));
  });
});

/** The bot scope each Web API method the code calls needs (api.slack.com/methods). */
const SCOPES_OF_METHOD: Readonly<Record<string, readonly string[]>> = {
  'auth.test': [],
  // Public channels the bot was never invited to: services.yaml names channels, nobody invites the bot.
  'chat.postMessage': ['chat:write', 'chat:write.public'],
  'chat.update': ['chat:write'],
  'chat.getPermalink': [],
  // A message pinned in a war room, read to put it on the timeline: the bot makes rooms public channels.
  'conversations.replies': ['channels:history'],
  // The alert's graph, uploaded into the incident's thread.
  'files.getUploadURLExternal': ['files:write'],
  'files.completeUploadExternal': ['files:write'],
  'usergroups.users.list': ['usergroups:read'],
  // War rooms: a channel per incident, its topic, its invitees, archived when closed.
  'conversations.create': ['channels:manage'],
  'conversations.setTopic': ['channels:manage'],
  'conversations.invite': ['channels:manage'],
  'conversations.archive': ['channels:manage'],
  // Looking for a room whose create answered ambiguously.
  'conversations.list': ['channels:read'],
  // Publishing a user's Home tab needs no scope beyond the bot token.
  'views.publish': [],
};

/** The bot scope each event the code listens to needs. */
const SCOPES_OF_EVENT: Readonly<Record<string, readonly string[]>> = {
  app_home_opened: [],
  reaction_added: ['reactions:read'],
};

function sourceFiles(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.ts'))
    .map((entry) => join(entry.parentPath, entry.name));
}

describe('the Slack app manifest', () => {
  const manifest = parse(text('slack-app-manifest.yaml')) as {
    oauth_config: { scopes: { bot: string[] } };
    features: {
      app_home?: { home_tab_enabled?: boolean };
      shortcuts?: Array<{ type: string; callback_id: string }>;
      slash_commands?: Array<{ command: string; should_escape?: boolean }>;
    };
    settings: { event_subscriptions?: { bot_events?: string[] } };
  };
  const code = sourceFiles('src').map((file) => readFileSync(file, 'utf8'));
  const calls = new Set(
    code.flatMap((source) =>
      [...source.matchAll(/\bclient\.((?:auth|chat|conversations|users|usergroups|views|reactions|pins|files|team)(?:\.[a-zA-Z]+)+)\(/g)].map(
        (m) => m[1] ?? '',
      ),
    ),
  );

  it('knows the scopes of every Web API method the code calls', () => {
    expect([...calls].filter((method) => !Object.hasOwn(SCOPES_OF_METHOD, method))).toEqual([]);
    expect(calls.has('chat.postMessage')).toBe(true);
  });

  const listened = code.flatMap((source) => [...source.matchAll(/\bapp\.event\(\s*'([^']+)'/g)].map((m) => m[1] ?? ''));

  it('asks for exactly the scopes those calls, the events and the slash commands need', () => {
    expect(listened.filter((event) => !Object.hasOwn(SCOPES_OF_EVENT, event))).toEqual([]);
    const needed = new Set([...calls, ...listened].flatMap((method) => SCOPES_OF_METHOD[method] ?? SCOPES_OF_EVENT[method] ?? []));
    if (code.some((source) => /\bapp\.command\(/.test(source))) needed.add('commands');
    expect([...manifest.oauth_config.scopes.bot].sort()).toEqual([...needed].sort());
  });

  it('subscribes to exactly the events the code listens to', () => {
    expect([...(manifest.settings.event_subscriptions?.bot_events ?? [])].sort()).toEqual([...new Set(listened)].sort());
  });

  it('has Slack escape /incident, whose commander verb reads a mention as <@id|name>', () => {
    expect(manifest.features.slash_commands?.find((c) => c.command === '/incident')?.should_escape).toBe(true);
  });

  it('declares every message shortcut the code answers', () => {
    const declared = (manifest.features.shortcuts ?? []).filter((s) => s.type === 'message').map((s) => s.callback_id);
    expect(declared.sort()).toEqual(Object.values(SHORTCUT_IDS).sort());
  });

  it('enables the Home tab that the code publishes', () => {
    expect(calls.has('views.publish')).toBe(true);
    expect(manifest.features.app_home?.home_tab_enabled).toBe(true);
  });
});

/** Runs the Dockerfile's HEALTHCHECK command (node -e "...") with `env`; its exit code. */
async function runHealthCheck(env: Record<string, string>): Promise<number | null> {
  const line = text('Dockerfile')
    .split('\n')
    .find((l) => l.startsWith('HEALTHCHECK CMD node -e '));
  const script = /node -e "(.*)"$/.exec(line ?? '')?.[1];
  expect(script).toBeDefined();
  const child = spawn(process.execPath, ['-e', script ?? ''], { env: { PATH: process.env.PATH ?? '', ...env }, stdio: 'ignore' });
  return new Promise((done) => child.once('exit', (code) => done(code)));
}

describe('the Dockerfile health check', () => {
  it('asks /healthz on the port PORT names', async () => {
    const paths: string[] = [];
    const server = createServer((req, res) => {
      paths.push(req.url ?? '');
      res.end('{"status":"ok"}');
    });
    await new Promise<void>((ready) => server.listen(0, '127.0.0.1', ready));
    try {
      const { port } = server.address() as AddressInfo;
      expect(await runHealthCheck({ PORT: String(port) })).toBe(0);
      expect(paths).toEqual(['/healthz']);
    } finally {
      await new Promise((closed) => server.close(closed));
    }
  });
});

describe('the benchmarks', () => {
  it('use the Redis at REDIS_URL', async () => {
    vi.stubEnv('REDIS_URL', 'redis://redis.bench.invalid:6390');
    vi.resetModules();
    try {
      const support = await import('../../bench/support.js');
      expect(support.REDIS_URL).toBe('redis://redis.bench.invalid:6390');
    } finally {
      vi.unstubAllEnvs();
    }
  });
});
