/**
 * The bot run as an operator runs it: `src/main.ts` in a process of its own, configured by
 * its environment, logging to stdout, stopping on SIGTERM as main.ts does. For tests of
 * what survives a process going away: a SIGKILL, a SIGTERM in the middle of work, or the
 * Redis under it dying.
 *
 *   const bot = await startBotProcess({ slack, prefix, redisUrl, env });
 *   await bot.postWebhook(body);
 *   await bot.signal('SIGTERM');        // resolves once the process has exited
 *   bot.logs                            // every log line it printed, parsed
 */
import { mkdtemp } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { ALERTMANAGER_TOKEN, testBotEnv, type TestBotOptions } from './bot.js';
import { freePort, spawnTracked, type ChildExit } from './child-process.js';
import { waitFor } from './wait.js';

export interface BotProcess {
  url: string;
  prefix: string;
  /** Every JSON log line the process printed so far. */
  logs: Array<Record<string, unknown>>;
  postWebhook(body: unknown): Promise<Response>;
  /** Sends `signal` and resolves with how the process ended. */
  signal(signal: NodeJS.Signals): Promise<ChildExit>;
  /** The last lines it printed, for failure messages. */
  output(): string;
  /** Stops it (SIGTERM, then SIGKILL) and removes its temp dir. Safe to call twice. */
  stop(): Promise<void>;
}

/** Starting takes a few seconds (tsx compiles the sources), far more on a loaded machine. */
const READY_TIMEOUT_MS = 40_000;

export async function startBotProcess(options: TestBotOptions & { prefix: string; redisUrl: string }): Promise<BotProcess> {
  const dir = await mkdtemp(join(tmpdir(), 'chatops-bot-main-'));
  const port = await freePort();
  const env = await testBotEnv(dir, { ...options, env: { ...options.env, PORT: String(port) } }, options.prefix);
  const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
  const main = fileURLToPath(new URL('../../src/main.ts', import.meta.url));
  // Only what the bot is given: nothing of the test process's environment (REDIS_URL, say) leaks in.
  const child = spawnTracked(process.execPath, ['--import', tsx, main], {
    dir,
    keepLines: 400,
    tailLines: 40,
    env: { PATH: process.env.PATH ?? '', ...env },
    stopTimeoutMs: 30_000,
  });
  const logs: Array<Record<string, unknown>> = [];
  let partial = '';
  child.child.stdout?.on('data', (chunk: Buffer) => {
    const lines = (partial + chunk.toString('utf8')).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) {
      if (!line.startsWith('{')) continue;
      try {
        logs.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        // A line that is not a log line (a stack trace, say) stays in output() only.
      }
    }
  });
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitFor(
      async () => {
        if (child.exitInfo()) throw new Error('the bot process exited');
        const res = await fetch(`${url}/healthz`).catch(() => undefined);
        await res?.body?.cancel();
        return res?.status === 200;
      },
      { timeoutMs: READY_TIMEOUT_MS, message: 'the bot process never answered /healthz' },
    );
  } catch (error) {
    await child.stop();
    throw new Error(`${(error as Error).message}\n${child.output()}`, { cause: error });
  }
  return {
    url,
    prefix: options.prefix,
    logs,
    postWebhook: (body) =>
      fetch(`${url}/alertmanager`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${ALERTMANAGER_TOKEN}` },
        body: JSON.stringify(body),
      }),
    signal: async (signal) => {
      child.child.kill(signal);
      return child.exited;
    },
    output: child.output,
    stop: child.stop,
  };
}
