/**
 * What a fleet run found, as facts (src/timeline/fleet-facts.ts) and in the words
 * src/slack/render/fleet-report.ts writes of them.
 */
import { describe, expect, it } from 'vitest';
import {
  fleetEndText,
  haltText,
  hostDetail,
  hostDetails,
  rehearsalFailureHeadline,
  rehearsalSummary,
  renderRunReport,
} from '../../src/slack/render/fleet-report.js';
import { rehearsalBrief, STORED_OUTPUT_MAX, storedHostResult, type HostResult } from '../../src/timeline/fleet-facts.js';

const outcome = (host: string, ok = true, output = 'done'): HostResult => ({ host, ok, exitCode: ok ? 0 : 2, output, durationMs: 1234 });

describe('host results as stored', () => {
  it('keep a short output whole, without trailing whitespace', () => {
    expect(storedHostResult(outcome('web-1', true, 'freed 2G\n\n'))).toEqual({ host: 'web-1', ok: true, exitCode: 0, output: 'freed 2G', durationMs: 1234 });
  });

  it('cut a long output to a bounded size, and say how long it was', () => {
    const stored = storedHostResult(outcome('web-1', false, `${'x'.repeat(5000)}\n`));
    expect(stored.output).toBe('x'.repeat(STORED_OUTPUT_MAX));
    expect(stored.outputChars).toBe(5000);
  });

  it('read the same whether cut for storage or not', () => {
    const long = outcome('web-1', true, 'x'.repeat(900));
    expect(hostDetail(storedHostResult(long))).toBe(hostDetail(long));
    expect(hostDetail(storedHostResult(outcome('web-1', true, 'y'.repeat(5000))))).toContain('… (cut; 5000 characters)');
  });
});

