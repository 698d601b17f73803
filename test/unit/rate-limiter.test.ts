import { describe, expect, it } from 'vitest';
import { FairShare, IntervalLimiter, WindowLimiter } from '../../src/slack/rate-limiter.js';

describe('IntervalLimiter', () => {
  it('allows one call per key per interval', () => {
    const limiter = new IntervalLimiter(1_000);
    expect(limiter.tryAcquire('C1', 0)).toBe(0);
    expect(limiter.tryAcquire('C1', 400)).toBe(600);
    expect(limiter.tryAcquire('C2', 400)).toBe(0);
    expect(limiter.tryAcquire('C1', 1_000)).toBe(0);
  });

  it('remembers only the keys called within the interval, however many were called', () => {
    const limiter = new IntervalLimiter(1_000);
    for (let i = 0; i < 10_000; i += 1) limiter.tryAcquire(`C${i}`, i);
    expect(limiter.size).toBeLessThanOrEqual(1_000);
  });

  it('forgets a pause once it is over', () => {
    const limiter = new IntervalLimiter(1_000);
    for (let i = 0; i < 500; i += 1) limiter.pauseUntil(`C${i}`, i + 10, i);
    expect(limiter.size).toBeLessThanOrEqual(11);
    expect(limiter.tryAcquire('C499', 500)).toBe(9);
  });
});

describe('WindowLimiter', () => {
  it('lets a caller hold itself to fewer calls, and says when enough have left the window', () => {
    const limiter = new WindowLimiter(3, 1_000);
    expect(limiter.tryAcquire(0, 2)).toBe(0);
    expect(limiter.tryAcquire(100, 2)).toBe(0);
    expect(limiter.tryAcquire(200, 2)).toBe(800);
    expect(limiter.tryAcquire(200)).toBe(0);
    expect(limiter.tryAcquire(300)).toBe(700);
    expect(limiter.tryAcquire(300, 2)).toBe(800);
  });
});

describe('FairShare', () => {
  it('spaces updates of one message by its share of the budget', () => {
    const share = new FairShare(10, 60_000, 1_000);
    for (const key of ['a', 'b', 'c', 'd']) expect(share.wait(key, 0)).toBe(0);
    share.sent('a', 0);
    // Four messages want updates, ten a minute: each gets one per 24 s.
    expect(share.wait('a', 1_000)).toBe(23_000);
  });

  it('tracks at most so many messages, however many want updates', () => {
    const share = new FairShare(50, 60_000, 1_000, 100);
    for (let i = 0; i < 10_000; i += 1) {
      share.wait(`m${i}`, i);
      share.sent(`m${i}`, i);
    }
    expect(share.size).toEqual({ wanted: 100, sent: 100 });
  });

  it('forgets wishes older than the window', () => {
    const share = new FairShare(50, 60_000, 1_000);
    for (let i = 0; i < 500; i += 1) share.wait(`m${i}`, i);
    share.wait('late', 120_000);
    expect(share.size.wanted).toBe(1);
  });
});
