/**
 * The workspace's Slack budget, against Redis (shared by replicas) and its memory twin:
 * one post per channel per interval, so many updates per window, and a 429's pause.
 */
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import type { SlackBudget, SlackBudgetLimits } from '../../src/slack/delivery/slack-budget.js';
import { MemorySlackBudget } from '../../src/store/memory/memory-slack-budget.js';
import { RedisSlackBudget } from '../../src/store/redis-slack-budget.js';
import { testRedisUrl } from '../support/redis.js';

const LIMITS: SlackBudgetLimits = { postIntervalMs: 60_000, updatesPerWindow: 3, windowMs: 60_000, stateReserve: 1 };
const clients: Redis[] = [];
afterAll(() => {
  for (const client of clients) client.disconnect();
});

/** Two replicas' views of one budget: Redis shares it, the memory twin is one process's. */
function redisReplicas(): [SlackBudget, SlackBudget] {
  const prefix = `test:${randomUUID()}:`;
  const [a, b] = [new Redis(testRedisUrl()), new Redis(testRedisUrl())];
  clients.push(a, b);
  return [new RedisSlackBudget(a, prefix, LIMITS), new RedisSlackBudget(b, prefix, LIMITS)];
}

describe.each([
  ['redis', () => redisReplicas()[0]],
  ['memory', () => new MemorySlackBudget(LIMITS)],
])('Slack budget (%s)', (_name, open: () => SlackBudget) => {
  it('allows one post per channel per interval, each channel apart', async () => {
    const budget = open();
    expect(await budget.takePost('C1')).toBe(0);
    expect(await budget.takePost('C1')).toBeGreaterThan(59_000);
    expect(await budget.takePost('C2')).toBe(0);
  });

  it('allows so many updates per window, then says how long to wait', async () => {
    const budget = open();
    expect(await budget.takeUpdate('state')).toBe(0);
    expect(await budget.takeUpdate('state')).toBe(0);
    expect(await budget.takeUpdate('state')).toBe(0);
    expect(await budget.takeUpdate('state')).toBeGreaterThan(59_000);
    expect(await budget.takeUpdate('detail')).toBeGreaterThan(59_000);
  });

  it('keeps the reserve for changes of state: details stop short of it', async () => {
    const budget = open();
    expect(await budget.takeUpdate('detail')).toBe(0);
    expect(await budget.takeUpdate('detail')).toBe(0);
    expect(await budget.takeUpdate('detail')).toBeGreaterThan(59_000);
    expect(await budget.takeUpdate('state')).toBe(0);
    expect(await budget.takeUpdate('state')).toBeGreaterThan(59_000);
  });

  it('holds a kind back for the pause a 429 asked for', async () => {
    const budget = open();
    await budget.pause('post', 30_000, 'C1');
    expect(await budget.takePost('C1')).toBeGreaterThan(29_000);
    expect(await budget.takePost('C2')).toBe(0);
    await budget.pause('update', 30_000);
    expect(await budget.takeUpdate('state')).toBeGreaterThan(29_000);
  });
});

describe('Slack budget in Redis', () => {
  it('is one budget for every replica on the key prefix', async () => {
    const [a, b] = redisReplicas();
    expect(await a.takePost('C1')).toBe(0);
    expect(await b.takePost('C1')).toBeGreaterThan(59_000);
    expect(await b.takeUpdate('state')).toBe(0);
    expect(await a.takeUpdate('detail')).toBe(0);
    expect(await b.takeUpdate('detail')).toBeGreaterThan(59_000);
    expect(await b.takeUpdate('state')).toBe(0);
    expect(await a.takeUpdate('state')).toBeGreaterThan(59_000);
    await a.pause('post', 30_000, 'C2');
    expect(await b.takePost('C2')).toBeGreaterThan(29_000);
  });
});
