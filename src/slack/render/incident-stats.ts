/** `/incident stats` in words: one line per service in a fixed-width table. */
import type { ResponseStats, ServiceNumbers } from '../../actions/response-stats.js';
import type { Spread } from '../../incidents/stats.js';
import { escapeText } from './escape.js';

const MINUTE = 60;
const HOUR = 3_600;
const DAY = 86_400;
/** A service name longer than this is cut in the table, so that the columns stay aligned. */
const SERVICE_WIDTH = 24;
const FENCE = '```';

/** Seconds as short as a table cell allows: "45s", "1m30s", "25m", "2h05m", "3d4h". */
export function shortDuration(seconds: number): string {
  const s = Math.round(seconds);
  if (s < MINUTE) return `${s}s`;
  if (s < 10 * MINUTE) return s % MINUTE === 0 ? `${s / MINUTE}m` : `${Math.floor(s / MINUTE)}m${String(s % MINUTE).padStart(2, '0')}s`;
  // Rounded to the smallest unit shown before it is split, so that 59.6 minutes carry into "1h00m", never "60m".
  const minutes = Math.round(s / MINUTE);
  if (minutes < HOUR / MINUTE) return `${minutes}m`;
  if (minutes < DAY / MINUTE) return `${Math.floor(minutes / 60)}h${String(minutes % 60).padStart(2, '0')}m`;
  const hours = Math.round(s / HOUR);
  return `${Math.floor(hours / 24)}d${hours % 24}h`;
}

function windowText(ms: number): string {
  return ms % (DAY * 1000) === 0 ? `${ms / (DAY * 1000)}d` : `${Math.round(ms / (HOUR * 1000))}h`;
}

function times(spread: Spread | undefined): string {
  return spread ? `${shortDuration(spread.median)} / ${shortDuration(spread.p90)}` : '–';
}

function rollbacks({ run, verified }: ServiceNumbers['rollbacks']): string {
  return run === 0 ? '0' : `${run} (${Math.round((verified / run) * 100)}% verified)`;
}

function serviceName(service: string | undefined): string {
  const name = service ?? '(no service)';
  return name.length > SERVICE_WIDTH ? `${name.slice(0, SERVICE_WIDTH - 1)}…` : name;
}

/** Service names come from alert labels: escaped, and without backticks that would end the table early. */
export function renderResponseStats(stats: ResponseStats): string {
  const title = `*Incident numbers, last ${windowText(stats.windowMs)}* — MTTA and MTTR as median / 90th percentile, from when the bot opened each incident`;
  if (stats.services.length === 0) return `${title}\nNo incidents and no rollbacks in this window.`;
  const rows = [
    ['service', 'incidents', 'MTTA', 'MTTR', 'rollbacks'],
    ...stats.services.map((s) => [serviceName(s.service).replace(/`/g, "'"), String(s.opened), times(s.acknowledge), times(s.resolve), rollbacks(s.rollbacks)]),
  ];
  const widths = rows[0]?.map((_, column) => Math.max(...rows.map((row) => (row[column] ?? '').length))) ?? [];
  const table = rows
    .map((row) =>
      row
        .map((cell, column) => cell.padEnd(widths[column] ?? 0))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
  const note = stats.truncated ? '\nThere were more incidents or rollbacks than one answer reads: these numbers cover the start of the window.' : '';
  return `${title}\n${FENCE}\n${escapeText(table)}\n${FENCE}${note}`;
}
