import { createHash, timingSafeEqual } from 'node:crypto';

const digest = (text: string) => createHash('sha256').update(text).digest();

/**
 * Compares a presented secret with the expected one in constant time: both sides are
 * hashed first, so neither the content nor the length leaks through timing. An empty
 * presentation never matches.
 */
export function secretMatches(presented: string, expected: string): boolean {
  return timingSafeEqual(digest(presented), digest(expected)) && presented.length > 0;
}
