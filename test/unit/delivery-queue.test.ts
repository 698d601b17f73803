import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { StoreUnavailableError } from '../../src/errors.js';
import { DeliveryQueue } from '../../src/slack/delivery-queue.js';
import { RetryLater } from '../../src/slack/retry-later.js';
import { waitFor } from '../support/wait.js';

const log = pino({ level: 'silent' });

describe('DeliveryQueue', () => {
  it('coalesces tasks of one key that have not started: the latest wins', async () => {
    const queue = new DeliveryQueue({ log, minIntervalPerKeyMs: 0 });
    const ran: number[] = [];
    for (let i = 1; i <= 5; i += 1) queue.enqueue('message:1', async () => void ran.push(i));
    expect(await queue.drain(2_000)).toBe(true);
    expect(ran).toEqual([5]);
  });

  it('never runs two tasks of one key at once, and runs the newer one after', async () => {
    const queue = new DeliveryQueue({ log, minIntervalPerKeyMs: 0 });
    let active = 0;
    let maxActive = 0;
    const ran: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    queue.enqueue('k', async () => {
      active += 1;
      maxActive = Math.max(maxActive, active);
      await gate;
      ran.push('first');
      active -= 1;
    });
    await waitFor(() => active === 1);
    queue.enqueue('k', async () => {
      active += 1;
      maxActive = Math.max(maxActive, active);
      ran.push('second');
      active -= 1;
    });
    release();
    expect(await queue.drain(2_000)).toBe(true);
    expect(ran).toEqual(['first', 'second']);
    expect(maxActive).toBe(1);
  });

  it('spaces runs of one key by the minimum interval', async () => {
    const queue = new DeliveryQueue({ log, minIntervalPerKeyMs: 200 });
    const starts: number[] = [];
    queue.enqueue('k', async () => void starts.push(Date.now()));
    await waitFor(() => starts.length === 1);
    queue.enqueue('k', async () => void starts.push(Date.now()));
    expect(await queue.drain(2_000)).toBe(true);
    expect(starts[1]! - starts[0]!).toBeGreaterThanOrEqual(195);
  });

  it('retries a RetryLater after its delay and gives up on other errors', async () => {
    const dropped: string[] = [];
    const queue = new DeliveryQueue({ log, minIntervalPerKeyMs: 0, onDrop: (key) => dropped.push(key) });
    let attempts = 0;
    queue.enqueue('retry', async () => {
      attempts += 1;
      if (attempts < 3) throw new RetryLater('429', 20);
    });
    queue.enqueue('broken', async () => {
      throw new Error('channel_not_found');
    });
    expect(await queue.drain(2_000)).toBe(true);
    expect(attempts).toBe(3);
    expect(dropped).toEqual(['broken']);
  });

  it('drops a task only after its last attempt', async () => {
    const dropped: string[] = [];
    const queue = new DeliveryQueue({ log, minIntervalPerKeyMs: 0, maxAttempts: 3, onDrop: (key) => dropped.push(key) });
    let attempts = 0;
    queue.enqueue('k', async () => {
      attempts += 1;
      throw new RetryLater('still failing', 1);
    });
    expect(await queue.drain(2_000)).toBe(true);
    expect(attempts).toBe(3);
    expect(dropped).toEqual(['k']);
  });

  it('reports a drain that does not finish before its deadline', async () => {
    const queue = new DeliveryQueue({ log, minIntervalPerKeyMs: 0 });
    let release!: () => void;
    queue.enqueue('slow', () => new Promise<void>((resolve) => (release = resolve)));
    expect(await queue.drain(50)).toBe(false);
    release();
    expect(await queue.drain(2_000)).toBe(true);
  });
});

