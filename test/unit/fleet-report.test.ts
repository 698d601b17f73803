import { describe, expect, it } from 'vitest';
import { batchReport, hostDetail, hostDetails, rehearsalSummary } from '../../src/fleet/report.js';
import type { HostOutcome } from '../../src/fleet/rollout-runner.js';

const outcome = (host: string, ok = true, output = 'done'): HostOutcome => ({ host, ok, exitCode: ok ? 0 : 2, output, durationMs: 1234 });

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
    expect(batchReport({ index: 0, canary: true, hosts: ['web-1'] }, 3, [outcome('web-1')])).toBe('Canary (batch 1 of 3): web-1 ok');
    expect(batchReport({ index: 2, canary: false, hosts: ['web-3', 'web-4'] }, 3, [outcome('web-3', false, 'no space'), outcome('web-4')])).toBe(
      "Batch 3 of 3: web-3 FAILED (exit 2), web-4 ok\n• web-3 FAILED (exit 2), 1.2s\n```no space```",
    );
  });

  it('says which kind of dry run it was', () => {
    expect(rehearsalSummary([outcome('web-1'), outcome('web-2')], true)).toBe('dry run ok on all 2 host(s)');
    expect(rehearsalSummary([outcome('web-1'), outcome('web-2', false)], false)).toBe(
      'reachability check (no dry_run_command, so the command itself was not tried) FAILED on 1 of 2 host(s): web-2',
    );
  });
});
