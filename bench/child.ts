/**
 * Runs a server under test in its own Node process, so that the load generator (and the
 * Slack fake) never share its event loop. Parent and child talk over the fork IPC channel:
 *
 *   parent -> child  { type: 'start', config }     child starts, answers { type: 'ready', port }
 *   parent -> child  { type: 'stop' }              child stops, answers { type: 'stopped', report }
 *
 * The child inherits the parent's execArgv, so when the parent runs under tsx the child
 * can be a .ts file too.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** What a child says about itself when it stops (e.g. how many log lines per level). */
export interface ChildReport {
  logLines: Record<string, number>;
  /** A few distinct log messages worth showing, with how often each was written. */
  samples: Array<{ level: string; msg: string; count: number }>;
}

type ToChild = { type: 'start'; config: unknown } | { type: 'stop' };
type FromChild = { type: 'ready'; port: number } | { type: 'stopped'; report: ChildReport } | { type: 'failed'; error: string };

export interface BenchChild {
  url: string;
  pid: number | undefined;
  stop(): Promise<ChildReport | undefined>;
}

const START_TIMEOUT_MS = 20_000;
const STOP_TIMEOUT_MS = 15_000;
const EXIT_GRACE_MS = 5_000;

function nextMessage(child: ChildProcess, type: FromChild['type'], timeoutMs: number): Promise<FromChild> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => done(new Error(`child ${child.pid} sent no '${type}' within ${timeoutMs} ms`)), timeoutMs);
    const onMessage = (message: FromChild) => {
      if (message.type === 'failed') done(new Error(`child ${child.pid} failed: ${message.error}`));
      else if (message.type === type) done(undefined, message);
    };
    const onExit = (code: number | null) => done(new Error(`child ${child.pid} exited (code ${code}) before '${type}'`));
    function done(error?: Error, message?: FromChild) {
      clearTimeout(timer);
      child.off('message', onMessage);
      child.off('exit', onExit);
      if (error) reject(error);
      else resolve(message as FromChild);
    }
    child.on('message', onMessage);
    child.once('exit', onExit);
  });
}

/** Forks `script` (a path relative to this folder), hands it `config`, waits for its port. */
export async function startChild(script: string, config: unknown): Promise<BenchChild> {
  const child = fork(fileURLToPath(new URL(script, import.meta.url)), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  // Never leave a server behind if this process dies first.
  const killOnExit = () => child.kill('SIGKILL');
  process.on('exit', killOnExit);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  try {
    const ready = nextMessage(child, 'ready', START_TIMEOUT_MS);
    child.send({ type: 'start', config } satisfies ToChild);
    const { port } = (await ready) as Extract<FromChild, { type: 'ready' }>;
    return {
      url: `http://127.0.0.1:${port}`,
      pid: child.pid,
      stop: async () => {
        let report: ChildReport | undefined;
        if (child.connected) {
          const stopped = nextMessage(child, 'stopped', STOP_TIMEOUT_MS);
          child.send({ type: 'stop' } satisfies ToChild);
          report = ((await stopped.catch(() => undefined)) as Extract<FromChild, { type: 'stopped' }> | undefined)?.report;
        }
        // The child exits by itself after 'stopped'; force it only if it hangs.
        const timer = setTimeout(() => child.kill('SIGKILL'), EXIT_GRACE_MS);
        await exited;
        clearTimeout(timer);
        process.off('exit', killOnExit);
        return report;
      },
    };
  } catch (error) {
    child.kill('SIGKILL');
    process.off('exit', killOnExit);
    throw error;
  }
}

/** Child side: wires the IPC protocol around a start function. */
export function serveChild<C>(start: (config: C) => Promise<{ port: number; stop: () => Promise<ChildReport> }>): void {
  const send = (message: FromChild) => process.send?.(message);
  // The parent went away: nothing will ever ask this process to stop.
  process.on('disconnect', () => process.exit(1));
  let running: { stop: () => Promise<ChildReport> } | undefined;
  process.on('message', (message: ToChild) => {
    if (message.type === 'start') {
      start(message.config as C)
        .then((started) => {
          running = started;
          send({ type: 'ready', port: started.port });
        })
        .catch((error: unknown) => {
          send({ type: 'failed', error: error instanceof Error ? error.message : String(error) });
          process.exit(1);
        });
    } else if (message.type === 'stop') {
      const stopping = running ? running.stop() : Promise.resolve({ logLines: {}, samples: [] });
      stopping
        .then((report) => send({ type: 'stopped', report }))
        .catch((error: unknown) => send({ type: 'failed', error: error instanceof Error ? error.message : String(error) }))
        // Exit explicitly: timers left behind (e.g. Slack retries after a drain timeout) would keep the process alive.
        .finally(() => setTimeout(() => process.exit(0), 50));
    }
  });
}

/** Counts log lines by level and keeps the distinct messages; a pino destination for benches. */
export class LogTally {
  private readonly levels: Record<string, number> = {};
  private readonly messages = new Map<string, { level: string; msg: string; count: number }>();

  write(chunk: string): void {
    for (const line of chunk.split('\n')) {
      if (!line.trim()) continue;
      let parsed: { level?: unknown; msg?: unknown };
      try {
        parsed = JSON.parse(line) as { level?: unknown; msg?: unknown };
      } catch {
        parsed = { level: 'unparsed', msg: line.slice(0, 200) };
      }
      const level = String(parsed.level ?? 'unknown');
      const msg = String(parsed.msg ?? '');
      this.levels[level] = (this.levels[level] ?? 0) + 1;
      const key = `${level}\u0000${msg}`;
      const seen = this.messages.get(key);
      if (seen) seen.count += 1;
      else if (this.messages.size < 20) this.messages.set(key, { level, msg, count: 1 });
    }
  }

  report(): ChildReport {
    return { logLines: { ...this.levels }, samples: [...this.messages.values()] };
  }
}
