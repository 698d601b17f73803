/** A verification's check graphs at the chart-spec level: the deploy or rollback marked, the threshold drawn, the window around it. */
import { describe, expect, it } from 'vitest';
import { parseIncidentCommand } from '../../commands/incident.js';
import { CommandUsageError } from '../../src/errors.js';
import { renderChartPng } from '../../src/graph/chart.js';
import { checkChartSpec, checkGraphWindow } from '../../src/slack/check-graphs.js';

const AT = new Date('2026-03-01T14:02:00Z');
const NOW = new Date('2026-03-01T14:07:00Z');
const SERIES = [{ labels: {}, points: Array.from({ length: 60 }, (_, i): [number, number] => [AT.getTime() / 1000 - 600 + i * 15, i < 40 ? 0.2 : 0.01]) }];
const CHECK = { check: 'error-rate', query: 'max(errors)', threshold: { max: 0.05 }, value: 0.3 };

describe('checkChartSpec', () => {
  it('marks the rollback at its time and draws the check threshold', () => {
    const window = checkGraphWindow(AT, NOW);
    const spec = checkChartSpec({ service: 'billing', event: { kind: 'rollback', at: AT } }, CHECK, SERIES, window);
    expect(spec.marks).toEqual([{ at: AT, label: 'rollback 14:02 UTC' }]);
    expect(spec.threshold).toBe(0.05);
    expect(spec.title).toBe('billing error-rate: max(errors)');
    expect(spec.from.getTime()).toBeLessThan(AT.getTime());
    expect(spec.to).toEqual(NOW);
    expect(renderChartPng(spec).subarray(1, 4).toString()).toBe('PNG');
  });

  it('marks a deploy, and draws the bound a value under min broke', () => {
    const spec = checkChartSpec(
      { service: 'orders', event: { kind: 'deploy', at: AT } },
      { ...CHECK, threshold: { min: 0.9, max: 1 }, value: 0.5 },
      SERIES,
      checkGraphWindow(AT, NOW),
    );
    expect(spec.marks).toEqual([{ at: AT, label: 'deploy 14:02 UTC' }]);
    expect(spec.threshold).toBe(0.9);
  });
});

describe('checkGraphWindow', () => {
  it('shows at least 10 minutes before the event, as much before as since, up to now', () => {
    expect(checkGraphWindow(AT, NOW)).toEqual({ from: new Date(AT.getTime() - 600_000), to: NOW });
    const later = new Date(AT.getTime() + 3_600_000);
    expect(checkGraphWindow(AT, later)).toEqual({ from: new Date(AT.getTime() - 3_600_000), to: later });
    const dayLater = new Date(AT.getTime() + 86_400_000);
    expect(checkGraphWindow(AT, dayLater).from).toEqual(new Date(AT.getTime() - 6 * 3_600_000));
  });
});

describe('/incident silence', () => {
  it('reads the menu choices, any span from 5m to 7d, and the reason as typed', () => {
    expect(parseIncidentCommand('silence INC-4 4h')).toEqual({ verb: 'silence', rest: { id: '4', length: '4h' } });
    expect(parseIncidentCommand('silence 4 until-resolved  noisy  disk')).toEqual({
      verb: 'silence',
      rest: { id: '4', length: 'until_resolved', reason: 'noisy  disk' },
    });
    expect(parseIncidentCommand('silence INC-4 2d12h')).toEqual({ verb: 'silence', rest: { id: '4', length: { ms: 60 * 3_600_000 } } });
    expect(parseIncidentCommand('silence INC-4 5m').rest).toMatchObject({ length: { ms: 300_000 } });
  });

  it.each(['silence INC-4', 'silence INC-4 4m', 'silence INC-4 8d', 'silence INC-4 forever', 'silence nope 4h'])('refuses %j with a usage error', (text) => {
    expect(() => parseIncidentCommand(text)).toThrow(CommandUsageError);
  });
});
