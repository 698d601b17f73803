import { describe, expect, it } from 'vitest';
import { formatDuration, parseDuration } from '../../src/config/duration.js';
import { loadConfig } from '../../src/config/load.js';
import { durationMs } from '../../src/config/duration-field.js';

describe('the duration grammar', () => {
  it.each([
    ['250ms', 250],
    ['0s', 0],
    ['90s', 90_000],
    ['30m', 1_800_000],
    ['1h', 3_600_000],
    ['7d', 604_800_000],
    ['1h30m', 5_400_000],
    ['1m30s500ms', 90_500],
  ])('reads %s as %i ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each(['', '30', 's', '1.5h', '-1s', '1 h', ' 30s', '1w', '1hm', '30S', `${'9'.repeat(20)}d`])('refuses %j', (text) => {
    expect(parseDuration(text)).toBeUndefined();
  });

  it('is the same in the environment and in runbooks', () => {
    for (const text of ['1h30m', '7d', '500ms']) expect(durationMs(text)).toBe(parseDuration(text));
    expect(() => durationMs('1.5h')).toThrow(RangeError);
    // The environment used to take one unit only; compound durations read there too now.
    const env = { SLACK_BOT_TOKEN: 'xoxb-1', SLACK_SIGNING_SECRET: 's', ALERTMANAGER_TOKEN: 'a'.repeat(16), INCIDENT_CHANNEL: 'C0INCIDENTS' };
    expect(loadConfig({ ...env, REOPEN_WINDOW: ' 1h30m ' }).reopenWindowMs).toBe(5_400_000);
  });
});

describe('formatDuration', () => {
  it.each([
    [0, '0 ms'],
    [300, '300 ms'],
    [999.4, '999 ms'],
    [999.6, '1 second'],
    [1_000, '1 second'],
    [1_500, '1.5 seconds'],
    [42_000, '42 seconds'],
    [59_960, '1 minute'],
    [83_400, '1 minute 23 seconds'],
    [600_000, '10 minutes'],
    [3_725_000, '1 hour 2 minutes'],
    [5_400_000, '1 hour 30 minutes'],
    [86_400_000 + 300_000, '1 day 5 minutes'],
  ])('writes %i ms as %j', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });
});
