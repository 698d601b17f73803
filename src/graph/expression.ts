/**
 * What an alert's graph shows, read from the alert itself: its PromQL expression (Prometheus
 * puts it in the `g0.expr` parameter of the alert's generatorURL) and, when the expression
 * ends in a comparison with a number (`rate(...) > 0.05`), that number as the threshold.
 * The graph plots the left side of such a comparison: the whole expression would keep only
 * the samples over the threshold, and hide how the metric got there.
 */
export interface GraphQuery {
  /** What to plot. */
  query: string;
  /** The number the expression compares with, if it ends in such a comparison. */
  threshold?: number;
}

/** The `g0.expr` of a Prometheus generatorURL, or undefined when the URL has none. */
export function expressionOf(generatorURL: string): string | undefined {
  let url: URL;
  try {
    url = new URL(generatorURL);
  } catch {
    return undefined;
  }
  const expr = url.searchParams.get('g0.expr')?.trim();
  return expr ? expr : undefined;
}

const TRAILING_COMPARISON = /(>=|<=|==|!=|>|<)\s*(?:bool\s+)?([-+]?(?:\d+\.?\d*|\.\d+)(?:e[-+]?\d+)?)\s*$/i;

/** `expr > 0.05` → { query: 'expr', threshold: 0.05 }; anything the split cannot be sure of stays whole. */
export function graphQueryOf(expr: string): GraphQuery {
  const match = TRAILING_COMPARISON.exec(expr);
  if (!match) return { query: expr };
  const left = unwrap(expr.slice(0, match.index).trim());
  // Another comparison or a set operator at the top level would make the number one operand among several.
  if (!left || /[<>]|==|!=|\b(and|or|unless)\b/i.test(topLevel(left))) return { query: expr };
  return { query: left, threshold: Number(match[2]) };
}

/** The expression with label matchers, strings and bracketed parts blanked: what is left is its top level. */
function topLevel(expr: string): string {
  let depth = 0;
  let quote: string | undefined;
  let out = '';
  for (const ch of expr) {
    if (quote) {
      if (ch === quote) quote = undefined;
      continue;
    }
    if (ch === '"' || ch === "'" || ch === '`') quote = ch;
    else if ('({['.includes(ch)) depth += 1;
    else if (')}]'.includes(ch)) depth -= 1;
    else if (depth === 0) out += ch;
  }
  return out;
}

/** `(a / b)` → `a / b`, so that the legend and the query read as written. */
function unwrap(expr: string): string {
  if (!expr.startsWith('(') || !expr.endsWith(')')) return expr;
  const inner = expr.slice(1, -1);
  return topLevel(`(${inner})`) === '' && balanced(inner) ? inner.trim() : expr;
}

function balanced(expr: string): boolean {
  let depth = 0;
  for (const ch of expr) {
    if (ch === '(') depth += 1;
    else if (ch === ')' && --depth < 0) return false;
  }
  return depth === 0;
}
