/**
 * Child-process plumbing shared by the test harnesses that run a real server
 * binary (redis.ts: redis-server, alertmanager.ts: prometheus-alertmanager).
 *
 * Both need the same things, so they live here once:
 *   - finding the binary on PATH and a free loopback port for it,
 *   - spawning it in a temp dir while keeping the tail of its output, so a
 *     failed start can say what the server printed,
 *   - stopping it (SIGTERM, then SIGKILL) and removing the temp dir, also when
 *     the test process goes away without running the teardown.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants as fsConstants, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { delimiter, join } from 'node:path';

/** How a child process ended, as reported by its 'exit' event. */
export interface ChildExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** A server process started by spawnTracked(). */
export interface TrackedChild {
  child: ChildProcess;
  /** Resolves once the process has exited (or failed to spawn). */
  exited: Promise<ChildExit>;
  /**
   * How the process ended, or undefined while it runs. Synchronous, so that a
   * readiness poll can stop early when the server has died instead of waiting
   * for its whole timeout.
   */
  exitInfo(): ChildExit | undefined;
  /** The last lines of stdout and stderr together, or '(no output)'. */
  output(): string;
  /** Stops the process and removes its temp dir. Safe to call twice. */
  stop(): Promise<void>;
}

export interface SpawnTrackedOptions {
  /**
   * Temp dir created by the caller for this process: it is the child's cwd,
   * and it is removed by stop() or when the test process exits.
   */
  dir: string;
  /** How many output lines to keep in memory. */
  keepLines: number;
  /** How many of the last lines output() returns. */
  tailLines: number;
  /** How long stop() waits after SIGTERM before it sends SIGKILL. Default 5000. */
  stopTimeoutMs?: number;
  /** The child's whole environment; the test process's own when unset. */
  env?: NodeJS.ProcessEnv;
}

const DEFAULT_STOP_TIMEOUT_MS = 5000;

/**
 * Spawns `binary` in `opts.dir` with its output captured, and registers it so
 * it is killed (and the dir removed) if this process exits before stop().
 */
export function spawnTracked(binary: string, args: string[], opts: SpawnTrackedOptions): TrackedChild {
  const { dir } = opts;
  const child = spawn(binary, args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'], ...(opts.env ? { env: opts.env } : {}) });
  const output = captureOutput(child, opts.keepLines, opts.tailLines);
  const exited = exitPromise(child);
  let exitInfo: ChildExit | undefined;
  void exited.then((info) => {
    exitInfo = info;
  });
  const untrack = trackChild(child, dir);

  // Memoised: the startup error path and the caller's teardown may both stop it.
  let stopped: Promise<void> | undefined;
  const stop = () => {
    stopped ??= (async () => {
      await stopChild(child, exited, opts.stopTimeoutMs ?? DEFAULT_STOP_TIMEOUT_MS);
      untrack();
      rmSync(dir, { recursive: true, force: true });
    })();
    return stopped;
  };

  return { child, exited, exitInfo: () => exitInfo, output, stop };
}

export function isExecutable(file: string): boolean {
  try {
    accessSync(file, fsConstants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Full path of the first executable `name` on PATH, or undefined. */
export function findExecutable(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, name);
    if (isExecutable(candidate)) return candidate;
  }
  return undefined;
}

/**
 * A loopback port that was free a moment ago: found by binding port 0 and
 * closing it, so another process can take it before the server binds it.
 * Callers retry on "address already in use".
 */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const address = srv.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      srv.close(() => (port ? resolve(port) : reject(new Error('could not allocate a port'))));
    });
  });
}

/**
 * Keeps the last `keepLines` non-blank lines of the child's stdout and stderr;
 * the returned function gives the last `tailLines` of them. Chunks do not end
 * on line boundaries, so an unfinished line is held back until its newline
 * arrives, and shown as the last line if the output stops there (a server that
 * dies mid-line often printed its reason in that line).
 */