describe('fleet reports', () => {
  it('shows a host’s output in a code block its own backticks cannot close, cut when long', () => {
    expect(hostDetail(outcome('web-1', false, 'a ``` b'))).toBe("• web-1 FAILED (exit 2), 1.2s\n```a ''' b```");
    expect(hostDetail(outcome('web-1', true, 'x'.repeat(900)))).toContain('… (cut; 900 characters)');
    expect(hostDetail(outcome('web-1', true, '  '))).toContain('(no output)');
  });

  it('details failures first, and only the first 20 hosts, naming the rest', () => {
    const many = [...Array.from({ length: 24 }, (_, i) => outcome(`web-${i + 1}`)), outcome('db-1', false, 'disk full')];
    const text = hostDetails(many);
    expect(text.startsWith('• db-1 FAILED (exit 2)')).toBe(true);
    expect(text.match(/```/g)).toHaveLength(40);
    expect(text).toMatch(/… and 5 more host\(s\): web-20 ok, web-21 ok, web-22 ok, web-23 ok, web-24 ok$/);
  });

  it('names the batch and shows output only for failed hosts', () => {
    expect(renderRunReport({ kind: 'batch_ran', actionId: '7', batch: 1, of: 3, canary: true, hosts: [outcome('web-1')] })).toBe(
      'Canary (batch 1 of 3): web-1 ok',
    );
    expect(
      renderRunReport({ kind: 'batch_ran', actionId: '7', batch: 3, of: 3, canary: false, hosts: [outcome('web-3', false, 'no space'), outcome('web-4')] }),
    ).toBe('Batch 3 of 3: web-3 FAILED (exit 2), web-4 ok\n• web-3 FAILED (exit 2), 1.2s\n```no space```');
  });

  it('says why a rollout halted, with the failed hosts’ output and what may follow', () => {
    expect(
      renderRunReport({ kind: 'halted', actionId: '7', reason: { kind: 'canary_failed', failures: 1 }, failed: [outcome('web-1', false, 'no space')] }),
    ).toBe(
      'Halted: the canary batch failed on 1 host; no other host was touched.\nFailed hosts:\n• web-1 FAILED (exit 2), 1.2s\n```no space```\nContinue (approved again) runs the hosts without a success; Abort ends it here.',
    );
    expect(haltText({ kind: 'too_many_failures', batch: 3, failures: 2, maxFailures: 1 })).toBe(
      'Halted after batch 3: 2 hosts failed, more than max_failures (1).',
    );
    expect(haltText({ kind: 'interrupted', hosts: ['web-1'] })).toBe('Halted: the bot restarted while web-1 ran; check it before continuing.');
    expect(haltText({ kind: 'interrupted', hosts: ['web-1', 'web-2'] })).toBe(
      'Halted: the bot restarted while web-1, web-2 ran; check them before continuing.',
    );
  });

  it('says how a rollout ended', () => {
    expect(fleetEndText({ kind: 'fleet_succeeded', hosts: 3, skipped: 0 })).toBe('all 3 host(s) succeeded');
    expect(fleetEndText({ kind: 'fleet_succeeded', hosts: 4, skipped: 3 })).toBe('all 4 host(s) succeeded (3 had already succeeded and were skipped)');
    expect(fleetEndText({ kind: 'fleet_halted', reason: { kind: 'canary_failed', failures: 1 }, failed: ['web-1'] })).toBe(
      'Halted: the canary batch failed on 1 host; no other host was touched. Failed: web-1.',
    );
    expect(fleetEndText({ kind: 'fleet_paused', pauseReason: 'disk maintenance' })).toBe('stopped before the next batch: automation paused (disk maintenance)');
  });

  it('says which hosts failed within max_failures, with their exits; an end stored without them reads as before', () => {
    const failed = [
      { host: 'web-2', exitCode: 7 },
      { host: 'web-5', exitCode: null },
    ];
    expect(fleetEndText({ kind: 'fleet_succeeded', hosts: 5, skipped: 1, failed })).toBe(
      '3 of 5 host(s) succeeded (1 had already succeeded and were skipped); 2 FAILED, within max_failures: web-2 (exit 7), web-5 (no exit code)',
    );
    expect(fleetEndText({ kind: 'fleet_succeeded', hosts: 5, skipped: 0, failed: [] })).toBe('all 5 host(s) succeeded');
  });

  it('keeps why each host failed its dry run, in brief, and names the hosts a continued plan skipped', () => {
    const long = `${'x'.repeat(500)}\nsecond line`;
    const brief = rehearsalBrief({
      ok: false,
      check: 'dry_run_command',
      hosts: [outcome('web-1'), outcome('web-2', false, '\n  disk is read-only  \nmore'), outcome('web-3', false, long), outcome('web-4', false, '')],
      skipped: ['web-5'],
    });
    expect(brief.failures).toEqual([
      { host: 'web-2', exitCode: 2, firstLine: 'disk is read-only' },
      { host: 'web-3', exitCode: 2, firstLine: 'x'.repeat(160) },
      { host: 'web-4', exitCode: 2, firstLine: '' },
    ]);
    expect(brief.skipped).toEqual(['web-5']);
    expect(rehearsalFailureHeadline({ ...brief, failures: brief.failures?.slice(0, 1) ?? [] })).toBe(
      'The dry run FAILED on 3 of 4 hosts: web-2 (exit 2: disk is read-only); web-3; web-4.',
    );
    expect(rehearsalSummary(brief)).toBe(
      'dry run FAILED on 3 of 4 host(s): web-2, web-3, web-4; not dry-run on web-5: they succeeded in the rollout this one continues and will not run again',
    );
    expect(rehearsalBrief({ ok: true, check: 'dry_run_command', hosts: [outcome('web-1')], skipped: [] })).toEqual({
      ok: true,
      check: 'dry_run_command',
      hosts: 1,
      failed: [],
    });
  });

  it('names at most ten failed hosts of a dry run in the headline, and counts the rest', () => {
    const hosts = Array.from({ length: 12 }, (_, i) => outcome(`web-${i + 1}`, false, 'no space left'));
    const headline = rehearsalFailureHeadline(rehearsalBrief({ ok: false, check: 'reachability', hosts }));
    expect(headline).toMatch(/^The reachability check FAILED on 12 of 12 hosts: web-1 \(exit 2: no space left\);/);
    expect(headline).toMatch(/web-10 \(exit 2: no space left\) and 2 more\.$/);
  });

  it('says which kind of dry run it was', () => {
    expect(rehearsalSummary(rehearsalBrief({ ok: true, check: 'dry_run_command', hosts: [outcome('web-1'), outcome('web-2')] }))).toBe(
      'dry run ok on all 2 host(s)',
    );
    expect(rehearsalSummary(rehearsalBrief({ ok: false, check: 'reachability', hosts: [outcome('web-1'), outcome('web-2', false)] }))).toBe(
      'reachability check (no dry_run_command, so the command itself was not tried) FAILED on 1 of 2 host(s): web-2',
    );
  });
});
