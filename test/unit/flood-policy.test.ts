/** When a channel is flooded, and which incidents still get their own first message then. */
import { describe, expect, it } from 'vitest';
import { firstPostOf, floodVerdict, ROLLUP_HEAD_START_MS } from '../../src/slack/flood/policy.js';

describe('floodVerdict', () => {
  it('begins past the threshold, lasts above half of it, and ends at half or fewer', () => {
    expect(floodVerdict(20, 20, false)).toBe('calm');
    expect(floodVerdict(21, 20, false)).toBe('begins');
    expect(floodVerdict(11, 20, true)).toBe('lasts');
    expect(floodVerdict(10, 20, true)).toBe('ends');
    expect(floodVerdict(1, 1, true)).toBe('lasts');
    expect(floodVerdict(0, 1, true)).toBe('ends');
  });
});

describe('firstPostOf', () => {
  const standing = { rollupShown: true, floodAgeMs: 0, criticalsWaiting: 0 };

  it('posts a critical incident once the roll-up is shown, or once the roll-up has had its head start', () => {
    expect(firstPostOf({ ...standing, critical: true, rollupShown: false }, 'critical-only')).toBe('wait');
    expect(firstPostOf({ ...standing, critical: true }, 'critical-only')).toBe('post');
    expect(firstPostOf({ ...standing, critical: true, rollupShown: false, floodAgeMs: ROLLUP_HEAD_START_MS }, 'critical-only')).toBe('post');
  });

  it('leaves the others to the roll-up with critical-only, and posts them after the roll-up and the critical ones with critical-first', () => {
    expect(firstPostOf({ ...standing, critical: false }, 'critical-only')).toBe('rolled-up');
    expect(firstPostOf({ ...standing, critical: false }, 'critical-first')).toBe('post');
    expect(firstPostOf({ ...standing, critical: false, criticalsWaiting: 1 }, 'critical-first')).toBe('wait');
    expect(firstPostOf({ ...standing, critical: false, rollupShown: false }, 'critical-first')).toBe('wait');
    expect(firstPostOf({ ...standing, critical: false, rollupShown: false, floodAgeMs: ROLLUP_HEAD_START_MS }, 'critical-first')).toBe('post');
  });
});
