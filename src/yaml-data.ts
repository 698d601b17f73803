/**
 * Reads one YAML document of a configuration file (a runbook, the services file) into plain
 * data for its zod schema, with every problem named by where it is. Never throws: the
 * loaders add the file name and refuse to start.
 */
import { parseDocument } from 'yaml';

/** `line 3, column 5` for YAML syntax, `(file)` for the file as a whole, else a dotted path. */
export interface YamlProblem {
  path: string;
  reason: string;
}

export type YamlData = { ok: true; value: unknown } | { ok: false; problems: YamlProblem[] };

function syntaxReason(error: { code: string; message: string }, holds: string): string {
  if (error.code === 'MULTIPLE_DOCS') return `one ${holds} per file: this file holds more than one YAML document (---)`;
  const first = error.message.split('\n')[0] ?? error.message;
  return `YAML syntax: ${first.replace(/ at line \d+, column \d+:?$/, '')}`;
}

// A mapping key `__proto__` becomes an own property of the data, which zod's records then
// drop without a word: a service or a variable would vanish instead of being refused.
const RESERVED_KEY = '__proto__';

/**
 * The paths of every `__proto__` key, breadth first. Iterative, so no nesting depth can
 * overflow the stack; each object once, so an alias (a shared or cyclic object) ends.
 */
function reservedKeyPaths(root: unknown): string[][] {
  const found: string[][] = [];
  const seen = new Set<object>();
  const pending: { value: unknown; path: string[] }[] = [{ value: root, path: [] }];
  for (let i = 0; i < pending.length; i += 1) {
    const { value, path } = pending[i] ?? { value: undefined, path: [] };
    if (value === null || typeof value !== 'object' || seen.has(value)) continue;
    seen.add(value);
    for (const [key, child] of Object.entries(value)) {
      if (key === RESERVED_KEY) found.push([...path, key]);
      else pending.push({ value: child, path: [...path, key] });
    }
  }
  return found;
}

/**
 * The document's data, or every problem: YAML syntax, aliases, and reserved keys.
 * `holds` names what one file holds ("runbook"), for a file with several documents.
 */
export function readYaml(text: string, holds: string): YamlData {
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    return {
      ok: false,
      problems: doc.errors.map((error) => {
        const at = error.linePos?.[0];
        return { path: at ? `line ${at.line}, column ${at.col}` : '(file)', reason: syntaxReason(error, holds) };
      }),
    };
  }
  let value: unknown;
  try {
    value = doc.toJS();
  } catch (error) {
    // An alias to an anchor not defined (`*name`), or aliases that expand past yaml's
    // maxAliasCount (an alias bomb): the message says which.
    return { ok: false, problems: [{ path: '(file)', reason: `YAML: ${error instanceof Error ? error.message : String(error)}` }] };
  }
  const reserved = reservedKeyPaths(value);
  if (reserved.length > 0) {
    return {
      ok: false,
      problems: reserved.map((path) => ({ path: path.join('.'), reason: `"${RESERVED_KEY}" cannot be a name: JavaScript reserves it` })),
    };
  }
  return { ok: true, value };
}
