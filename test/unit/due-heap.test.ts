import { describe, expect, it } from 'vitest';
import { DueHeap } from '../../src/slack/due-heap.js';

describe('DueHeap', () => {
  it('gives the due keys soonest first, ties in the order they were scheduled, and keeps the rest', () => {
    const heap = new DueHeap();
    heap.push(300, 'c', 1);
    heap.push(100, 'a', 2);
    heap.push(200, 'b2', 4);
    heap.push(200, 'b1', 3);
    heap.push(900, 'later', 5);
    expect(heap.popDue(300, () => true)).toEqual(['a', 'b1', 'b2', 'c']);
    expect(heap.peekAt()).toBe(900);
    expect(heap.size).toBe(1);
  });

  it('skips a key’s stale places, and compacting drops them', () => {
    const heap = new DueHeap();
    const current = new Map([['a', 3]]);
    heap.push(100, 'a', 1);
    heap.push(200, 'a', 2);
    heap.push(300, 'a', 3);
    const isCurrent = (key: string, seq: number) => current.get(key) === seq;
    heap.compact(isCurrent);
    expect(heap.size).toBe(1);
    expect(heap.popDue(1_000, isCurrent)).toEqual(['a']);
  });
});