function captureOutput(child: ChildProcess, keepLines: number, tailLines: number): () => string {
  const lines: string[] = [];
  let partial = '';
  const push = (chunk: Buffer) => {
    const parts = (partial + chunk.toString('utf8')).split('\n');
    partial = parts.pop() ?? '';
    for (const line of parts) if (line.trim()) lines.push(line);
    if (lines.length > keepLines) lines.splice(0, lines.length - keepLines);
  };
  child.stdout?.on('data', push);
  child.stderr?.on('data', push);
  child.on('error', (err) => lines.push(`spawn error: ${err.message}`));
  return () => {
    const tail = lines.slice(-tailLines);
    if (partial.trim()) tail.push(partial);
    return tail.join('\n') || '(no output)';
  };
}

// Children still running are killed if this process goes away without running
// the teardown (their temp dir is removed too): on 'exit', and on SIGTERM/SIGINT/SIGHUP (vitest stops its fork
// workers with SIGTERM, which skips 'exit' handlers). After killing them, the
// signal is re-raised if nobody else handles it, so the default action applies.
// One registry for all harnesses, so a process running several servers installs
// one set of hooks.
const liveChildren = new Map<ChildProcess, string>(); // child -> its temp dir
const EXIT_SIGNALS = ['SIGTERM', 'SIGINT', 'SIGHUP'] as const;

function killLiveChildren(): void {
  for (const [child, dir] of liveChildren) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
  liveChildren.clear();
}

function onExitSignal(signal: NodeJS.Signals): void {
  killLiveChildren();
  removeExitHooks();
  if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
}

function installExitHooks(): void {
  process.on('exit', killLiveChildren);
  for (const signal of EXIT_SIGNALS) process.on(signal, onExitSignal);
}

// Removed again when the last child is untracked: a signal listener left behind
// would swallow SIGTERM/SIGINT for the rest of the process's life.
function removeExitHooks(): void {
  process.removeListener('exit', killLiveChildren);
  for (const signal of EXIT_SIGNALS) process.removeListener(signal, onExitSignal);
}

function trackChild(child: ChildProcess, dir: string): () => void {
  if (liveChildren.size === 0) installExitHooks();
  liveChildren.set(child, dir);
  return () => {
    if (liveChildren.delete(child) && liveChildren.size === 0) removeExitHooks();
  };
}

function exitPromise(child: ChildProcess): Promise<ChildExit> {
  return new Promise((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
    // A failed spawn emits 'error' and may never emit 'exit'.
    child.once('error', () => resolve({ code: child.exitCode, signal: child.signalCode }));
  });
}

/** SIGTERM, then SIGKILL if the child has not exited within `timeoutMs`. */
async function stopChild(child: ChildProcess, exited: Promise<ChildExit>, timeoutMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  child.kill('SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  const timedOut = await Promise.race([
    exited.then(() => false),
    new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(true), timeoutMs);
    }),
  ]);
  if (timer) clearTimeout(timer);
  if (timedOut) {
    child.kill('SIGKILL');
    await exited;
  }
}

/** A one-line description of a thrown value, for failure messages. */
export function errorMessage(err: unknown): string {
  // A connection to a host name with several addresses (localhost: ::1 and
  // 127.0.0.1) fails with an AggregateError whose own message is empty; its
  // parts say what went wrong.
  if (err instanceof AggregateError && err.errors.length) {
    return err.errors.map((e) => errorMessage(e)).join('; ');
  }
  if (err instanceof Error) {
    const message = err.message || err.name;
    // fetch() hides the useful part (ECONNREFUSED, …) in `cause`. Left out when
    // the message already quotes it (waitFor's "last error: …", for one).
    const cause = err.cause instanceof Error ? err.cause : undefined;
    return cause && !(cause.message && message.includes(cause.message)) ? `${message} (${errorMessage(cause)})` : message;
  }
  return String(err);
}
