import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { DeliveryQueue, RetryLater } from '../../src/slack/delivery-queue.js';
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