describe('DeliveryQueue on a fake clock', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  /** One call per `intervalMs` for everyone, answered as PacedChat answers: a throttled RetryLater naming the gate. */
  function sharedLimit(intervalMs: number) {
    let next = 0;
    return () => {
      const now = Date.now();
      if (now < next) throw new RetryLater('post waits for its rate limit', next - now, { throttled: true, gate: 'post:C1' });
      next = now + intervalMs;
    };
  }

  it('lets a backlog at one limit through one at a time: a few runs per opening, not one per waiting task', async () => {
    const queue = new DeliveryQueue({ log, minIntervalPerKeyMs: 1_000 });
    const take = sharedLimit(1_000);
    let runs = 0;
    const delivered: string[] = [];
    for (let i = 0; i < 50; i += 1) {
      queue.enqueue(`message:${i}`, async () => {
        runs += 1;
        take();
        delivered.push(`message:${i}`);
      });
    }
    await vi.runAllTimersAsync();
    expect(delivered).toHaveLength(50);
    // Each task meets the limit once when it first runs; after that, each opening costs the probe and the next one's try.
    expect(runs).toBeLessThanOrEqual(50 + 2 * 50);
    // The waiting tasks go in the order they met the limit.
    expect(delivered.slice(1)).toEqual([...delivered.slice(1)].sort((a, b) => Number(a.split(':')[1]) - Number(b.split(':')[1])));
  });

  it('ends a wait at a gate when a newer change comes: it may be one the limit lets go', async () => {
    const queue = new DeliveryQueue({ log, minIntervalPerKeyMs: 1_000 });
    const ran: number[] = [];
    queue.enqueue('message:1', async () => {
      throw new RetryLater('update waits for its rate limit', 60_000, { throttled: true, gate: 'update:detail' });
    });
    await vi.advanceTimersByTimeAsync(2_000);
    queue.enqueue('message:1', async () => void ran.push(Date.now()));
    const enqueuedAt = Date.now();
    await vi.advanceTimersByTimeAsync(1_000);
    expect(ran).toEqual([enqueuedAt]);
    expect(queue.size).toBe(0);
  });

  it('asks a task that waits on another ever less often, up to the longest backoff', async () => {
    const queue = new DeliveryQueue({ log, minIntervalPerKeyMs: 1_000, maxBackoffMs: 8_000 });
    const runs: number[] = [];
    queue.enqueue('thread:1', async () => {
      runs.push(Date.now());
      if (runs.length < 7) throw RetryLater.waitingOn('incident message not posted yet');
    });
    await vi.runAllTimersAsync();
    const gaps = runs.slice(1).map((at, i) => at - (runs[i] ?? 0));
    expect(gaps).toEqual([1_000, 2_000, 4_000, 8_000, 8_000, 8_000]);
  });

  it('keeps backing off from a failing Slack while new changes of the key keep coming', async () => {
    const queue = new DeliveryQueue({ log, minIntervalPerKeyMs: 0, maxBackoffMs: 8_000 });
    const runs: number[] = [];
    const failing = async () => {
      runs.push(Date.now());
      throw new RetryLater('Slack answered 503');
    };
    // A storm changes the message every 100 ms through a 20 s outage.
    for (let t = 0; t < 20_000; t += 100) {
      queue.enqueue('message:1', failing);
      await vi.advanceTimersByTimeAsync(100);
    }
    const gaps = runs.slice(1).map((at, i) => at - (runs[i] ?? 0));
    expect(gaps.slice(0, 4)).toEqual([500, 1_000, 2_000, 4_000]);
    expect(runs.length).toBeLessThanOrEqual(8);
  });

  it('lets what backed off through an outage go as soon as one call succeeds again', async () => {
    const queue = new DeliveryQueue({ log, minIntervalPerKeyMs: 0, maxBackoffMs: 30_000 });
    let slackUp = false;
    const delivered = new Map<string, number>();
    const deliver = (key: string) => async () => {
      if (!slackUp) throw new RetryLater('Slack answered 503');
      delivered.set(key, Date.now());
    };
    for (let i = 0; i < 5; i += 1) queue.enqueue(`message:${i}`, deliver(`message:${i}`));
    await vi.advanceTimersByTimeAsync(40_000);
    slackUp = true;
    const upAt = Date.now();
    queue.enqueue('message:new', deliver('message:new'));
    await vi.advanceTimersByTimeAsync(100);
    expect(delivered.size).toBe(6);
    expect(Math.max(...[...delivered.values()].map((at) => at - upAt))).toBeLessThan(10);
  });

  it('waits out Redis being away instead of dropping the delivery', async () => {
    const dropped: string[] = [];
    const queue = new DeliveryQueue({ log, minIntervalPerKeyMs: 0, onDrop: (key) => dropped.push(key) });
    let runs = 0;
    queue.enqueue('thread:1', async () => {
      runs += 1;
      if (runs < 3) throw new StoreUnavailableError(new Error('Command timed out'));
    });
    await vi.runAllTimersAsync();
    expect({ runs, dropped }).toEqual({ runs: 3, dropped: [] });
  });

  it('remembers when keys started for one interval only', async () => {
    const queue = new DeliveryQueue({ log, minIntervalPerKeyMs: 1_000 });
    for (let i = 0; i < 1_000; i += 1) queue.enqueue(`message:${i}`, async () => undefined);
    await vi.runAllTimersAsync();
    await vi.advanceTimersByTimeAsync(1_001);
    queue.enqueue('message:late', async () => undefined);
    await vi.runAllTimersAsync();
    expect(queue.bookkeeping.starts).toBeLessThanOrEqual(1);
  });

  it('keeps its due times bounded however often waiting tasks are superseded', async () => {
    const queue = new DeliveryQueue({ log, minIntervalPerKeyMs: 1_000 });
    for (let i = 0; i < 10; i += 1) queue.enqueue(`message:${i}`, async () => undefined);
    await vi.advanceTimersByTimeAsync(10);
    // Each key ran just now, so each change below waits for its interval and takes a new place in time.
    for (let round = 0; round < 1_000; round += 1) {
      for (let i = 0; i < 10; i += 1) queue.enqueue(`message:${i}`, async () => undefined);
      await vi.advanceTimersByTimeAsync(0);
    }
    expect(queue.bookkeeping.dueTimes).toBeLessThanOrEqual(2 * 10 + 1_000);
    await vi.runAllTimersAsync();
    expect(queue.size).toBe(0);
  });
});
