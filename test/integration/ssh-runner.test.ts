/**
 * SshRunner against REAL OpenSSH servers on loopback (test/support/sshd.ts): one sshd per
 * "host". Commands run as the test user on this machine, so a test can check the files a
 * command did, or did not, create.
 */
import { execFile } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { pino, type Logger } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fingerprintSha256 } from '../../src/fleet/ssh-known-hosts.js';
import type { SshRunner, HostResult } from '../../src/fleet/ssh-runner.js';
import { freePort } from '../support/child-process.js';
import { FAIL_EXIT_CODE, FAIL_MESSAGE, sshdLoginUser, sshRunner, sshTestKeys, startSshd, type SshdHarness, type SshTestKeys } from '../support/sshd.js';
import { waitFor } from '../support/wait.js';

const execFileAsync = promisify(execFile);

let keys: SshTestKeys;
let web1: SshdHarness;
let web2: SshdHarness;
let web3: SshdHarness;
/** Every command fails there (ForceCommand). */
let broken: SshdHarness;
/** Only ever sees refused connections: its log must never show a login. */
let guarded: SshdHarness;
/** For the timeout tests, which count its disconnects. */
let slow: SshdHarness;
let work: string;
const logLines: string[] = [];
let log: Logger;
let runner: SshRunner;

beforeAll(async () => {
  keys = await sshTestKeys();
  [web1, web2, web3, broken, guarded, slow] = await Promise.all([
    startSshd(), // web1
    startSshd(), // web2
    startSshd(), // web3
    startSshd({ failCommands: true }), // broken
    startSshd(), // guarded
    startSshd(), // slow
  ]);
  work = mkdtempSync(join(tmpdir(), 'chatops-test-ssh-runner-'));
  shareWithLoginUser(work);
  log = pino({ level: 'trace' }, { write: (line: string) => void logLines.push(line) });
  runner = sshRunner(keys.userPrivateKey, [web1, web2, web3, broken, slow].map((h) => h.knownHostsLine).join('\n'), log);
});

afterAll(async () => {
  await Promise.all([web1, web2, web3, broken, guarded, slow].map((h) => h?.stop()));
  if (work) rmSync(work, { recursive: true, force: true });
});

/** A fresh path in the test's temp dir, single-quoted for the remote shell. */
function marker(name: string): { path: string; quoted: string } {
  const path = join(work, `${name}-${Math.random().toString(36).slice(2)}`);
  return { path, quoted: `'${path}'` };
}

/** Commands run as the sshd login user, which may not be us (SSHD_TEST_USER): let it write here. */
function shareWithLoginUser(dir: string): string {
  if (sshdLoginUser() !== userInfo().username) chmodSync(dir, 0o777);
  return dir;
}

/** How many sessions sshd has logged as ended by the client. */
function disconnects(host: SshdHarness): number {
  return host.logs().match(/Disconnected from user/g)?.length ?? 0;
}

function expectNoLogin(host: SshdHarness): void {
  const logs = host.logs();
  expect(logs, 'sshd log').not.toMatch(/Accepted publickey/);
  expect(logs, 'sshd log').not.toMatch(/Starting session/);
}

