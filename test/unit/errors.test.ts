import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { BotError } from '../../src/errors.js';
import { userMessage } from '../../src/slack/render/error-text.js';

const SRC = fileURLToPath(new URL('../../src/', import.meta.url));

type ErrorClass = (abstract new (...args: never[]) => Error) & { code?: unknown };

/** Every error class a module of src/ exports; main.ts is left out, since importing it starts the bot. */
async function exportedErrorClasses(): Promise<ErrorClass[]> {
  const files = (await readdir(SRC, { recursive: true })).filter((file) => file.endsWith('.ts') && file !== 'main.ts');
  const classes = new Set<ErrorClass>();
  for (const file of files) {
    const module = (await import(pathToFileURL(join(SRC, file)).href)) as Record<string, unknown>;
    for (const value of Object.values(module)) {
      if (typeof value === 'function' && value.prototype instanceof Error) classes.add(value as ErrorClass);
    }
  }
  return [...classes];
}

describe('error classes', () => {
  let classes: ErrorClass[];
  beforeAll(async () => {
    classes = await exportedErrorClasses();
  });

  it('each have a code of their own', () => {
    const coded = classes.filter((c) => c.prototype instanceof BotError);
    expect(coded.map((c) => c.name)).toContain('SshConfigError');
    for (const c of coded) expect(Object.hasOwn(c, 'code'), `${c.name} sets no code of its own`).toBe(true);
    const codes = coded.map((c) => c.code);
    expect(new Set(codes).size, JSON.stringify(Object.fromEntries(coded.map((c) => [c.name, c.code])))).toBe(codes.length);
  });

  it('are BotErrors, but for the signals that no person sees', () => {
    expect(classes.filter((c) => c !== BotError && !(c.prototype instanceof BotError)).map((c) => c.name)).toEqual(['RetryLater']);
  });

  it('carry their class code and name on each error, and the message to a person', async () => {
    const { SshConfigError } = await import('../../src/fleet/ssh-credentials.js');
    const cause = new Error('ENOENT');
    const error = new SshConfigError('SSH_KNOWN_HOSTS_FILE=/x: cannot read the known_hosts file (no such file).', { cause });
    expect(error).toMatchObject({ code: 'SSH_CONFIG_INVALID', name: 'SshConfigError', cause });
    expect(userMessage(error)).toBe(error.message);
    expect(userMessage(new Error('internal detail'))).not.toContain('internal detail');
  });
});
