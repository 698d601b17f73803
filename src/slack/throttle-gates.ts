interface Gate {
  opensAt: number;
  /** Keys in the order they met the limit; the probe keeps its place until it gets through. */
  waiters: Set<string>;
  probe: string | undefined;
}

/**
 * Deliveries held back by one rate limit (a channel's posts, the workspace's updates).
 * When a limit opens, one waiter tries it (the probe), not all of them at once: a backlog
 * of ten thousand messages for one channel costs one attempt per slot, not ten thousand.
 * A gate with nobody waiting is forgotten, so there are never more gates than limits met.
 */
export class ThrottleGates {
  private readonly gates = new Map<string, Gate>();
  private readonly gateOf = new Map<string, string>();

  get size(): number {
    return this.gateOf.size;
  }

  /** Gates remembered: each has a waiter or a probe in flight. */
  get gateCount(): number {
    return this.gates.size;
  }

  /** `key` met the limit `name` at `now`, open again at `opensAt`: it waits there, a probe at the front still. */
  hold(key: string, name: string, now: number, opensAt: number): void {
    if (this.gateOf.get(key) !== name) this.leave(key, now);
    let gate = this.gates.get(name);
    if (!gate) {
      gate = { opensAt, waiters: new Set(), probe: undefined };
      this.gates.set(name, gate);
    }
    if (gate.probe === key) gate.probe = undefined;
    gate.waiters.add(key);
    gate.opensAt = opensAt;
    this.gateOf.set(key, name);
  }

  /** `key` waits no longer (it got through, or a newer change replaced it); after a probe, the next may try at once. */
  leave(key: string, now: number): void {
    const name = this.gateOf.get(key);
    if (name === undefined) return;
    this.gateOf.delete(key);
    const gate = this.gates.get(name);
    if (!gate) return;
    gate.waiters.delete(key);
    if (gate.probe === key) {
      gate.probe = undefined;
      gate.opensAt = Math.min(gate.opensAt, now);
    }
    if (gate.waiters.size === 0 && gate.probe === undefined) this.gates.delete(name);
  }

  /** The first waiter of each gate open at `now` with no probe in flight; each becomes its gate's probe. */
  release(now: number): string[] {
    const probes: string[] = [];
    for (const gate of this.gates.values()) {
      if (gate.probe !== undefined || gate.opensAt > now) continue;
      const first = gate.waiters.values().next().value;
      if (first === undefined) continue;
      gate.probe = first;
      probes.push(first);
    }
    return probes;
  }

  /** When the next gate opens for a probe. */
  nextOpening(): number {
    let next = Number.POSITIVE_INFINITY;
    for (const gate of this.gates.values()) if (gate.probe === undefined && gate.waiters.size > 0) next = Math.min(next, gate.opensAt);
    return next;
  }
}
