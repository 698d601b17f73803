/**
 * Counting 429s the way Slack's limits are shaped: the first 429 of a limit (one channel's
 * posts, the workspace's updates) opens a window as long as that limit's; every further
 * 429 of the same limit inside it is one the bots should have avoided, since the first
 * told all of them (through the shared budget) to hold back.
 */
export interface RefusableCall {
  method: string;
  at: number;
  status: number;
  channel: string;
}

export function excess429s(calls: readonly RefusableCall[], windows: { postWindowMs: number; updateWindowMs: number }): number {
  const windowEnds = new Map<string, number>();
  let excess = 0;
  for (const call of calls) {
    if (call.status !== 429) continue;
    const limit = call.method === 'chat.postMessage' ? `post:${call.channel}` : call.method;
    const length = call.method === 'chat.postMessage' ? windows.postWindowMs : windows.updateWindowMs;
    const end = windowEnds.get(limit);
    if (end !== undefined && call.at < end) excess += 1;
    else windowEnds.set(limit, call.at + length);
  }
  return excess;
}
