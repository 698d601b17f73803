/**
 * Test harness: REAL OpenSSH servers (Debian package `openssh-server`) on loopback,
 * each standing for one host of a fleet.
 *
 *   const keys = await sshTestKeys();             // once per process, shared
 *   const web1 = await startSshd();               // a healthy host
 *   const web2 = await startSshd({ failCommands: true }); // every command exits 3
 *   const runner = sshRunner(keys.userPrivateKey, [web1.knownHostsLine, web2.knownHostsLine].join('\n'), log);
 *   await runner.run(web1.target, 'uptime', { timeoutMs: 5000 });
 *   await web1.stop();
 *
 * Each sshd runs in the foreground (`sshd -D -e -f <config>`) as a child of the test
 * process, with a generated config in its own temp dir: key authentication only, for
 * one user (sshdLoginUser(): the user running the tests, root included through
 * PermitRootLogin prohibit-password, or SSHD_TEST_USER), with one throwaway host key and
 * user key pair made by ssh-keygen. Commands run as that user on this machine, so a test
 * can look at the files they create. Readiness is sshd's own "Server listening" line
 * plus an SSH banner on the port; no fixed sleeps.
 *
 * Environment: SSHD_BIN / SSH_KEYGEN_BIN override the binaries; SSHD_TEST_USER names
 * another login user (the tests must then run as root; the account must not be locked,
 * since UsePAM is off: `useradd -m -s /bin/bash -p '*' NAME`).
 */
import { execFile, execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Logger } from 'pino';
import { checkPrivateKey } from '../../src/fleet/ssh-credentials.js';
import { KnownHosts } from '../../src/fleet/ssh-known-hosts.js';
import { SshRunner, type SshTarget } from '../../src/fleet/ssh-runner.js';
import { errorMessage, findExecutable, freePort, isExecutable, spawnTracked } from './child-process.js';
import { waitFor } from './wait.js';

const execFileAsync = promisify(execFile);

export interface SshTestKeys {
  /** The user's private key, OpenSSH format, unencrypted. */
  userPrivateKey: string;
  /** Its public key line, "ssh-ed25519 AAAA… comment", as in authorized_keys. */
  userPublicKey: string;
  /** The host key every harness sshd uses, OpenSSH format. */
  hostPrivateKey: string;
  /** "ssh-ed25519 AAAA…" (no host name, no comment): the end of a known_hosts line. */
  hostPublicKey: string;
  /** The host key's fingerprint as `ssh-keygen -l` prints it: "SHA256:…". */
  hostFingerprint: string;
  /** Another ed25519 public key, "ssh-ed25519 AAAA…", that no sshd uses (for mismatch tests). */
  otherHostPublicKey: string;
}

/** The unprivileged user the harness creates when the tests run as root. */
const ROOT_STAND_IN = 'chatops-sshd-test';

/**
 * The user the harness servers log in: SSHD_TEST_USER if set, else the user running the
 * tests, except root. OpenSSH handles a root login in its privileged process, which
 * refuses the "signal" requests that stop a command on timeout, and the bot never logs
 * in as root in production; so as root the harness logs in as an ordinary user it
 * creates once (no password: it can only log in with the test key, on these servers).
 */
export function sshdLoginUser(): string {
  if (process.env.SSHD_TEST_USER) return process.env.SSHD_TEST_USER;
  const me = userInfo().username;
  if (me !== 'root') return me;
  try {
    execFileSync('id', [ROOT_STAND_IN], { stdio: 'ignore' });
  } catch {
    try {
      execFileSync('useradd', ['--create-home', '--shell', '/bin/sh', '--password', '*', ROOT_STAND_IN], { stdio: 'pipe' });
    } catch (error) {
      throw new Error(
        `cannot create the test login user ${ROOT_STAND_IN} (useradd failed: ${(error as Error).message}); set SSHD_TEST_USER to an existing ordinary user`,
      );
    }
  }
  return ROOT_STAND_IN;
}

export interface SshdHarness {
  host: '127.0.0.1';
  port: number;
  /** The login user: sshdLoginUser(). */
  user: string;
  /** { host, port, user }, for SshRunner.run(). */
  target: SshTarget;
  /** "[127.0.0.1]:PORT ssh-ed25519 AAAA…": this server's line for a known_hosts file. */
  knownHostsLine: string;
  /** Last lines of sshd's own log (LogLevel VERBOSE), for failure messages. */
  logs(): string;
  /** Stops sshd and removes its temp dir. Safe to call twice. */
  stop(): Promise<void>;
}

export interface StartSshdOptions {
  /** Every command fails: `ForceCommand` prints FAIL_MESSAGE to stderr and exits FAIL_EXIT_CODE. */
  failCommands?: boolean;
}

/** What a `failCommands` server's commands exit with. */
export const FAIL_EXIT_CODE = 3;
export const FAIL_MESSAGE = 'harness sshd: failCommands is set, the command did not run';

