/**
 * When a channel is flooded, and which incidents still get a message of their own then:
 * pure functions of counts, so the rules are read and tested without Slack or Redis.
 */

/** What happens to the individual posts of the incidents a roll-up counts (FLOOD_INDIVIDUAL_POSTS). */
export type IndividualPosts =
  /** Only critical incidents get their own message while the flood lasts; the roll-up shows the rest. */
  | 'critical-only'
  /** Critical incidents first, then the others, at the pace the channel's post budget allows. */
  | 'critical-first';

export interface FloodPolicy {
  /** A flood begins when more than this many incidents are new in one channel within the window. */
  threshold: number;
  windowMs: number;
  individualPosts: IndividualPosts;
}

export type FloodVerdict = 'calm' | 'begins' | 'lasts' | 'ends';

/**
 * A flood begins when more than `threshold` incidents are new in the window, and ends only
 * once at most half as many are: a rate that hovers at the threshold would otherwise start
 * a new roll-up every few seconds.
 */
export function floodVerdict(newInWindow: number, threshold: number, flooding: boolean): FloodVerdict {
  if (!flooding) return newInWindow > threshold ? 'begins' : 'calm';
  return newInWindow > Math.floor(threshold / 2) ? 'lasts' : 'ends';
}

/** What an incident counted in a roll-up does about its own first message now. */
export type FirstPost = 'post' | 'wait' | 'rolled-up';

/**
 * The roll-up's head start: it goes first so that the channel shows the flood at once, but
 * a critical incident waits for it no longer than this, so a roll-up Slack is slow to take
 * or refuses never holds one back.
 */
export const ROLLUP_HEAD_START_MS = 5_000;

export interface RolledUpIncident {
  critical: boolean;
  rollupShown: boolean;
  floodAgeMs: number;
  /** Critical incidents of the flood not posted yet: they go before the others. */
  criticalsWaiting: number;
}

export function firstPostOf(incident: RolledUpIncident, mode: IndividualPosts): FirstPost {
  const rollupFirst = !incident.rollupShown && incident.floodAgeMs < ROLLUP_HEAD_START_MS;
  if (incident.critical) return rollupFirst ? 'wait' : 'post';
  if (mode === 'critical-only') return 'rolled-up';
  return !rollupFirst && incident.criticalsWaiting === 0 ? 'post' : 'wait';
}
