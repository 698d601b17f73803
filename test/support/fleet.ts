/**
 * A fleet for tests that go through the whole bot: real sshd hosts on loopback (see
 * sshd.ts), the bot's key and known_hosts files, a runbooks folder, and a scratch folder
 * standing for each host's disk.
 *
 * Every harness sshd runs on this machine, so a host tells itself apart by the port it
 * was reached on ($SSH_CONNECTION): a host's own folder is `<scratch>/<its port>`, which a
 * command writes `"<scratch>/${HOST_DIR}"`, and each host name maps to one folder (`dirOf`).
 */
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sshTestKeys, startSshd, type SshdHarness } from './sshd.js';

/** Shell text giving the port a command's host was reached on, its folder's name under the scratch folder; use it inside double quotes. */
export const HOST_DIR = '$(echo "$SSH_CONNECTION" | cut -d" " -f4)';

export interface Fleet {
  /** Host names web-1 … web-N, in order. */
  names: string[];
  hosts: Map<string, SshdHarness>;
  /** The scratch folder; a host's folder is `<scratch>/<its port>`. */
  scratch: string;
  runbooksDir: string;
  /** SSH_* and RUNBOOKS_DIR for the bot. */
  env: Record<string, string>;
  /** The services.yaml `hosts:` entries of these hosts, indented for a service. */
  hostEntries(names?: readonly string[]): string;
  dirOf(name: string): string;
  writeRunbook(file: string, yaml: string): Promise<void>;
  /** How many lines each host appended to `<its folder>/<file>`; hosts that never did are left out. */
  runsOf(file: string): Promise<Record<string, number>>;
  stop(): Promise<void>;
}

export async function startFleet(count: number): Promise<Fleet> {
  const keys = await sshTestKeys();
  const harnesses = await Promise.all(Array.from({ length: count }, () => startSshd()));
  const dir = await mkdtemp(join(tmpdir(), 'chatops-fleet-'));
  const scratch = join(dir, 'hosts');
  const runbooksDir = join(dir, 'runbooks');
  await mkdir(runbooksDir);
  await mkdir(scratch);
  const names = harnesses.map((_h, i) => `web-${i + 1}`);
  const hosts = new Map(names.map((name, i) => [name, harnesses[i] as SshdHarness]));
  for (const h of harnesses) await mkdir(join(scratch, String(h.port)));
  // The hosts may log in as another user than the one running the tests.
  await chmod(dir, 0o755);
  await chmod(scratch, 0o777);
  for (const h of harnesses) await chmod(join(scratch, String(h.port)), 0o777);
  const keyFile = join(dir, 'id_ed25519');
  await writeFile(keyFile, keys.userPrivateKey, { mode: 0o600 });
  const knownHostsFile = join(dir, 'known_hosts');
  await writeFile(knownHostsFile, `${harnesses.map((h) => h.knownHostsLine).join('\n')}\n`);
  const dirOf = (name: string) => {
    const h = hosts.get(name);
    if (!h) throw new Error(`no host ${name} in this fleet`);
    return join(scratch, String(h.port));
  };
  return {
    names,
    hosts,
    scratch,
    runbooksDir,
    env: {
      SSH_PRIVATE_KEY_FILE: keyFile,
      SSH_KNOWN_HOSTS_FILE: knownHostsFile,
      SSH_USER: harnesses[0]?.user ?? 'chatops',
      RUNBOOKS_DIR: runbooksDir,
    },
    hostEntries: (only = names) => only.map((name) => `      - { name: ${name}, address: "127.0.0.1:${hosts.get(name)?.port}" }`).join('\n'),
    dirOf,
    writeRunbook: (file, yaml) => writeFile(join(runbooksDir, file), yaml),
    runsOf: async (file) => {
      const runs: Record<string, number> = {};
      for (const name of names) {
        const text = await readFile(join(dirOf(name), file), 'utf8').catch(() => '');
        const count = text.split('\n').filter(Boolean).length;
        if (count > 0) runs[name] = count;
      }
      return runs;
    },
    stop: async () => {
      await Promise.all(harnesses.map((h) => h.stop()));
      await rm(dir, { recursive: true, force: true });
    },
  };
}