const READY_TIMEOUT_MS = 10_000;
const PROBE_TIMEOUT_MS = 1_000;
const LOG_KEEP_LINES = 400;
const LOG_TAIL_LINES = 60;
const SBIN_DIRS = ['/usr/local/sbin', '/usr/sbin', '/sbin'];

let keys: Promise<SshTestKeys> | undefined;

/** An SshRunner from a key and the text of a known_hosts file, each read once as the bot reads them. */
export function sshRunner(privateKey: string, knownHosts: string, log: Logger): SshRunner {
  return new SshRunner({ privateKey: checkPrivateKey(privateKey, undefined, 'the test key'), knownHosts: KnownHosts.parse(knownHosts), log });
}

/**
 * A user key pair, a host key and a spare host public key, made once per process with
 * ssh-keygen and kept in memory (the temp dir they were made in is removed at once).
 */
export function sshTestKeys(): Promise<SshTestKeys> {
  keys ??= generateKeys();
  // A failure is not cached: the next caller tries again and sees the error too.
  keys.catch(() => {
    keys = undefined;
  });
  return keys;
}

async function generateKeys(): Promise<SshTestKeys> {
  const keygen = findBinary('ssh-keygen', 'SSH_KEYGEN_BIN');
  const dir = mkdtempSync(join(tmpdir(), 'chatops-test-sshkeys-'));
  try {
    const make = async (name: string, comment: string) => {
      const file = join(dir, name);
      await run(keygen, ['-q', '-t', 'ed25519', '-N', '', '-C', comment, '-f', file]);
      return { file, privateKey: readFileSync(file, 'utf8'), publicLine: readFileSync(`${file}.pub`, 'utf8').trim() };
    };
    const [user, host, other] = await Promise.all([
      make('user_key', 'chatops-test-user'),
      make('host_key', 'chatops-test-host'),
      make('other_host_key', 'chatops-test-other-host'),
    ]);
    const listing = await run(keygen, ['-l', '-E', 'sha256', '-f', `${host.file}.pub`]);
    const hostFingerprint = /SHA256:[A-Za-z0-9+/]+/.exec(listing)?.[0];
    if (!hostFingerprint) throw new Error(`ssh-keygen -l printed no SHA256 fingerprint: ${listing}`);
    return {
      userPrivateKey: user.privateKey,
      userPublicKey: user.publicLine,
      hostPrivateKey: host.privateKey,
      hostPublicKey: keyTypeAndBase64(host.publicLine),
      hostFingerprint,
      otherHostPublicKey: keyTypeAndBase64(other.publicLine),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Starts one sshd on a free loopback port and waits until it sends its SSH banner. */
export async function startSshd(opts: StartSshdOptions = {}): Promise<SshdHarness> {
  const binary = findBinary('sshd', 'SSHD_BIN');
  const testKeys = await sshTestKeys();
  const errors: string[] = [];
  let lastError: unknown;
  let madePrivsepDir = false;
  // Retried when another process took the free port before sshd bound it, and once
  // after creating sshd's privilege separation directory (a fresh container has none).
  for (let attempt = 1; attempt <= 4; attempt++) {
    try {
      return await startOnce(binary, testKeys, opts);
    } catch (err) {
      lastError = err;
      const message = errorMessage(err);
      errors.push(`attempt ${attempt}: ${message}`);
      const privsepDir = /Missing privilege separation directory: (\S+)/.exec(message)?.[1];
      if (privsepDir && !madePrivsepDir) {
        madePrivsepDir = true;
        makePrivsepDir(privsepDir);
        continue;
      }
      if (!/address already in use/i.test(message)) break;
    }
  }
  throw new Error(`Could not start sshd (${binary}):\n${errors.join('\n')}`, { cause: lastError });
}

async function startOnce(binary: string, testKeys: SshTestKeys, opts: StartSshdOptions): Promise<SshdHarness> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'chatops-test-sshd-'));
  const user = sshdLoginUser();
  const me = userInfo().username;
  if (user !== me && process.getuid?.() !== 0) {
    throw new Error(`SSHD_TEST_USER=${user}: an sshd running as ${me} (not root) can only log in ${me}.`);
  }
  const hostKeyFile = join(dir, 'ssh_host_ed25519_key');
  const authorizedKeysFile = join(dir, 'authorized_keys');
  const configFile = join(dir, 'sshd_config');
  // sshd refuses a host key that others can read.
  writeFileSync(hostKeyFile, testKeys.hostPrivateKey, { mode: 0o600 });
  writeFileSync(authorizedKeysFile, `${testKeys.userPublicKey}\n`, { mode: 0o600 });
  if (user !== me) {
    // sshd reads authorized_keys as the login user.
    chmodSync(dir, 0o755);
    chmodSync(authorizedKeysFile, 0o644);
  }

  const config = [
    `ListenAddress 127.0.0.1:${port}`,
    `HostKey ${quote(hostKeyFile)}`,
    `PidFile ${quote(join(dir, 'sshd.pid'))}`,
    `AuthorizedKeysFile ${quote(authorizedKeysFile)}`,
    'PubkeyAuthentication yes',
    'AuthenticationMethods publickey',
    'PasswordAuthentication no',
    'KbdInteractiveAuthentication no',
    'UsePAM no',
    // The temp dir is not a home directory with the modes StrictModes wants.
    'StrictModes no',
    // Tests run as root in CI containers; key authentication only.
    'PermitRootLogin prohibit-password',
    `AllowUsers ${user}`,
    'UseDNS no',
    'PrintMotd no',
    'PrintLastLog no',
    'PermitTTY no',
    'X11Forwarding no',
    'AllowTcpForwarding no',
    'AllowAgentForwarding no',
    'MaxStartups 100',
    'LogLevel VERBOSE',
    ...(opts.failCommands ? [`ForceCommand echo '${FAIL_MESSAGE}' >&2; exit ${FAIL_EXIT_CODE}`] : []),
  ];
  writeFileSync(configFile, `${config.join('\n')}\n`);

  const server = spawnTracked(binary, ['-D', '-e', '-f', configFile], {
    dir,
    keepLines: LOG_KEEP_LINES,
    tailLines: LOG_TAIL_LINES,
  });
  const { stop, output: logs } = server;

  try {
    await waitFor(
      async () => {
        if (server.exitInfo()) return true; // stop polling, reported below
        // Another server may hold the port (the free port was taken by someone else
        // before sshd bound it): its banner would prove nothing. Our sshd says it bound.
        if (!logs().includes(`Server listening on 127.0.0.1 port ${port}.`)) return false;
        return (await readBanner(port)).startsWith('SSH-2.0-');
      },
      { timeoutMs: READY_TIMEOUT_MS, intervalMs: 25, message: `sshd on 127.0.0.1:${port} sent no SSH banner` },
    );
    const exitInfo = server.exitInfo();
    if (exitInfo) {
      throw new Error(`sshd exited during startup (code ${exitInfo.code}, signal ${exitInfo.signal})`);
    }
  } catch (err) {
    await stop();
    throw new Error(`${errorMessage(err)}\n--- sshd log (last lines) ---\n${logs()}`, { cause: err });
  }

  return {
    host: '127.0.0.1',
    port,
    user,
    target: { host: '127.0.0.1', port, user },
    knownHostsLine: `[127.0.0.1]:${port} ${testKeys.hostPublicKey}`,
    logs,
    stop,
  };
}

