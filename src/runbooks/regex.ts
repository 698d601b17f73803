/**
 * Runbook regexes (matchers and fleet parameter patterns), compiled with RE2.
 *
 * Label values come from outside; a backtracking engine lets a regex such as `(a+)+b`
 * spend exponential time on a short value and freeze every webhook and click. RE2 matches
 * in time linear in the value, and it is what Prometheus and Alertmanager use, so a
 * runbook's matcher means what the same matcher means in an Alertmanager route.
 */
import { RE2JS, RE2JSException } from 're2js';

/** A compiled runbook regex: `test` holds when the whole value matches. */
export interface AnchoredRegex {
  test(value: string): boolean;
}

// Keyed by the regexes written in the runbook files, so bounded by them; loading compiles
// each one and matching finds it here.
const compiled = new Map<string, AnchoredRegex>();

/**
 * Anchors a regex the way Alertmanager does (`^(?:re)$`): the whole value must match.
 * Compiled once per source. Throws an RE2JSException when RE2 cannot compile it; loading
 * refuses such runbooks first (see `regexProblem`).
 */
export function anchoredRegex(source: string): AnchoredRegex {
  let regex = compiled.get(source);
  if (!regex) {
    const re2 = RE2JS.compile(`^(?:${source})$`);
    regex = { test: (value) => re2.test(value) };
    compiled.set(source, regex);
  }
  return regex;
}

const UNSUPPORTED_HINT = 'RE2 syntax, as in Prometheus and Alertmanager, has no backreferences (\\1), lookahead (?=…) or lookbehind (?<=…)';

/** Why RE2 cannot compile a regex, or undefined when it can. */
export function regexProblem(source: string): string | undefined {
  try {
    // Alone first, so a reason quotes the text as written and `a)|(b` cannot escape the anchoring.
    RE2JS.compile(source);
    anchoredRegex(source);
    return undefined;
  } catch (error) {
    if (!(error instanceof RE2JSException)) throw error;
    const reason = error.message.replace(/^error parsing regexp: /, '');
    const unsupported = /\\[1-9]|\(\?<?[=!]/.test(source);
    return `invalid regular expression (${reason})${unsupported ? `; ${UNSUPPORTED_HINT}` : ''}`;
  }
}