describe('SshRunner against a real sshd', () => {
  it('runs a command and captures stdout, stderr and the exit code', async () => {
    const result = await runner.run(web1.target, "echo out; printf 'h\\303\\251llo \\342\\234\\223' >&2; exit 7", {
      timeoutMs: 10_000,
    });
    expect(result).toMatchObject({
      host: '127.0.0.1',
      exitCode: 7,
      stdout: 'out\n',
      stderr: 'héllo ✓',
      truncated: false,
    } satisfies Partial<HostResult>);
    expect(result.error).toBeUndefined();
    expect(result.signal).toBeUndefined();
    expect(result.durationMs).toBeGreaterThan(0);

    const ok = await runner.run(web1.target, 'id -un', { timeoutMs: 10_000 });
    expect(ok).toMatchObject({ exitCode: 0, stdout: `${web1.user}\n`, stderr: '' });
    // The log shows logins: so the absence of one (expectNoLogin) means something.
    await waitFor(() => /Accepted publickey for/.test(web1.logs()), { message: 'sshd logged no login' });
  });

  it('reports the exit code and stderr of a host where the command fails', async () => {
    const m = marker('broken');
    const result = await runner.run(broken.target, `touch ${m.quoted}`, { timeoutMs: 10_000 });
    expect(result.exitCode).toBe(FAIL_EXIT_CODE);
    expect(result.stderr).toContain(FAIL_MESSAGE);
    expect(result.error).toBeUndefined();
    expect(existsSync(m.path)).toBe(false);
  });

  it('refuses a host whose key does not match known_hosts, and runs nothing there', async () => {
    const m = marker('mismatch');
    const strict = sshRunner(keys.userPrivateKey, `${web1.knownHostsLine}\n[127.0.0.1]:${guarded.port} ${keys.otherHostPublicKey}\n`, log);
    const result = await strict.run(guarded.target, `touch ${m.quoted}`, { timeoutMs: 10_000 });

    expect(result.exitCode).toBeNull();
    expect(result.stdout).toBe('');
    expect(result.error).toMatch(/HOST KEY MISMATCH/);
    expect(result.error).toContain(`127.0.0.1 port ${guarded.port}`);
    // The presented key's fingerprint, exactly as OpenSSH's ssh-keygen prints it ...
    expect(result.error).toContain(keys.hostFingerprint);
    // ... and the one the file expected.
    const other = fingerprintSha256(Buffer.from(keys.otherHostPublicKey.split(' ')[1] ?? '', 'base64'));
    expect(result.error).toContain(other);
    expect(result.error).toMatch(/known_hosts file/);
    expect(existsSync(m.path)).toBe(false);
    expectNoLogin(guarded);
  });

  it('refuses a host that is not in known_hosts (no trust on first use), and runs nothing there', async () => {
    const m = marker('unknown');
    // The right key, but listed for other ports and for port 22: none is this host.
    const knownHosts = [web1.knownHostsLine, `127.0.0.1 ${keys.hostPublicKey}`, `[127.0.0.1]:${guarded.port + 1} ${keys.hostPublicKey}`].join('\n');
    const strict = sshRunner(keys.userPrivateKey, knownHosts, log);
    const result = await strict.run(guarded.target, `touch ${m.quoted}`, { timeoutMs: 10_000 });

    expect(result.exitCode).toBeNull();
    expect(result.error).toMatch(/is not in the known_hosts file/);
    expect(result.error).toContain(`127.0.0.1 port ${guarded.port}`);
    expect(result.error).toContain(keys.hostFingerprint);
    expect(result.error).toMatch(/add the host's line to the known_hosts file/);
    expect(existsSync(m.path)).toBe(false);
    expectNoLogin(guarded);
  });

  it('refuses a host listed only with a key type its server does not have, before any login', async () => {
    // An RSA key (made by ssh-keygen); the harness sshd has only an ed25519 host key.
    const rsa =
      'ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAAAgQCuHt/11olcTlcQ2nrJNuc4tsf1nns5cMthFe3T+UzSQeYkXUrkXTECOHLlL+4mq23UP060XB0h3z0ppdJzcGhlmXLdwxAcTDeH3nOJkdvIDOQnYagOpR9En+IDaA+irnM4xW/iOIfhFoQFgUsL696ColwLIshNPi9oZ5yGrx/osw==';
    const strict = sshRunner(keys.userPrivateKey, `[127.0.0.1]:${guarded.port} ${rsa}`, log);
    const m = marker('rsa-only');
    const result = await strict.run(guarded.target, `touch ${m.quoted}`, { timeoutMs: 10_000 });
    expect(result.exitCode).toBeNull();
    expect(result.error).toMatch(new RegExp(`^SSH handshake with 127\\.0\\.0\\.1 port ${guarded.port} failed .*lists only ssh-rsa keys`));
    expect(existsSync(m.path)).toBe(false);
    expectNoLogin(guarded);
  });

  it('accepts a host listed under a name hashed by ssh-keygen -H', async () => {
    const file = join(work, 'known_hosts_hashed');
    writeFileSync(file, `${web2.knownHostsLine}\n`);
    await execFileAsync('ssh-keygen', ['-H', '-f', file]);
    const hashed = readFileSync(file, 'utf8');
    expect(hashed).toMatch(/^\|1\|/);
    expect(hashed).not.toContain('127.0.0.1');

    const viaHash = sshRunner(keys.userPrivateKey, hashed, log);
    expect(await viaHash.run(web2.target, 'echo hashed', { timeoutMs: 10_000 })).toMatchObject({
      exitCode: 0,
      stdout: 'hashed\n',
    });
    // The same hashed line does not vouch for another port.
    const other = await viaHash.run(web3.target, 'echo no', { timeoutMs: 10_000 });
    expect(other.error).toMatch(/is not in the known_hosts file/);
  });

  it('times out: sleep 5 with a 300 ms deadline gives an error at once, and closes the connection', async () => {
    const before = disconnects(slow);
    const result = await runner.run(slow.target, 'sleep 5', { timeoutMs: 300 });
    const resultAt = Date.now();
    expect(result).toMatchObject({ exitCode: null, error: 'timed out after 300 ms', stdout: '', stderr: '' });
    expect(result.durationMs).toBeGreaterThanOrEqual(299);
    expect(result.durationMs).toBeLessThan(2_000);
    // sshd saw the client go before `sleep 5` could have ended the session (bounded by what
    // is left of its 5 s, not by a guess at how fast a loaded machine logs).
    const sessionEndsAt = resultAt - result.durationMs + 5_000;
    await waitFor(() => disconnects(slow) > before, { timeoutMs: sessionEndsAt - Date.now(), message: 'sshd logged no disconnect' });
    expect(Date.now()).toBeLessThan(sessionEndsAt);
  });

  it('on timeout, stops the remote command (SIGTERM) and closes the session', async () => {
    const before = disconnects(slow);
    const after = marker('after');
    // $$ is the shell, replaced by sleep (exec): the pid of the process to be stopped.
    const result = await runner.run(slow.target, `echo $$; exec sleep 5; touch ${after.quoted}`, { timeoutMs: 1_500 });
    expect(result).toMatchObject({ exitCode: null, error: 'timed out after 1.5 seconds' });
    const pid = Number(result.stdout.trim());
    expect(pid).toBeGreaterThan(0);
    // Well before the 5 s sleep would end by itself.
    await waitFor(() => !isAlive(pid), { timeoutMs: 2_000, message: `remote sleep (pid ${pid}) still runs` });
    await waitFor(() => disconnects(slow) > before, { timeoutMs: 2_000, message: 'sshd logged no disconnect' });
    expect(existsSync(after.path)).toBe(false);
  });

  it('keeps the first 64 KiB of each stream by default, cut on a character boundary', async () => {
    // stdout: 65535 x "a", then "€" (3 bytes) across the 65536-byte cap, then ~150 KB more.
    // stderr: 65535 x "x", then "é" (2 bytes) across the cap, then ~150 KB more.
    const command = [
      "head -c 65535 /dev/zero | tr '\\0' a",
      "printf '\\342\\202\\254'",
      "head -c 150000 /dev/zero | tr '\\0' b",
      "{ head -c 65535 /dev/zero | tr '\\0' x; printf '\\303\\251'; head -c 150000 /dev/zero | tr '\\0' y; } >&2",
      'echo done > /dev/null',
    ].join('; ');
    const result = await runner.run(web1.target, command, { timeoutMs: 15_000 });
    expect(result.error).toBeUndefined();
    expect(result.exitCode).toBe(0);
    expect(result.truncated).toBe(true);
    expect(result.stdout).toBe('a'.repeat(65535));
    expect(result.stderr).toBe('x'.repeat(65535));
  });

  it('keeps a smaller cap, and does not mark output that fits as truncated', async () => {
    const cut = await runner.run(web1.target, "printf 'ab\\342\\202\\254cd'", { timeoutMs: 10_000, maxOutputBytes: 4 });
    expect(cut).toMatchObject({ exitCode: 0, stdout: 'ab', truncated: true });
    const fits = await runner.run(web1.target, "printf 'ab\\342\\202\\254cd'", { timeoutMs: 10_000, maxOutputBytes: 7 });
    expect(fits).toMatchObject({ exitCode: 0, stdout: 'ab€cd', truncated: false });
  });

  it('runs on three hosts in parallel', async () => {
    const barrier = shareWithLoginUser(mkdtempSync(join(work, 'barrier-')));
    // Each command waits (up to 5 s) until all three have started: run one after the
    // other, the first would give up with exit 9.
    const command = (port: number) =>
      `touch '${barrier}/${port}'; i=0; ` +
      `while [ "$(ls '${barrier}' | wc -l)" -lt 3 ]; do i=$((i+1)); [ $i -gt 100 ] && exit 9; sleep 0.05; done; ` +
      `echo ready on ${port}`;
    const hosts = [web1, web2, web3];
    const results = await Promise.all(hosts.map((h) => runner.run(h.target, command(h.port), { timeoutMs: 15_000 })));
    results.forEach((result, i) => {
      expect(result).toMatchObject({ host: '127.0.0.1', exitCode: 0, stdout: `ready on ${hosts[i]?.port}\n` });
    });
  });

  it("passes the command string to the remote shell as-is (quoting is the caller's job)", async () => {
    const quoted = await runner.run(web1.target, `printf '<%s>' 'two  spaces' "dq\\"uote" $((6*7)) 'semi;colon'`, {
      timeoutMs: 10_000,
    });
    expect(quoted).toMatchObject({ exitCode: 0, stdout: '<two  spaces><dq"uote><42><semi;colon>' });

    // An unquoted "x; touch …" is two commands: the runner adds no quoting of its own.
    const m = marker('as-is');
    const result = await runner.run(web1.target, `echo x; touch ${m.quoted}`, { timeoutMs: 10_000 });
    expect(result).toMatchObject({ exitCode: 0, stdout: 'x\n' });
    expect(existsSync(m.path)).toBe(true);
  });

  it('reports a host that refuses the connection', async () => {
    const port = await freePort();
    const result = await runner.run({ host: '127.0.0.1', port, user: web1.user }, 'true', { timeoutMs: 10_000 });
    expect(result.exitCode).toBeNull();
    expect(result.error).toMatch(new RegExp(`could not connect to 127\\.0\\.0\\.1 port ${port}: .*ECONNREFUSED`));
  });

  it('reports a host that does not accept the key', async () => {
    const stranger = sshRunner(keys.hostPrivateKey, web1.knownHostsLine, log);
    const result = await stranger.run(web1.target, 'true', { timeoutMs: 10_000 });
    expect(result.exitCode).toBeNull();
    expect(result.error).toMatch(/did not accept the bot's SSH key/);
    expect(result.error).toContain(`${web1.user}@127.0.0.1 port ${web1.port}`);
  });

  it('never logs the private key', () => {
    expect(logLines.length).toBeGreaterThan(0);
    const all = logLines.join('\n');
    for (const secret of [keys.userPrivateKey, keys.hostPrivateKey]) {
      for (const line of secret.split('\n').filter((l) => l && !l.startsWith('-----'))) {
        expect(all).not.toContain(line);
      }
    }
  });
});

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