/** The first line the server sends (its identification string), or what arrived before it closed. */
function readBanner(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port });
    let received = '';
    const done = (err?: Error) => {
      socket.destroy();
      if (err) reject(err);
      else resolve(received);
    };
    socket.setTimeout(PROBE_TIMEOUT_MS, () => done(new Error('no banner within the probe timeout')));
    socket.on('data', (chunk) => {
      received += chunk.toString('latin1');
      if (received.includes('\n')) done();
    });
    socket.on('error', done);
    socket.on('close', () => done());
  });
}

/**
 * sshd running as root insists on its privilege separation directory (/run/sshd on
 * Debian), which the package creates at boot, not at install: a fresh container has none.
 */
function makePrivsepDir(path: string): void {
  if (process.getuid?.() !== 0) {
    throw new Error(`sshd needs the directory ${path}; create it as root (mkdir -m 755 ${path}).`);
  }
  mkdirSync(path, { recursive: true, mode: 0o755 });
}

function findBinary(name: 'sshd' | 'ssh-keygen', overrideVariable: string): string {
  const override = process.env[overrideVariable];
  if (override) {
    if (isExecutable(override)) return override;
    throw new Error(`${overrideVariable}=${override} is not an executable file.`);
  }
  // sshd lives in sbin, which a non-root PATH often lacks; sshd also wants an absolute path.
  const found = findExecutable(name) ?? SBIN_DIRS.map((dir) => join(dir, name)).find(isExecutable);
  if (found) return found;
  throw new Error(
    `${name} (OpenSSH) not found on PATH or in ${SBIN_DIRS.join(', ')}. ` +
      'Install it with `apt-get install openssh-server` (Debian/Ubuntu; it brings ssh-keygen too), ' +
      `or set ${overrideVariable} to the binary.`,
  );
}

async function run(binary: string, args: string[]): Promise<string> {
  try {
    const { stdout, stderr } = await execFileAsync(binary, args, { timeout: 10_000 });
    return `${stdout}${stderr}`;
  } catch (err) {
    throw new Error(`${binary} ${args.join(' ')} failed: ${errorMessage(err)}`, { cause: err });
  }
}

/** "ssh-ed25519 AAAA… comment" -> "ssh-ed25519 AAAA…". */
function keyTypeAndBase64(publicLine: string): string {
  const [type, base64] = publicLine.split(/\s+/);
  if (!type || !base64) throw new Error(`not a public key line: ${publicLine}`);
  return `${type} ${base64}`;
}

/** sshd_config takes double-quoted arguments; temp paths have no quotes of their own. */
function quote(path: string): string {
  if (path.includes('"')) throw new Error(`cannot quote ${path} for sshd_config`);
  return `"${path}"`;
}
