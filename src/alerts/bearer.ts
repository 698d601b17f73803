import { createHash, timingSafeEqual } from 'node:crypto';

const digest = (text: string) => createHash('sha256').update(text).digest();

/**
 * Compares an Authorization header with the expected bearer credential in constant time:
 * both sides are hashed first, so neither the content nor the length leaks through timing.
 */
export function bearerMatches(header: string | undefined, expected: string): boolean {
  const match = /^Bearer\s+(.+)$/i.exec(header ?? '');
  const presented = match?.[1]?.trim() ?? '';
  return timingSafeEqual(digest(presented), digest(expected)) && presented.length > 0;
}
