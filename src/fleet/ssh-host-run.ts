import type { HostOutcome, HostRun } from './rollout-runner.js';
import type { SshRunner } from './ssh-runner.js';

/** "web-1", "web-1:2222" or "[::1]:2222" into a host and a port. */
export function parseHostAddress(address: string): { host: string; port: number } {
  const bracketed = /^\[(.+)\](?::(\d+))?$/.exec(address);
  if (bracketed) return { host: bracketed[1] ?? address, port: Number(bracketed[2] ?? 22) };
  const [host = address, port] = address.split(':');
  return address.split(':').length === 2 ? { host, port: Number(port) } : { host: address, port: 22 };
}

/** Fleet hosts over SSH: a host succeeds when its command exits 0. */
export function sshHostRun(runner: SshRunner, user: string): HostRun {
  return async (address, command, timeoutMs): Promise<HostOutcome> => {
    const result = await runner.run({ ...parseHostAddress(address), user }, command, { timeoutMs });
    const output = [result.stdout, result.stderr, result.error ?? ''].filter(Boolean).join('\n').trimEnd();
    return {
      host: address,
      ok: result.exitCode === 0,
      exitCode: result.exitCode,
      output: result.truncated ? `${output}\n(output truncated)` : output,
      durationMs: result.durationMs,
    };
  };
}
