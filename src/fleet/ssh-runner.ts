import { performance } from 'node:perf_hooks';
import type { Logger } from 'pino';
import type { ClientChannel, ConnectConfig } from 'ssh2';
import { formatDuration } from '../config/duration.js';
import type { SshPrivateKey } from './ssh-credentials.js';
import type { HostKeyVerdict, KnownHosts } from './ssh-known-hosts.js';
import { ssh2 } from './ssh-library.js';
import { CappedOutput } from './ssh-output.js';

/**
 * Runs one command on one host over SSH: the fleet executor's adapter to the hosts.
 *
 * - Host keys are checked against a known_hosts file, with no trust on first use: an
 *   unknown host, a changed key or a revoked key ends the connection during the key
 *   exchange, before authentication, so the command never runs.
 * - One deadline covers connecting, authenticating and running. When it passes, the
 *   command is sent SIGTERM (OpenSSH 7.8+ signals its process group) and the connection
 *   is closed. OpenSSH refuses signals in a root login's session ("session signalling
 *   requires privilege separation"): logged in as root, the command outlives the
 *   timeout, as with `ssh host cmd`. Log in as an ordinary user (SSH_USER).
 * - stdout and stderr are each kept up to a byte cap, cut on a character boundary.
 * - The command string is passed to the remote login shell exactly as given: quoting
 *   arguments is the caller's job (the command templates).
 * - Failures of one host (refused key, unreachable, timeout, …) are results with an
 *   `error`, never exceptions, so one bad host cannot hide the results of the others.
 * - The command's stdin stays open and empty (ssh2 sends no signal on a channel whose
 *   stdin was closed): a command that reads stdin waits until the deadline, so a
 *   template for such a command should add `</dev/null`.
 */

export interface SshTarget {
  host: string;
  port: number;
  user: string;
}

export interface HostResult {
  /** The host as given in the target. */
  host: string;
  /** The command's exit status; null when it did not end with one (error, timeout, signal). */
  exitCode: number | null;
  /** Set when the command was killed by a signal, e.g. "SIGKILL". */
  signal?: string;
  stdout: string;
  stderr: string;
  /** True when stdout or stderr went over the cap and its end was dropped. */
  truncated: boolean;
  /** From the start of the connection to the result. */
  durationMs: number;
  /** Why there is no exit status: the host key was refused, the host was unreachable, a timeout, … */
  error?: string;
}

/**
 * The key and known_hosts come read and checked (loadSshCredentials, or checkPrivateKey and
 * KnownHosts.parse): the runner reads neither again, and whoever read the known_hosts
 * file reports its skipped lines, once.
 */
export interface SshRunnerOptions {
  /** The bot's private key, OpenSSH or PEM format. Never logged. */
  privateKey: SshPrivateKey;
  /** Its passphrase, if it is encrypted. Never logged. */
  passphrase?: string;
  knownHosts: KnownHosts;
  log: Logger;
  /** How long the TCP connection and SSH handshake may take. Default 10 s; the run deadline still applies. */
  connectTimeoutMs?: number;
}

export interface RunOptions {
  /** Deadline for connect + authenticate + run. */
  timeoutMs: number;
  /** Cap per stream (stdout, stderr) in bytes. Default 64 KiB. */
  maxOutputBytes?: number;
}

export const DEFAULT_MAX_OUTPUT_BYTES = 64 * 1024;
export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;
/** After a result, how long the connection may take to close politely before it is cut. */
const CLOSE_GRACE_MS = 2_000;

type Outcome = { exitCode: number | null; signal?: string; error?: string };

export class SshRunner {
  private readonly privateKey: SshPrivateKey;
  private readonly passphrase: string | undefined;
  private readonly knownHosts: KnownHosts;
  private readonly log: Logger;
  private readonly connectTimeoutMs: number;

  constructor(opts: SshRunnerOptions) {
    this.privateKey = opts.privateKey;
    this.passphrase = opts.passphrase;
    this.log = opts.log.child({ component: 'ssh' });
    this.connectTimeoutMs = opts.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
    this.knownHosts = opts.knownHosts;
    if (this.knownHosts.size === 0) {
      this.log.warn('known_hosts lists no host keys: every SSH connection will be refused');
    }
  }

  /**
   * Runs `command` on `target`; resolves with the result, also when the host fails.
   * Rejects only on invalid options (RangeError).
   */
  run(target: SshTarget, command: string, opts: RunOptions): Promise<HostResult> {
    const { timeoutMs } = opts;
    const maxOutputBytes = opts.maxOutputBytes ?? DEFAULT_MAX_OUTPUT_BYTES;
    // Programming errors, so rejections rather than results.
    if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) {
      return Promise.reject(new RangeError(`SshRunner.run: timeoutMs must be a positive number of milliseconds, got ${timeoutMs}`));
    }
    if (!Number.isInteger(maxOutputBytes) || maxOutputBytes < 0) {
      return Promise.reject(new RangeError(`SshRunner.run: maxOutputBytes must be a whole number >= 0, got ${maxOutputBytes}`));
    }

    const log = this.log.child({ host: target.host, port: target.port, user: target.user });
    const where = `${target.host} port ${target.port}`;
    const started = performance.now();
    const stdout = new CappedOutput(maxOutputBytes);
    const stderr = new CappedOutput(maxOutputBytes);
    const client = new (ssh2().Client)();
    let refusal: Extract<HostKeyVerdict, { ok: false }> | undefined;
    let channel: ClientChannel | undefined;
    let settled = false;
    let timer: NodeJS.Timeout | undefined;
    let resolveResult!: (result: HostResult) => void;
    const result = new Promise<HostResult>((resolve) => {
      resolveResult = resolve;
    });

