import { describe, expect, it } from 'vitest';
import { ThrottleGates } from '../../src/slack/throttle-gates.js';

describe('ThrottleGates', () => {
  it('lets one waiter try when a gate opens; one that meets the limit again keeps its place', () => {
    const gates = new ThrottleGates();
    for (const key of ['a', 'b', 'c']) gates.hold(key, 'post:C1', 0, 1_000);
    expect(gates.release(999)).toEqual([]);
    expect(gates.nextOpening()).toBe(1_000);
    expect(gates.release(1_000)).toEqual(['a']);
    expect(gates.release(1_000)).toEqual([]);
    gates.hold('a', 'post:C1', 1_000, 2_000);
    expect(gates.release(2_000)).toEqual(['a']);
  });

  it('lets the next waiter try at once after a probe got through', () => {
    const gates = new ThrottleGates();
    for (const key of ['a', 'b']) gates.hold(key, 'update:detail', 0, 1_000);
    expect(gates.release(1_000)).toEqual(['a']);
    gates.leave('a', 1_010);
    expect(gates.release(1_010)).toEqual(['b']);
  });

  it('keeps gates apart and forgets one nobody waits at', () => {
    const gates = new ThrottleGates();
    gates.hold('a', 'post:C1', 0, 1_000);
    gates.hold('b', 'post:C2', 0, 2_000);
    expect(gates.release(1_500)).toEqual(['a']);
    gates.leave('a', 1_500);
    gates.leave('b', 1_500);
    expect(gates.size).toBe(0);
    expect(gates.gateCount).toBe(0);
  });

  it('moves a key that meets another limit to that gate', () => {
    const gates = new ThrottleGates();
    gates.hold('a', 'post:C1', 0, 1_000);
    gates.hold('a', 'update:state', 0, 500);
    expect(gates.release(1_000)).toEqual(['a']);
    expect(gates.gateCount).toBe(1);
  });
});
