import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import ssh2 from 'ssh2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors.js';
import type { SshEnv } from '../../src/config/load.js';
import { checkPrivateKey, loadSshCredentials, SshConfigError } from '../../src/fleet/ssh-credentials.js';
import { KnownHosts } from '../../src/fleet/ssh-known-hosts.js';
import { SshRunner } from '../../src/fleet/ssh-runner.js';

const ED25519 = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAINQFWonR3toPTJ7LnmlGA6k/XlAdZI+W3psDhrxdqDI2';
const PASSPHRASE = 'correct horse battery staple';

let dir: string;
let keyFile: string;
let encryptedKeyFile: string;
let publicKeyFile: string;
let knownHostsFile: string;
let plainKey: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'chatops-test-ssh-credentials-'));
  const plain = ssh2.utils.generateKeyPairSync('ed25519');
  plainKey = plain.private;
  const encrypted = ssh2.utils.generateKeyPairSync('ed25519', {
    passphrase: PASSPHRASE,
    cipher: 'aes256-cbc',
    rounds: 4,
  });
  keyFile = join(dir, 'id_ed25519');
  encryptedKeyFile = join(dir, 'id_ed25519_encrypted');
  publicKeyFile = join(dir, 'id_ed25519.pub');
  knownHostsFile = join(dir, 'known_hosts');
  writeFileSync(keyFile, plain.private, { mode: 0o600 });
  writeFileSync(encryptedKeyFile, encrypted.private, { mode: 0o600 });
  writeFileSync(publicKeyFile, plain.public);
  writeFileSync(knownHostsFile, `# fleet\nweb-1.example.com ${ED25519}\n`);
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function load(env: SshEnv) {
  return loadSshCredentials({ SSH_KNOWN_HOSTS_FILE: knownHostsFile, ...env });
}

