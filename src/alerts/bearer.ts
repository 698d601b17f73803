import { secretMatches } from '../http/secret-match.js';

/** Compares an Authorization header with the expected bearer credential in constant time. */
export function bearerMatches(header: string | undefined, expected: string): boolean {
  const match = /^Bearer\s+(.+)$/i.exec(header ?? '');
  return secretMatches(match?.[1]?.trim() ?? '', expected);
}
