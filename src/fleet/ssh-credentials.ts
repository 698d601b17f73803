import { readFileSync } from 'node:fs';
import { ConfigError, type ErrorCode } from '../errors.js';
import type { SshEnv } from '../config/load.js';
import { KnownHosts } from './ssh-known-hosts.js';
import { ssh2 } from './ssh-library.js';

/**
 * The fleet executor's SSH settings, read from the environment once at start-up.
 *
 *   SSH_PRIVATE_KEY_FILE   path of the bot's private key (OpenSSH or PEM format), or
 *   SSH_PRIVATE_KEY        the key itself (newlines may be written as \n); set only one
 *   SSH_PRIVATE_KEY_PASSPHRASE  the key's passphrase, if it is encrypted
 *   SSH_KNOWN_HOSTS_FILE   path of a known_hosts file listing every host's key (required:
 *                          there is no trust-on-first-use)
 *   SSH_USER               the login user on the hosts (default "chatops")
 */

declare const checked: unique symbol;

/**
 * A private key that ssh2 has read with the passphrase given alongside it. Only
 * checkPrivateKey makes one, so the key is read once, at start-up, and a bad one stops
 * start-up rather than the first remediation.
 */
export type SshPrivateKey = string & { readonly [checked]: true };

export interface SshCredentials {
  privateKey: SshPrivateKey;
  passphrase: string | undefined;
  /** The known_hosts file, read once: the SSH runner uses it as it is. */
  knownHosts: KnownHosts;
  knownHostsFile: string;
  /**
   * Lines of the known_hosts file that were skipped, "line N: reason": worth a warning,
   * which the caller logs (once; nothing else logs them).
   */
  knownHostsProblems: readonly string[];
  user: string;
}

export const DEFAULT_SSH_USER = 'chatops';

/** A configuration problem with an SSH setting; keeps the file system error as `cause`. */
export class SshConfigError extends ConfigError {
  static override readonly code: ErrorCode = 'SSH_CONFIG_INVALID';
}

/**
 * Reads the private key and the known_hosts file named by the environment, and checks
 * both, so that a mistake stops start-up with the variable's name rather than failing
 * the first remediation. Never puts key material or the passphrase in an error.
 */
export function loadSshCredentials(env: SshEnv): SshCredentials {
  const keyFile = nonEmpty(env.SSH_PRIVATE_KEY_FILE);
  // Kept as given (not trimmed) when it is set.
  const inlineKey = nonEmpty(env.SSH_PRIVATE_KEY) ? env.SSH_PRIVATE_KEY : undefined;
  // Not trimmed: spaces may be part of a passphrase.
  const passphrase = env.SSH_PRIVATE_KEY_PASSPHRASE || undefined;
  if (keyFile && inlineKey) {
    throw new SshConfigError('Set only one of SSH_PRIVATE_KEY_FILE and SSH_PRIVATE_KEY, not both.');
  }

  let keyText: string;
  let keySource: string;
  if (keyFile) {
    keyText = readSetting('SSH_PRIVATE_KEY_FILE', keyFile, 'the SSH private key');
    keySource = `SSH_PRIVATE_KEY_FILE=${keyFile}`;
  } else if (inlineKey) {
    // A key pasted into a .env file or a CI variable often has its newlines escaped.
    keyText = inlineKey.includes('\n') ? inlineKey : inlineKey.replace(/\\n/g, '\n');
    keySource = 'SSH_PRIVATE_KEY';
  } else {
    throw new SshConfigError(
      "SSH_PRIVATE_KEY_FILE is not set: fleet remediations log in to hosts with the bot's SSH key. " +
        'Set SSH_PRIVATE_KEY_FILE to the private key file (or SSH_PRIVATE_KEY to the key itself).',
    );
  }
  const privateKey = checkPrivateKey(keyText, passphrase, keySource);

  const knownHostsFile = nonEmpty(env.SSH_KNOWN_HOSTS_FILE);
  if (!knownHostsFile) {
    throw new SshConfigError(
      'SSH_KNOWN_HOSTS_FILE is not set: every host key is checked against a known_hosts file, ' +
        'and unknown hosts are refused. Create one (`ssh-keyscan host >> known_hosts`, then compare ' +
        'the fingerprints with `ssh-keygen -lf` on each host) and set SSH_KNOWN_HOSTS_FILE to its path.',
    );
  }
  const knownHosts = KnownHosts.parse(readSetting('SSH_KNOWN_HOSTS_FILE', knownHostsFile, 'the known_hosts file'));
  if (knownHosts.size === 0) {
    const skipped = knownHosts.problems.length ? ` Skipped lines:\n  - ${knownHosts.problems.join('\n  - ')}` : '';
    throw new SshConfigError(
      `SSH_KNOWN_HOSTS_FILE=${knownHostsFile} lists no host keys, so every host would be refused. ` +
        `Add a "host key-type base64-key" line per host (\`ssh-keyscan host\` prints them).${skipped}`,
    );
  }

  const user = nonEmpty(env.SSH_USER) ?? DEFAULT_SSH_USER;
  if (/[\s@:]/.test(user)) {
    throw new SshConfigError(`SSH_USER=${JSON.stringify(user)} is not a user name (no spaces, @ or :).`);
  }

  return {
    privateKey,
    passphrase,
    knownHosts,
    knownHostsFile,
    knownHostsProblems: knownHosts.problems,
    user,
  };
}

/**
 * The key, once ssh2 has read it with this passphrase; else a ConfigError naming `source`
 * (where the key came from), never the key itself.
 */
export function checkPrivateKey(key: string, passphrase: string | undefined, source: string): SshPrivateKey {
  const parsed = ssh2().utils.parseKey(key, passphrase);
  if (parsed instanceof Error) {
    const encrypted = /encrypted|passphrase/i.test(parsed.message);
    const hint = encrypted
      ? passphrase
        ? ' Check SSH_PRIVATE_KEY_PASSPHRASE.'
        : ' The key is encrypted: set SSH_PRIVATE_KEY_PASSPHRASE.'
      : ' Expected an OpenSSH ("BEGIN OPENSSH PRIVATE KEY") or PEM private key.';
    throw new SshConfigError(`${source}: cannot read the SSH private key (${parsed.message}).${hint}`, {
      cause: parsed,
    });
  }
  if (parsed.getPrivatePEM() === null) {
    throw new SshConfigError(`${source} holds a public key; it must be the private key (the file without .pub).`);
  }
  return key as SshPrivateKey;
}

function readSetting(variable: string, file: string, what: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const reason =
      code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'it is a directory' : (err as Error).message;
    throw new SshConfigError(`${variable}=${file}: cannot read ${what} (${reason}).`, { cause: err });
  }
}

function nonEmpty(value: string | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed ? trimmed : undefined;
}