function errorOf(fn: () => unknown): Error {
  try {
    fn();
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected an error');
}

describe('loadSshCredentials', () => {
  it('reads the key file and the known_hosts file; the user defaults to chatops', () => {
    const creds = load({ SSH_PRIVATE_KEY_FILE: keyFile });
    expect(creds.privateKey).toBe(plainKey);
    expect(creds.passphrase).toBeUndefined();
    expect(creds.knownHosts.keysFor('web-1.example.com', 22)).toHaveLength(1);
    expect(creds.knownHostsFile).toBe(knownHostsFile);
    expect(creds.knownHostsProblems).toEqual([]);
    expect(creds.user).toBe('chatops');
    expect(load({ SSH_PRIVATE_KEY_FILE: keyFile, SSH_USER: 'deploy' }).user).toBe('deploy');
  });

  it('takes the key from SSH_PRIVATE_KEY, with newlines written as \\n', () => {
    expect(load({ SSH_PRIVATE_KEY: plainKey }).privateKey).toBe(plainKey);
    expect(load({ SSH_PRIVATE_KEY: plainKey.replace(/\n/g, '\\n') }).privateKey).toBe(plainKey);
  });

  it('reads an encrypted key with SSH_PRIVATE_KEY_PASSPHRASE', () => {
    const creds = load({ SSH_PRIVATE_KEY_FILE: encryptedKeyFile, SSH_PRIVATE_KEY_PASSPHRASE: PASSPHRASE });
    expect(creds.passphrase).toBe(PASSPHRASE);
    expect(ssh2.utils.parseKey(creds.privateKey, PASSPHRASE)).not.toBeInstanceOf(Error);
  });

  it.each([
    [{}, /^SSH_PRIVATE_KEY_FILE is not set/],
    [{ SSH_PRIVATE_KEY_FILE: '  ' }, /^SSH_PRIVATE_KEY_FILE is not set/],
    [{ SSH_PRIVATE_KEY_FILE: 'x', SSH_PRIVATE_KEY: 'y' }, /^Set only one of SSH_PRIVATE_KEY_FILE and SSH_PRIVATE_KEY/],
    [{ SSH_PRIVATE_KEY: 'not a key' }, /^SSH_PRIVATE_KEY: cannot read the SSH private key .*Expected an OpenSSH/],
    [{ SSH_PRIVATE_KEY: 'PLAIN', SSH_USER: 'bad user' }, /^SSH_USER="bad user" is not a user name/],
  ] as [SshEnv, RegExp][])('refuses %o with a message naming the variable', (env, message) => {
    // 'PLAIN' stands for the good key (made in beforeAll, after the table is built).
    const err = errorOf(() => load({ ...env, SSH_PRIVATE_KEY: env.SSH_PRIVATE_KEY === 'PLAIN' ? plainKey : env.SSH_PRIVATE_KEY }));
    expect(err).toBeInstanceOf(ConfigError);
    expect(err.message).toMatch(message);
  });

  it('names the variable and the path of a key file it cannot read, keeping the cause', () => {
    const missing = join(dir, 'nope');
    const err = errorOf(() => load({ SSH_PRIVATE_KEY_FILE: missing }));
    expect(err).toBeInstanceOf(SshConfigError);
    expect(err.message).toBe(`SSH_PRIVATE_KEY_FILE=${missing}: cannot read the SSH private key (no such file).`);
    expect((err.cause as NodeJS.ErrnoException).code).toBe('ENOENT');
  });

  it('says to set SSH_PRIVATE_KEY_PASSPHRASE for an encrypted key, and to check it when wrong', () => {
    expect(errorOf(() => load({ SSH_PRIVATE_KEY_FILE: encryptedKeyFile })).message).toMatch(
      new RegExp(`^SSH_PRIVATE_KEY_FILE=${encryptedKeyFile}: .*The key is encrypted: set SSH_PRIVATE_KEY_PASSPHRASE`),
    );
    const wrong = errorOf(() => load({ SSH_PRIVATE_KEY_FILE: encryptedKeyFile, SSH_PRIVATE_KEY_PASSPHRASE: 'wrong passphrase' }));
    expect(wrong.message).toMatch(/Check SSH_PRIVATE_KEY_PASSPHRASE/);
    expect(wrong.message).not.toContain('wrong passphrase');
  });

  it('refuses a public key in place of the private key', () => {
    expect(errorOf(() => load({ SSH_PRIVATE_KEY_FILE: publicKeyFile })).message).toBe(
      `SSH_PRIVATE_KEY_FILE=${publicKeyFile} holds a public key; it must be the private key (the file without .pub).`,
    );
  });

  it('requires SSH_KNOWN_HOSTS_FILE: there is no trust on first use', () => {
    const err = errorOf(() => loadSshCredentials({ SSH_PRIVATE_KEY_FILE: keyFile }));
    expect(err).toBeInstanceOf(ConfigError);
    expect(err.message).toMatch(/^SSH_KNOWN_HOSTS_FILE is not set/);
    const missing = join(dir, 'missing_known_hosts');
    expect(errorOf(() => load({ SSH_PRIVATE_KEY_FILE: keyFile, SSH_KNOWN_HOSTS_FILE: missing })).message).toBe(
      `SSH_KNOWN_HOSTS_FILE=${missing}: cannot read the known_hosts file (no such file).`,
    );
  });

  it('refuses a known_hosts file without a usable line, saying which lines were skipped', () => {
    const empty = join(dir, 'known_hosts_empty');
    writeFileSync(empty, '# nothing yet\nweb-1 ssh-ed25519\n');
    const err = errorOf(() => load({ SSH_PRIVATE_KEY_FILE: keyFile, SSH_KNOWN_HOSTS_FILE: empty }));
    expect(err.message).toMatch(new RegExp(`^SSH_KNOWN_HOSTS_FILE=${empty} lists no host keys`));
    expect(err.message).toContain('line 2: expected "hostnames key-type base64-key"');
  });

  it('reports skipped known_hosts lines alongside the usable ones', () => {
    const mixed = join(dir, 'known_hosts_mixed');
    writeFileSync(mixed, `web-1 ${ED25519}\nweb-2 ssh-ed25519 ???\n`);
    expect(load({ SSH_PRIVATE_KEY_FILE: keyFile, SSH_KNOWN_HOSTS_FILE: mixed }).knownHostsProblems).toEqual(['line 2: the ssh-ed25519 key is not base64']);
  });
});

describe('SshRunner construction and arguments', () => {
  const log = pino({ level: 'silent' });

  it('reads the key once: the runner takes a checked key as it is, and checking refuses an unreadable one without echoing it', () => {
    // @ts-expect-error: a key nobody checked is not an SshPrivateKey.
    expect(() => new SshRunner({ privateKey: 'garbage-key-material', knownHosts: KnownHosts.parse(''), log })).not.toThrow();
    const err = errorOf(() => checkPrivateKey('garbage-key-material', undefined, 'SSH_PRIVATE_KEY'));
    expect(err).toBeInstanceOf(ConfigError);
    expect(err.message).toMatch(/^SSH_PRIVATE_KEY: cannot read the SSH private key/);
    expect(err.message).not.toContain('garbage-key-material');
  });

  it('warns about an empty known_hosts, and leaves its skipped lines to whoever read the file', () => {
    const lines: string[] = [];
    const capture = pino({ level: 'warn' }, { write: (line: string) => void lines.push(line) });
    new SshRunner({ privateKey: checkPrivateKey(plainKey, undefined, 'test'), knownHosts: KnownHosts.parse('web-1 ssh-ed25519\n'), log: capture });
    expect(lines.join('\n')).toContain('every SSH connection will be refused');
    expect(lines.join('\n')).not.toContain('line 1: expected');
  });

  it('rejects a timeout or output cap that makes no sense', async () => {
    const runner = new SshRunner({ privateKey: checkPrivateKey(plainKey, undefined, 'test'), knownHosts: KnownHosts.parse(`web-1 ${ED25519}`), log });
    const target = { host: 'web-1', port: 22, user: 'chatops' };
    await expect(runner.run(target, 'true', { timeoutMs: 0 })).rejects.toThrow(RangeError);
    await expect(runner.run(target, 'true', { timeoutMs: Number.NaN })).rejects.toThrow(RangeError);
    await expect(runner.run(target, 'true', { timeoutMs: 1000, maxOutputBytes: -1 })).rejects.toThrow(RangeError);
    await expect(runner.run(target, 'true', { timeoutMs: 1000, maxOutputBytes: 1.5 })).rejects.toThrow(/maxOutputBytes/);
  });
});
