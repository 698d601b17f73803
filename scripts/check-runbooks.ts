/**
 * Validates a runbook folder the way start-up does, for CI and for editing runbooks:
 *
 *   tsx scripts/check-runbooks.ts [dir]     (default: $RUNBOOKS_DIR, else runbooks)
 *
 * Prints `ok: N runbooks` and exits 0, or prints each problem as `file: path: reason`
 * and exits 1.
 */
import { RunbookError, formatProblem } from '../src/runbooks/errors.js';
import { loadRunbooks } from '../src/runbooks/loader.js';

async function main(argv: readonly string[]): Promise<number> {
  if (argv.length > 1 || argv[0] === '-h' || argv[0] === '--help') {
    process.stderr.write('usage: check-runbooks [dir]   (default: $RUNBOOKS_DIR, else runbooks)\n');
    return argv[0] === '-h' || argv[0] === '--help' ? 0 : 2;
  }
  const dir = argv[0] || process.env.RUNBOOKS_DIR || 'runbooks';
  try {
    const runbooks = await loadRunbooks(dir);
    process.stdout.write(`ok: ${runbooks.length} runbook${runbooks.length === 1 ? '' : 's'} in ${dir}\n`);
    return 0;
  } catch (error) {
    if (!(error instanceof RunbookError)) throw error;
    for (const problem of error.problems) process.stderr.write(`${formatProblem(problem)}\n`);
    process.stderr.write(`${error.problems.length} problem${error.problems.length === 1 ? '' : 's'} in ${dir}\n`);
    return 1;
  }
}

process.exitCode = await main(process.argv.slice(2));
