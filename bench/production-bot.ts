/**
 * The bot as production runs it: compiled JavaScript under plain node, with the command
 * line of the Dockerfile's CMD (`npm start` runs the same), configured by its environment
 * and NODE_ENV=production as the image sets it. A bench that measures the process itself
 * (its RSS) runs this one: under tsx the loader's thread and the compiler would count,
 * which no deployment carries.
 */
import { execFile, spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { sleep } from './support.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const START_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 15_000;

export interface ProcessMemory {
  /** Resident now. */
  rssMb: number;
  /** The most the process was ever resident (VmHWM). */
  peakRssMb: number;
}

export interface ProductionBot {
  url: string;
  pid: number;
  memory(): Promise<ProcessMemory>;
  stop(): Promise<void>;
}

/** Compiles src/ to dist/ exactly as `npm run build` does. */
export async function buildBot(): Promise<void> {
  await promisify(execFile)(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-b', 'tsconfig.build.json'], { cwd: ROOT });
}

/** The node flags of the Dockerfile's CMD (`CMD ["node", ...flags, "dist/src/main.js"]`). */
export async function productionNodeFlags(): Promise<string[]> {
  const dockerfile = await readFile(join(ROOT, 'Dockerfile'), 'utf8');
  const cmd = /^CMD (\[.*\])\s*$/m.exec(dockerfile)?.[1];
  const argv = cmd ? (JSON.parse(cmd) as string[]) : [];
  if (argv[0] !== 'node' || argv.at(-1) !== 'dist/src/main.js') throw new Error(`the Dockerfile's CMD is not node ... dist/src/main.js: ${cmd}`);
  return argv.slice(1, -1);
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (!address || typeof address === 'string') throw new Error('no free port');
  return address.port;
}

async function readMemory(pid: number): Promise<ProcessMemory> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const mb = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1] ?? Number.NaN) / 1024;
  return { rssMb: mb('VmRSS'), peakRssMb: mb('VmHWM') };
}

/**
 * Starts the bot (built by `buildBot`) in `cwd` as the Dockerfile does, with `env` only;
 * resolves once /healthz answers. BENCH_NODE_ARGS adds node flags for digging into a run
 * (e.g. `--heapsnapshot-signal=SIGUSR2`, `--cpu-prof`).
 */
export async function startProductionBot(env: Record<string, string>, cwd: string): Promise<ProductionBot> {
  const port = await freePort();
  const extra = process.env.BENCH_NODE_ARGS?.split(' ').filter(Boolean) ?? [];
  const child = spawn(process.execPath, [...extra, ...(await productionNodeFlags()), join(ROOT, 'dist/src/main.js')], {
    cwd,
    env: { ...env, NODE_ENV: 'production', PORT: String(port), PATH: process.env.PATH ?? '' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const killOnExit = () => child.kill('SIGKILL');
  process.on('exit', killOnExit);
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + START_TIMEOUT_MS;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the bot exited with code ${child.exitCode} before it answered /healthz`);
    const ok = await fetch(`${url}/healthz`).then(
      (res) => res.ok,
      () => false,
    );
    if (ok) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`the bot did not answer /healthz within ${START_TIMEOUT_MS} ms`);
    }
    await sleep(100);
  }
  const pid = child.pid ?? 0;
  return {
    url,
    pid,
    memory: () => readMemory(pid),
    stop: async () => {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
      await exited;
      clearTimeout(timer);
      process.off('exit', killOnExit);
    },
  };
}
