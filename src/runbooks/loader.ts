import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { z } from 'zod';
import { readYaml } from '../yaml-data.js';
import { RunbookError, type RunbookProblem } from './errors.js';
import { Runbook } from './schema.js';

/** What checking one file gives: the runbook, or why there is none. */
export interface RunbookCheck {
  runbook?: Runbook;
  /** The `id` as written, when it is a string: duplicates are found even in a file with other problems. */
  id?: string;
  problems: RunbookProblem[];
}

const RUNBOOK_FILE = /\.ya?ml$/i;

function issueReason(issue: z.core.$ZodIssue): string {
  if (issue.code === 'invalid_union' && 'discriminator' in issue && issue.discriminator) {
    const options = ('options' in issue && Array.isArray(issue.options) ? issue.options : []).map(String);
    return `expected ${issue.discriminator} to be one of: ${options.join(', ')}`;
  }
  // A missing field reads "required", whatever message the schema gives a wrong type.
  if (issue.code === 'invalid_type' && issue.input === undefined) {
    return `required (expected ${issue.expected})`;
  }
  return issue.message;
}

/** Checks one runbook file's text; never throws. */
export function checkRunbook(text: string, fileName: string): RunbookCheck {
  const problem = (path: string, reason: string): RunbookCheck => ({ problems: [{ file: fileName, path, reason }] });
  const data = readYaml(text, 'runbook');
  if (!data.ok) return { problems: data.problems.map((p) => ({ file: fileName, ...p })) };
  const value = data.value;
  if (value === null || value === undefined) {
    return problem('(file)', 'the file is empty; expected a runbook with id, title, match and actions');
  }
  const id = typeof value === 'object' && 'id' in value && typeof value.id === 'string' ? value.id : undefined;
  const parsed = Runbook.safeParse(value, { reportInput: true });
  if (!parsed.success) {
    return {
      ...(id !== undefined ? { id } : {}),
      problems: parsed.error.issues.map((issue) => ({
        file: fileName,
        path: issue.path.map(String).join('.') || '(top level)',
        reason: issueReason(issue),
      })),
    };
  }
  return { runbook: parsed.data, id: parsed.data.id, problems: [] };
}

/** Parses one runbook file's text; a RunbookError names the file, the path in it and the reason. */
export function parseRunbook(text: string, fileName: string): Runbook {
  const { runbook, problems } = checkRunbook(text, fileName);
  if (!runbook) throw new RunbookError(problems);
  return runbook;
}

export interface LoadOptions {
  /** Problems of a valid runbook against other files (services.yaml), reported with its file like any other. */
  crossCheck?: (runbook: Runbook) => Omit<RunbookProblem, 'file'>[];
}

/**
 * Reads every *.yaml / *.yml file of `dir` (not its sub-folders, not hidden files), in
 * file-name order, which is also the order of the buttons. All problems of all files,
 * duplicate runbook ids included, are thrown together in one RunbookError.
 * An empty folder gives no runbooks; a missing one is an error.
 */
export async function loadRunbooks(dir: string, options: LoadOptions = {}): Promise<Runbook[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'error';
    throw new RunbookError([{ file: dir, path: '(folder)', reason: `cannot be read (${code}); set RUNBOOKS_DIR to the runbook folder` }], { cause: error });
  }
  // Code-unit order: the same on every machine, whatever its locale.
  const files = names.filter((name) => RUNBOOK_FILE.test(name) && !name.startsWith('.')).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));

  const problems: RunbookProblem[] = [];
  const runbooks: Runbook[] = [];
  const firstFileOf = new Map<string, string>();
  for (const name of files) {
    const file = join(dir, name);
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (error) {
      problems.push({ file, path: '(file)', reason: `cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'})` });
      continue;
    }
    const check = checkRunbook(text, file);
    problems.push(...check.problems);
    if (check.id !== undefined) {
      const earlier = firstFileOf.get(check.id);
      if (earlier) {
        problems.push({ file, path: 'id', reason: `duplicate runbook id "${check.id}": ${earlier} already uses it` });
        continue;
      }
      firstFileOf.set(check.id, file);
    }
    if (check.runbook) {
      problems.push(...(options.crossCheck?.(check.runbook) ?? []).map((problem) => ({ file, ...problem })));
      runbooks.push(check.runbook);
    }
  }
  if (problems.length > 0) throw new RunbookError(problems);
  return runbooks;
}
