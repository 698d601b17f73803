/**
 * The rollout runner's health checks between batches, with a scripted round function and
 * the memory stores: how many samples, the failure limit, a no-data pause, the kill switch
 * between samples, and the checks done again after a restart. The same against a real
 * Prometheus and real sshd hosts is in test/integration/fleet-verify.test.ts.
 */
import { describe, expect, it } from 'vitest';
import type { Batch } from '../../src/fleet/rollout.js';
import { runRollout, type BatchRun, type HostOutcome, type Pause, type RolloutDeps, type RolloutSpec } from '../../src/fleet/rollout-runner.js';
import { haltText, renderRunReport } from '../../src/slack/render/fleet-report.js';
import { memoryStores } from '../../src/store/memory/index.js';
import type { SampledRound } from '../../src/timeline/fleet-facts.js';
import type { CheckResult, Round, RoundVerdict } from '../../src/verify/checks.js';

const PLAN: Batch[] = [
  { index: 0, canary: true, hosts: ['web-1'] },
  { index: 1, canary: false, hosts: ['web-2', 'web-3'] },
  { index: 2, canary: false, hosts: ['web-4'] },
];

const VALUES: Record<RoundVerdict, number | undefined> = { pass: 0.01, fail: 0.2, 'no-data': undefined };

function result(verdict: RoundVerdict): CheckResult {
  return {
    check: 'error-rate',
    value: VALUES[verdict],
    threshold: { max: 0.05 },
    verdict,
    ...(verdict === 'no-data' ? { reason: 'the query returned no sample' } : {}),
    query: 'job:errors:ratio',
    graphUrl: 'http://prom:9090/graph?g0.expr=job%3Aerrors%3Aratio&g0.tab=0',
    noData: 'pause',
  };
}

/** What happened, in order: "batch 1" when a batch ran, "round pass" when a round was evaluated. */
class Script {
  readonly events: string[] = [];
  readonly verified: { batch: number; samples: number[] }[] = [];
  paused: Pause | undefined;
  /** Called before each round is answered, e.g. to pause automation. */
  beforeRound: (taken: number) => void = () => {};
  private taken = 0;

  constructor(private readonly verdicts: RoundVerdict[]) {}

  readonly run: BatchRun = async (hosts) => {
    this.events.push(`batch ${PLAN.find((b) => b.hosts.includes(hosts[0] ?? ''))?.index ?? '?'}`);
    return hosts.map((host): HostOutcome => ({ host, ok: true, exitCode: 0, output: 'ok', durationMs: 1 }));
  };

  deps(stores = memoryStores()): RolloutDeps {
    return {
      run: this.run,
      store: stores.fleet,
      pausedBy: async () => this.paused,
      round: async (): Promise<Round> => {
        this.beforeRound(this.taken);
        const verdict = this.verdicts[this.taken] ?? 'pass';
        this.taken += 1;
        this.events.push(`round ${verdict}`);
        return { verdict, results: [result(verdict)], at: '2026-12-02T01:00:00.000Z' };
      },
      onVerified: (batch, rounds) => void this.verified.push({ batch: batch.index + 1, samples: rounds.map((r) => r.sample) }),
    };
  }
}

const spec = (verify: { samples: number; failureLimit: number; intervalMs?: number }, extra: Partial<RolloutSpec> = {}): RolloutSpec => ({
  id: 'r1',
  plan: PLAN,
  command: 'systemctl restart worker',
  timeoutMs: 1_000,
  pauseMs: 0,
  maxFailures: 0,
  verify: { intervalMs: 1, ...verify },
  ...extra,
});

