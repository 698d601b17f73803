import { randomUUID } from 'node:crypto';
import { chmod, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Batch } from '../../src/fleet/rollout.js';
import { INTERRUPTED_OUTPUT, perHost, runDryRun, runRollout, type BatchRun, type Pause, type RolloutSpec } from '../../src/fleet/rollout-runner.js';
import { sshHostRun } from '../../src/fleet/ssh-host-run.js';
import { haltText } from '../../src/slack/render/fleet-report.js';
import { RedisFleetStore } from '../../src/store/redis-fleet-store.js';
import { testRedisUrl } from '../support/redis.js';
import { sshRunner, sshTestKeys, startSshd, type SshdHarness } from '../support/sshd.js';

const redis = new Redis(testRedisUrl());
const prefix = `test:${randomUUID()}:`;
const store = new RedisFleetStore(redis, prefix, 60_000);
let good: SshdHarness[] = [];
let failing: SshdHarness;
let run: BatchRun;
let markers: string;

const address = (h: SshdHarness) => `${h.host}:${h.port}`;

beforeAll(async () => {
  const keys = await sshTestKeys();
  good = await Promise.all([startSshd(), startSshd(), startSshd()]);
  failing = await startSshd({ failCommands: true });
  const knownHosts = [...good, failing].map((h) => h.knownHostsLine).join('\n');
  run = perHost(sshHostRun(sshRunner(keys.userPrivateKey, knownHosts, pino({ level: 'silent' })), good[0]!.user));
  markers = await mkdtemp(join(tmpdir(), 'fleet-markers-'));
  // The harness may log in as another user than the one running the tests.
  await chmod(markers, 0o777);
}, 30_000);

afterAll(async () => {
  await Promise.all([...good, failing].map((h) => h?.stop()));
  const keys = await redis.keys(`${prefix}*`);
  if (keys.length > 0) await redis.del(...keys);
  redis.disconnect();
  await rm(markers, { recursive: true, force: true });
});

/** Every harness sshd runs on this machine, so each host appends its address to a shared file: the file tells which hosts ran, and how often. */
function spec(id: string, plan: Batch[], maxFailures = 0): RolloutSpec {
  return { id, plan, command: `echo "$SSH_CONNECTION" | awk '{print $4}' >> ${join(markers, id)}`, timeoutMs: 10_000, pauseMs: 0, maxFailures };
}

async function portsThatRan(id: string): Promise<number[]> {
  const text = await readFile(join(markers, id), 'utf8').catch(() => '');
  return text.split('\n').filter(Boolean).map(Number).sort();
}

const batch = (index: number, hosts: SshdHarness[], canary = false): Batch => ({ index, canary, hosts: hosts.map(address) });
const ports = (hosts: SshdHarness[]) => hosts.map((h) => h.port).sort();
const notPaused = async () => undefined;