    const closeConnection = () => {
      client.end();
      const cut = setTimeout(() => client.destroy(), CLOSE_GRACE_MS);
      cut.unref();
      client.once('close', () => clearTimeout(cut));
    };

    const settle = (outcome: Outcome) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      const res: HostResult = {
        host: target.host,
        exitCode: outcome.exitCode,
        stdout: stdout.text(),
        stderr: stderr.text(),
        truncated: stdout.truncated || stderr.truncated,
        durationMs: Math.round(performance.now() - started),
      };
      if (outcome.signal !== undefined) res.signal = outcome.signal;
      if (outcome.error !== undefined) res.error = outcome.error;
      const fields = { exitCode: res.exitCode, signal: res.signal, durationMs: res.durationMs, truncated: res.truncated };
      if (res.error) log.warn({ ...fields, error: res.error }, 'ssh command failed');
      else log.info(fields, 'ssh command finished');
      closeConnection();
      resolveResult(res);
    };

    timer = setTimeout(() => {
      if (channel) {
        try {
          // OpenSSH (7.8+) passes it to the command's process group.
          channel.signal('TERM');
        } catch {
          // The channel is closing already.
        }
      }
      settle({ exitCode: null, error: `timed out after ${formatDuration(timeoutMs)}` });
    }, timeoutMs);

    // Kept for the whole life of the client: a late error (a reset after the result)
    // must not become an unhandled 'error' event.
    client.on('error', (err: Error & { level?: string }) => {
      settle({ exitCode: null, error: this.describeError(err, target, refusal) });
    });
    client.on('close', () => {
      settle({ exitCode: null, error: `the connection to ${where} closed before the command finished` });
    });
    client.on('ready', () => {
      if (settled) {
        // Connected after the deadline.
        client.end();
        return;
      }
      log.debug({ command }, 'ssh connected, running command');
      try {
        client.exec(command, (err, stream) => {
          if (err) {
            settle({ exitCode: null, error: `${where} did not start the command: ${err.message}` });
            return;
          }
          if (settled) {
            stream.close();
            return;
          }
          channel = stream;
          let exit: { code: number | null; signal: string | undefined } | undefined;
          stream.on('data', (chunk: Buffer) => stdout.push(chunk));
          stream.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
          stream.on('exit', (code: number | null, signal?: string) => {
            exit = { code: typeof code === 'number' ? code : null, signal: signal ?? undefined };
          });
          stream.on('close', () => {
            if (!exit) {
              settle({ exitCode: null, error: `the command on ${where} ended without an exit status` });
            } else if (exit.signal) {
              settle({ exitCode: null, signal: exit.signal, error: `the command was killed by ${exit.signal}` });
            } else {
              settle({ exitCode: exit.code });
            }
          });
        });
      } catch (err) {
        settle({ exitCode: null, error: `${where} did not start the command: ${(err as Error).message}` });
      }
    });

    const config: ConnectConfig = {
      host: target.host,
      port: target.port,
      username: target.user,
      privateKey: this.privateKey,
      readyTimeout: this.connectTimeoutMs,
      hostVerifier: (key: Buffer): boolean => {
        const verdict = this.knownHosts.verify(target.host, target.port, key);
        if (verdict.ok) {
          log.debug({ keyType: verdict.keyType, fingerprint: verdict.fingerprint }, 'ssh host key verified');
          return true;
        }
        refusal = verdict;
        log.error({ reason: verdict.reason, keyType: verdict.keyType, fingerprint: verdict.fingerprint }, 'ssh host key refused');
        return false;
      },
    };
    if (this.passphrase !== undefined) config.passphrase = this.passphrase;
    const algorithms = this.knownHosts.hostKeyAlgorithms(target.host, target.port);
    if (algorithms) config.algorithms = { serverHostKey: algorithms as NonNullable<ConnectConfig['algorithms']>['serverHostKey'] };

    try {
      client.connect(config);
    } catch (err) {
      settle({ exitCode: null, error: `could not connect to ${where}: ${(err as Error).message}` });
    }
    return result;
  }

  /** An upstream error as a sentence a person can act on. */
  private describeError(
    err: Error & { level?: string; code?: string },
    target: SshTarget,
    refusal: Extract<HostKeyVerdict, { ok: false }> | undefined,
  ): string {
    const where = `${target.host} port ${target.port}`;
    if (refusal) return refusal.message;
    switch (err.level) {
      case 'client-authentication':
        return (
          `${target.user}@${where} did not accept the bot's SSH key (${err.message}). ` +
          `Add the bot's public key to ~${target.user}/.ssh/authorized_keys on the host, or check SSH_USER.`
        );
      case 'client-timeout':
        return `no SSH handshake with ${where} within ${formatDuration(this.connectTimeoutMs)} (${err.message})`;
      case 'handshake': {
        const listed = [...new Set(this.knownHosts.keysFor(target.host, target.port).map((k) => k.keyType))];
        if (listed.length && /host key/i.test(err.message)) {
          return (
            `SSH handshake with ${where} failed (${err.message}): the known_hosts file lists only ` +
            `${listed.join(', ')} keys for it, and the server offers none of those. Add the host's current key ` +
            'to the known_hosts file (SSH_KNOWN_HOSTS_FILE).'
          );
        }
        return `SSH handshake with ${where} failed: ${err.message}`;
      }
      case 'client-socket':
        return `could not connect to ${where}: ${err.message}`;
      default:
        return `SSH connection to ${where} failed: ${err.message}`;
    }
  }
}