describe('a rollout that verifies its batches', () => {
  it('samples the checks after the canary and after each batch, before the next one starts, and goes on while they pass', async () => {
    const script = new Script([]);
    const end = await runRollout(spec({ samples: 2, failureLimit: 0 }), script.deps());
    expect(end.state).toBe('succeeded');
    expect(script.events).toEqual(['batch 0', 'round pass', 'round pass', 'batch 1', 'round pass', 'round pass', 'batch 2', 'round pass', 'round pass']);
    expect(script.verified).toEqual([
      { batch: 1, samples: [1, 2] },
      { batch: 2, samples: [1, 2] },
      { batch: 3, samples: [1, 2] },
    ]);
  });

  it('waits one interval before each sample, the first included', async () => {
    const script = new Script([]);
    const started = performance.now();
    await runRollout(spec({ samples: 2, failureLimit: 0, intervalMs: 40 }, { plan: PLAN.slice(0, 1) }), script.deps());
    expect(performance.now() - started).toBeGreaterThanOrEqual(75);
  });

  it('tolerates failing samples up to failure_limit, and halts before the next batch on one more, without sampling further', async () => {
    const script = new Script(['fail', 'pass', 'pass', 'fail', 'fail', 'pass']);
    const end = await runRollout(spec({ samples: 3, failureLimit: 1 }), script.deps());
    expect(script.events).toEqual(['batch 0', 'round fail', 'round pass', 'round pass', 'batch 1', 'round fail', 'round fail']);
    expect(end.state).toBe('halted');
    if (end.state !== 'halted') return;
    expect(end.failed).toEqual([]);
    const { reason } = end;
    expect(reason).toMatchObject({ kind: 'checks_failed', verdict: 'fail', failedSamples: 2, batch: 2, of: 3, canary: false, samples: 3, failureLimit: 1 });
    const rounds = reason.kind === 'checks_failed' ? reason.rounds : [];
    expect(rounds.map((r: SampledRound) => [r.sample, r.verdict, r.results[0]?.value])).toEqual([
      [1, 'fail', 0.2],
      [2, 'fail', 0.2],
    ]);
    expect(haltText(reason)).toBe(
      'Halted after batch 2 of 3: health checks failed in 2 of 3 samples, more than failure_limit (1); the next batch did not start.',
    );
    const words = renderRunReport({ kind: 'halted', actionId: '7', reason, failed: [] });
    expect(words).toContain(
      'Sample 2 of 3 (01:00:00 UTC):\n:x: error-rate 0.2, expected <= 0.05 (<http://prom:9090/graph?g0.expr=job%3Aerrors%3Aratio&amp;g0.tab=0|graph>)',
    );
    expect(words).toContain('Continue (approved again)');
    expect(words).not.toContain('Failed hosts');
  });

  it('halts on the first failing sample with failure_limit 0, after the canary: no other host is touched', async () => {
    const script = new Script(['fail']);
    const end = await runRollout(spec({ samples: 3, failureLimit: 0 }), script.deps());
    expect(script.events).toEqual(['batch 0', 'round fail']);
    expect(end.state === 'halted' && end.reason).toMatchObject({ kind: 'checks_failed', verdict: 'fail', batch: 1, canary: true, failedSamples: 1 });
  });

  it('halts at once on a sample with no data for a check whose no_data is pause, and says "no data"', async () => {
    const script = new Script(['pass', 'no-data']);
    const end = await runRollout(spec({ samples: 3, failureLimit: 2 }), script.deps());
    expect(script.events).toEqual(['batch 0', 'round pass', 'round no-data']);
    expect(end.state).toBe('halted');
    if (end.state !== 'halted') return;
    expect(end.reason).toMatchObject({ kind: 'checks_failed', verdict: 'no-data', failedSamples: 0, batch: 1, canary: true });
    expect(haltText(end.reason)).toBe(
      'Halted after the canary (batch 1 of 3): no data for a health check whose no_data is pause, so a person decides; the next batch did not start.',
    );
    expect(renderRunReport({ kind: 'halted', actionId: '7', reason: end.reason, failed: [] })).toContain(
      ':grey_question: error-rate no data: the query returned no sample (waits for a person)',
    );
  });

  it('reads the kill switch before every sample: a pause between samples stops the rollout before the next sample and batch', async () => {
    const script = new Script([]);
    script.beforeRound = (taken) => {
      if (taken === 1) script.paused = { by: 'U0ALICE', reason: 'database maintenance' };
    };
    const end = await runRollout(spec({ samples: 3, failureLimit: 0 }), script.deps());
    // The second round was asked for before the pause was seen; the third never was.
    expect(script.events).toEqual(['batch 0', 'round pass', 'round pass']);
    expect(end).toMatchObject({ state: 'paused', pause: { by: 'U0ALICE', reason: 'database maintenance' } });
  });

  it('stops waiting for a sample when the bot shuts down, even after the last batch, leaving the rollout to be resumed', async () => {
    const script = new Script([]);
    const shutdown = new AbortController();
    const end = await runRollout(spec({ samples: 3, failureLimit: 0, intervalMs: 60_000 }, { plan: PLAN.slice(0, 1) }), {
      ...script.deps(),
      onBatch: () => shutdown.abort(),
      signal: shutdown.signal,
    });
    expect(end.state).toBe('stopped');
    expect(script.events).toEqual(['batch 0']);
  });

  it('verifies the last batch that ran again when a resumed rollout starts, before its next batch', async () => {
    const stores = memoryStores();
    await stores.fleet.record('r1', { host: 'web-1', ok: true, exitCode: 0, output: '', durationMs: 1 });
    const script = new Script(['fail']);
    const end = await runRollout(spec({ samples: 2, failureLimit: 0 }, { resumed: true }), script.deps(stores));
    expect(script.events).toEqual(['round fail']);
    expect(end.state === 'halted' && end.reason).toMatchObject({ kind: 'checks_failed', batch: 1, canary: true });
  });

  it('reports the rounds of checks that held, the last one in full', () => {
    const rounds: SampledRound[] = [
      { sample: 1, verdict: 'fail', results: [result('fail')], at: '2026-12-02T01:00:00.000Z' },
      { sample: 2, verdict: 'pass', results: [result('pass')], at: '2026-12-02T01:00:30.000Z' },
    ];
    const words = renderRunReport({ kind: 'verified', actionId: '7', batch: 1, of: 3, canary: true, rounds, samples: 2, failureLimit: 1, intervalMs: 30_000 });
    expect(words).toBe(
      [
        'Health checks after the canary (batch 1 of 3) held: 1 of 2 samples passed (failure_limit 1).',
        'Sample 1 of 2 (01:00:00 UTC):',
        ':x: error-rate 0.2, expected <= 0.05 (<http://prom:9090/graph?g0.expr=job%3Aerrors%3Aratio&amp;g0.tab=0|graph>)',
        'Sample 2 of 2 (01:00:30 UTC):',
        ':white_check_mark: error-rate 0.01 <= 0.05 (<http://prom:9090/graph?g0.expr=job%3Aerrors%3Aratio&amp;g0.tab=0|graph>)',
      ].join('\n'),
    );
  });
});