describe('fleet rollout over real sshd hosts', () => {
  it('dry-runs on every target, then runs canary and batches, each host once', async () => {
    const dry = await runDryRun(good.map(address), 'df -P / | tail -n 1', 10_000, run);
    expect(dry.map((o) => o.ok)).toEqual([true, true, true]);
    expect(dry[0]?.output).toMatch(/\d+%/);

    const batches: Batch[][] = [];
    const end = await runRollout(spec('apply', [batch(0, [good[0]!], true), batch(1, [good[1]!, good[2]!])]), {
      run,
      store,
      pausedBy: notPaused,
      onBatch: (b) => void batches.push([b]),
    });
    expect(end.state).toBe('succeeded');
    expect(batches).toHaveLength(2);
    expect(await portsThatRan('apply')).toEqual(ports(good));
    expect((await store.results('apply')).every((o) => o.ok)).toBe(true);
  });

  it('stops everything when the canary fails', async () => {
    const end = await runRollout(spec('canary', [batch(0, [failing], true), batch(1, good)]), { run, store, pausedBy: notPaused });
    expect(end.state).toBe('halted');
    expect(end.state === 'halted' && end.reason).toEqual({ kind: 'canary_failed', failures: 1 });
    expect(end.state === 'halted' && end.failed.map((o) => o.host)).toEqual([address(failing)]);
    expect(await portsThatRan('canary')).toEqual([]);
  });

  it('halts after a batch whose failures exceed max_failures, naming the failed hosts with their output', async () => {
    const end = await runRollout(spec('batch', [batch(0, [good[0]!], true), batch(1, [good[1]!, failing]), batch(2, [good[2]!])], 0), {
      run,
      store,
      pausedBy: notPaused,
    });
    expect(end.state).toBe('halted');
    expect(end.state === 'halted' && end.reason).toEqual({ kind: 'too_many_failures', batch: 2, failures: 1, maxFailures: 0 });
    const failed = end.state === 'halted' ? end.failed : [];
    expect(failed.map((o) => o.host)).toEqual([address(failing)]);
    expect(failed[0]?.output).toContain('failCommands is set');
    expect(await portsThatRan('batch')).toEqual(ports([good[0]!, good[1]!]));
  });

  it('tolerates failures up to max_failures', async () => {
    const end = await runRollout(spec('tolerant', [batch(0, [good[0]!], true), batch(1, [failing, good[1]!])], 1), { run, store, pausedBy: notPaused });
    expect(end.state).toBe('succeeded');
  });

  it('checks the kill switch between batches, and a resumed rollout skips the hosts that succeeded', async () => {
    let paused: Pause | undefined;
    const plan = [batch(0, [good[0]!], true), batch(1, [good[1]!]), batch(2, [good[2]!])];
    const first = await runRollout(spec('resume', plan), {
      run,
      store,
      pausedBy: async () => paused,
      onBatch: () => {
        paused = { by: 'U0ALICE', reason: 'database maintenance' };
      },
    });
    expect(first.state).toBe('paused');
    expect(first.state === 'paused' && first.pause).toEqual({ by: 'U0ALICE', reason: 'database maintenance' });
    expect(await portsThatRan('resume')).toEqual([good[0]!.port]);

    paused = undefined;
    const second = await runRollout(spec('resume', plan), { run, store, pausedBy: notPaused });
    expect(second.state).toBe('succeeded');
    expect(await portsThatRan('resume')).toEqual(ports(good));
  });

  it('halts at once on a resumed rollout whose host was cut short, and runs nothing until a person continues', async () => {
    const plan = [batch(0, [good[0]!], true), batch(1, [good[1]!, good[2]!])];
    // The bot died after marking web-2 and web-3 started: one of them finished, one did not.
    await store.record('cut', { host: address(good[0]!), ok: true, exitCode: 0, output: '', durationMs: 1 });
    await store.started('cut', [address(good[1]!), address(good[2]!)]);
    await store.record('cut', { host: address(good[2]!), ok: true, exitCode: 0, output: '', durationMs: 1 });

    const end = await runRollout({ ...spec('cut', plan), resumed: true }, { run, store, pausedBy: notPaused });
    expect(end.state).toBe('halted');
    expect(end.state === 'halted' && end.reason).toEqual({ kind: 'interrupted', hosts: [address(good[1]!)] });
    expect(end.state === 'halted' && haltText(end.reason)).toContain(`the bot restarted while ${address(good[1]!)} ran`);
    expect(end.state === 'halted' && end.failed.map((o) => o.output)).toEqual([INTERRUPTED_OUTPUT]);
    expect(await portsThatRan('cut')).toEqual([]);
    expect(await store.unfinished('cut')).toEqual([]);

    // Continued (a new approval): the cut-short host runs again, the others do not.
    const next = await runRollout(spec('cut', plan), { run, store, pausedBy: notPaused });
    expect(next.state).toBe('succeeded');
    expect(await portsThatRan('cut')).toEqual([good[1]!.port]);
  });
});
