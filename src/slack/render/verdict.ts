/**
 * A health check's verdict in words, with its evidence: the check's name, the query's
 * value, the threshold it was held to, and a link to the query in Prometheus's graph page,
 * so a person can see for themselves what the bot saw.
 */
import type { Threshold } from '../../verify/evaluate.js';
import { effectiveVerdict, type CheckResult } from '../../verify/checks.js';
import { escapeText, link } from './escape.js';

/** Four significant digits say enough of a rate or a latency; exponents for the very large or small. */
export function formatValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (!Number.isFinite(value)) return value > 0 ? '+Inf' : '-Inf';
  if (value === 0) return '0';
  const magnitude = Math.abs(value);
  if (magnitude >= 1e6 || magnitude < 1e-4) return value.toExponential(3).replace(/\.?0+e/, 'e');
  return String(Number(value.toPrecision(4)));
}

/** "<= 0.05", ">= 10", "between 1 and 5". */
export function thresholdText({ min, max }: Threshold): string {
  if (min !== undefined && max !== undefined) return `between ${formatValue(min)} and ${formatValue(max)}`;
  if (max !== undefined) return `<= ${formatValue(max)}`;
  return `>= ${formatValue(min ?? Number.NaN)}`;
}

function comparison(result: CheckResult): string {
  const { value, threshold, verdict } = result;
  // Stored as JSON, a NaN or an infinite value comes back as null.
  if (typeof value !== 'number') return verdict === 'no-data' ? 'no data' : 'no finite value';
  if (Number.isNaN(value)) return 'no data';
  if (verdict === 'pass') return `${formatValue(value)} ${thresholdText(threshold)}`;
  return `${formatValue(value)}, expected ${thresholdText(threshold)}`;
}

const MARK = { pass: ':white_check_mark:', fail: ':x:', 'no-data': ':grey_question:' } as const;

/** What no data counted as, when its `no_data` policy turned it into a pass or a fail. */
function policyNote(result: CheckResult): string {
  if (result.verdict !== 'no-data') return '';
  const counted = effectiveVerdict(result);
  return counted === 'no-data' ? ' (waits for a person)' : ` (counted as ${counted}: no_data is ${result.noData})`;
}

/** One line per check: ":x: error-rate 0.12, expected <= 0.05 (graph)". */
export function verdictLine(result: CheckResult): string {
  const reason = result.reason ? `: ${escapeText(result.reason)}` : '';
  const graph = link(result.graphUrl, 'graph');
  return `${MARK[result.verdict]} ${escapeText(result.check)} ${comparison(result)}${reason}${policyNote(result)}${graph ? ` (${graph})` : ''}`;
}

export function verdictLines(results: readonly CheckResult[]): string {
  return results.map(verdictLine).join('\n');
}

/** In a sentence, without links: "error-rate 0.004 <= 0.05, p99-latency 0.31 <= 0.5". */
export function verdictSummary(results: readonly CheckResult[]): string {
  return results.map((result) => `${escapeText(result.check)} ${comparison(result)}`).join(', ');
}
