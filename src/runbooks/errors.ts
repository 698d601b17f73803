import { BotError, type ErrorCode } from '../errors.js';

/** One thing wrong with a runbook: the file, where in it, and why. */
export interface RunbookProblem {
  /** The file as it was read (the folder joined with the file name), or the folder itself. */
  file: string;
  /**
   * Dotted path inside the file (`actions.0.title`), `line 3, column 5` for YAML syntax,
   * `(top level)` for the runbook as a whole, `(file)` or `(folder)` when it cannot be read.
   */
  path: string;
  reason: string;
}

export function formatProblem(problem: RunbookProblem): string {
  return `${problem.file}: ${problem.path}: ${problem.reason}`;
}

/** Every problem found in a runbook folder, so one start-up (or one `check` run) shows them all. */
export class RunbookError extends BotError {
  static override readonly code: ErrorCode = 'RUNBOOKS_INVALID';

  constructor(
    readonly problems: readonly RunbookProblem[],
    options?: { cause?: unknown },
  ) {
    const count = `${problems.length} runbook problem${problems.length === 1 ? '' : 's'}`;
    super(`${count}:\n  - ${problems.map(formatProblem).join('\n  - ')}`, options);
  }
}
