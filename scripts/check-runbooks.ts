/**
 * Validates a runbook folder the way start-up does, for CI and for editing runbooks:
 *
 *   tsx scripts/check-runbooks.ts [dir]     (default: $RUNBOOKS_DIR, else runbooks)
 *
 * Prints `ok: N runbooks` and exits 0, or prints each problem as `file: path: reason`
 * and exits 1. When the services file ($SERVICES_FILE, else services.yaml) exists, the
 * services and host groups the runbooks target must be in it.
 */
import { access } from 'node:fs/promises';
import { ServicesFileError } from '../src/errors.js';
import { RunbookError, formatProblem } from '../src/runbooks/errors.js';
import { inventoryProblems } from '../src/runbooks/inventory-check.js';
import { loadRunbooks } from '../src/runbooks/loader.js';
import { createCatalog, loadServicesFile } from '../src/services/catalog.js';

/** The problems of runbooks against the services file, or none when there is no such file. */
async function againstServices(runbooks: Awaited<ReturnType<typeof loadRunbooks>>): Promise<string[]> {
  const file = process.env.SERVICES_FILE || 'services.yaml';
  const present = await access(file).then(
    () => true,
    () => false,
  );
  if (!present) return [];
  return inventoryProblems(runbooks, createCatalog(await loadServicesFile(file), 'C0CHECK')).map((problem) => `${file}: ${problem}`);
}

async function main(argv: readonly string[]): Promise<number> {
  if (argv.length > 1 || argv[0] === '-h' || argv[0] === '--help') {
    process.stderr.write('usage: check-runbooks [dir]   (default: $RUNBOOKS_DIR, else runbooks)\n');
    return argv[0] === '-h' || argv[0] === '--help' ? 0 : 2;
  }
  const dir = argv[0] || process.env.RUNBOOKS_DIR || 'runbooks';
  try {
    const runbooks = await loadRunbooks(dir);
    const stale = await againstServices(runbooks);
    if (stale.length > 0) {
      for (const problem of stale) process.stderr.write(`${problem}\n`);
      return 1;
    }
    process.stdout.write(`ok: ${runbooks.length} runbook${runbooks.length === 1 ? '' : 's'} in ${dir}\n`);
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
