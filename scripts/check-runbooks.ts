/**
 * Validates a runbook folder the way start-up does, for CI and for editing runbooks:
 *
 *   tsx scripts/check-runbooks.ts [dir]     (default: $RUNBOOKS_DIR, else runbooks)
 *
 * Prints what it checked (`ok: 5 runbooks, 2 services (runbooks, services.yaml)`) and
 * exits 0, or prints each problem as `file: path: reason` (a broken services file as the
 * bot reports it) and exits 1. When the services file ($SERVICES_FILE, else services.yaml)
 * exists, the services and host groups the runbooks target must be in it, so must the
 * health checks their `verify` names, and when PROMETHEUS_URL is
 * set (with PROMETHEUS_TOKEN and PROMETHEUS_TIMEOUT as the bot reads them), each health
 * check's query is sent to Prometheus once.
 */
import { access } from 'node:fs/promises';
import { parseDuration } from '../src/config/duration.js';
import { ServicesFileError } from '../src/errors.js';
import { RunbookError, formatProblem } from '../src/runbooks/errors.js';
import { inventoryProblems, verifyCheckProblems } from '../src/runbooks/inventory-check.js';
import { loadRunbooks } from '../src/runbooks/loader.js';
import { createCatalog, loadServicesFile } from '../src/services/catalog.js';
import type { ServicesFile } from '../src/services/schema.js';
import { PrometheusClient } from '../src/verify/prometheus-client.js';
import { queryProblems } from '../src/verify/query-check.js';

interface ServicesChecked {
  file: string;
  /** Undefined when there is no such file. */
  services: number | undefined;
  problems: string[];
}

const servicesFile = () => process.env.SERVICES_FILE || 'services.yaml';

/** The services file, when there is one to check the runbooks against. */
async function readServices(): Promise<ServicesFile | undefined> {
  const file = servicesFile();
  const present = await access(file).then(
    () => true,
    () => false,
  );
  return present ? loadServicesFile(file) : undefined;
}

/** The problems of runbooks against the services file, or none when there is no such file. */
async function againstServices(runbooks: Awaited<ReturnType<typeof loadRunbooks>>, services: ServicesFile | undefined): Promise<ServicesChecked> {
  const file = servicesFile();
  if (!services) return { file, services: undefined, problems: [] };
  const problems = [...inventoryProblems(runbooks, createCatalog(services, 'C0CHECK')), ...(await againstPrometheus(services))];
  return { file, services: Object.keys(services.services).length, problems: problems.map((problem) => `${file}: ${problem}`) };
}

const count = (n: number, noun: string) => `${n} ${noun}${n === 1 ? '' : 's'}`;

/** What was checked, so that a pass over an empty or wrong folder does not look like a pass over the real one. */
function okLine(runbooks: number, dir: string, checked: ServicesChecked): string {
  if (checked.services === undefined) return `ok: ${count(runbooks, 'runbook')} (${dir}); no ${checked.file}, so their targets were not checked`;
  return `ok: ${count(runbooks, 'runbook')}, ${count(checked.services, 'service')} (${dir}, ${checked.file})`;
}

/** Each health check's query sent once, when PROMETHEUS_URL says where. */
async function againstPrometheus(services: ServicesFile): Promise<string[]> {
  const url = process.env.PROMETHEUS_URL?.trim().replace(/\/+$/, '');
  if (!url) return [];
  const timeout = process.env.PROMETHEUS_TIMEOUT?.trim() || '5s';
  const timeoutMs = parseDuration(timeout);
  if (!URL.canParse(url) || !/^https?:$/.test(new URL(url).protocol)) return [`PROMETHEUS_URL: expected the Prometheus base URL, got "${url}"`];
  if (timeoutMs === undefined) return [`PROMETHEUS_TIMEOUT: expected a duration such as 5s, got "${timeout}"`];
  return queryProblems(services, new PrometheusClient({ url, token: process.env.PROMETHEUS_TOKEN?.trim() || undefined, timeoutMs, retries: 1 }));
}

async function main(argv: readonly string[]): Promise<number> {
  if (argv.length > 1 || argv[0] === '-h' || argv[0] === '--help') {
    process.stderr.write('usage: check-runbooks [dir]   (default: $RUNBOOKS_DIR, else runbooks)\n');
    return argv[0] === '-h' || argv[0] === '--help' ? 0 : 2;
  }
  const dir = argv[0] || process.env.RUNBOOKS_DIR || 'runbooks';
  try {
    const services = await readServices();
    const catalog = services && createCatalog(services, 'C0CHECK');
    const runbooks = await loadRunbooks(dir, catalog ? { crossCheck: (runbook) => verifyCheckProblems(runbook, catalog) } : {});
    const checked = await againstServices(runbooks, services);
    if (checked.problems.length > 0) {
      for (const problem of checked.problems) process.stderr.write(`${problem}\n`);
      return 1;
    }
    process.stdout.write(`${okLine(runbooks.length, dir, checked)}\n`);
    return 0;
  } catch (error) {
    if (error instanceof ServicesFileError) {
      for (const problem of error.problems) process.stderr.write(`${error.file}: ${problem}\n`);
      return 1;
    }
    if (!(error instanceof RunbookError)) throw error;
    for (const problem of error.problems) process.stderr.write(`${formatProblem(problem)}\n`);
    process.stderr.write(`${error.problems.length} problem${error.problems.length === 1 ? '' : 's'} in ${dir}\n`);
    return 1;
  }
}

process.exitCode = await main(process.argv.slice(2));
