interface Due {
  at: number;
  key: string;
  /** Which scheduling of the key this is; an older one is stale and skipped. */
  seq: number;
}

/**
 * Keys by the time they are due, soonest first (a binary min-heap), so that a queue
 * holding ten thousand waiting tasks finds the due ones without looking at the rest.
 * Rescheduling a key leaves its old place behind as stale; the caller says which
 * scheduling is current, and `compact` drops the stale ones once they outnumber the rest.
 */
export class DueHeap {
  private items: Due[] = [];

  get size(): number {
    return this.items.length;
  }

  push(at: number, key: string, seq: number): void {
    this.items.push({ at, key, seq });
    this.up(this.items.length - 1);
  }

  /** When the soonest item is due (stale ones included, so a wake-up may find nothing). */
  peekAt(): number {
    return this.items[0]?.at ?? Number.POSITIVE_INFINITY;
  }

  /** Removes and returns the items due at `now`, soonest first, that `current` accepts. */
  popDue(now: number, current: (key: string, seq: number) => boolean): string[] {
    const due: string[] = [];
    while (this.items.length > 0 && (this.items[0]?.at ?? Number.POSITIVE_INFINITY) <= now) {
      const top = this.pop();
      if (top && current(top.key, top.seq)) due.push(top.key);
    }
    return due;
  }

  /** Keeps only the items `current` accepts. */
  compact(current: (key: string, seq: number) => boolean): void {
    const kept = this.items.filter((item) => current(item.key, item.seq));
    this.items = [];
    for (const item of kept) this.push(item.at, item.key, item.seq);
  }

  private pop(): Due | undefined {
    const top = this.items[0];
    const last = this.items.pop();
    if (this.items.length > 0 && last) {
      this.items[0] = last;
      this.down(0);
    }
    return top;
  }

  /** Sooner first; of two due at once, the one scheduled first (seq grows), so ties keep their order. */
  private before(a: number, b: number): boolean {
    const x = this.items[a];
    const y = this.items[b];
    if (!x || !y) return false;
    return x.at < y.at || (x.at === y.at && x.seq < y.seq);
  }

  private up(index: number): void {
    let i = index;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.before(i, parent)) return;
      this.swap(i, parent);
      i = parent;
    }
  }

  private down(index: number): void {
    const length = this.items.length;
    let i = index;
    for (;;) {
      const left = 2 * i + 1;
      const right = left + 1;
      let smallest = i;
      if (left < length && this.before(left, smallest)) smallest = left;
      if (right < length && this.before(right, smallest)) smallest = right;
      if (smallest === i) return;
      this.swap(i, smallest);
      i = smallest;
    }
  }

  private swap(a: number, b: number): void {
    const items = this.items;
    const held = items[a];
    const other = items[b];
    if (!held || !other) return;
    items[a] = other;
    items[b] = held;
  }
}
