/**
 * The structure the design asks for, checked on the source itself so that it stays true:
 * small files, text for people written only in src/slack, SDKs only at the edge, and
 * folder dependencies that point one way.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve, sep } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');
const MAX_LINES = 300;

function sourceFiles(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.ts'))
    .map((entry) => relative(ROOT, join(entry.parentPath, entry.name)).split(sep).join('/'))
    .sort();
}

const SRC = sourceFiles('src');
const COMMANDS = sourceFiles('commands');
const text = (file: string) => readFileSync(join(ROOT, file), 'utf8');

/** The folders a module imports from, by relative specifier, resolved against the repository root. */
function importedFiles(file: string): string[] {
  const specifiers = [...text(file).matchAll(/^\s*(?:import|export)\b[^'"]*?from\s+'(\.[^']+)'/gm)].map((m) => m[1] ?? '');
  return specifiers.map((spec) =>
    relative(ROOT, resolve(ROOT, file, '..', spec))
      .split(sep)
      .join('/'),
  );
}

/** `src/incidents/x.ts` -> `incidents`; `src/errors.ts` -> `errors`; `commands/x.ts` -> `commands`. */
function folderOf(file: string): string {
  const parts = file.split('/');
  if (parts[0] !== 'src') return parts[0] ?? '';
  return (parts[1] ?? '').replace(/\.ts$/, '');
}

function folderEdges(): Map<string, Set<string>> {
  const edges = new Map<string, Set<string>>();
  for (const file of [...SRC, ...COMMANDS]) {
    const from = folderOf(file);
    for (const target of importedFiles(file)) {
      const to = folderOf(target);
      if (to === from) continue;
      if (!edges.has(from)) edges.set(from, new Set());
      edges.get(from)?.add(to);
    }
  }
  return edges;
}

describe('architecture', () => {
  it('finds the source it checks', () => {
    expect(SRC.length).toBeGreaterThan(50);
    expect(COMMANDS.length).toBeGreaterThan(3);
  });

  it(`keeps every module but a schema under ${MAX_LINES} lines`, () => {
    const long = SRC.filter((file) => !/(^|\/)schema\.ts$/.test(file))
      .map((file) => ({ file, lines: text(file).split('\n').length }))
      .filter(({ lines }) => lines > MAX_LINES);
    expect(long).toEqual([]);
  });

  it('writes Slack mentions only in src/slack', () => {
    const offenders = [...SRC, ...COMMANDS]
      .filter((file) => !file.startsWith('src/slack/'))
      .filter((file) => /<@|<!(?:subteam|here|channel|everyone)/.test(text(file).replace(/\/(?:\\.|[^/\n])+\/[a-z]*/g, '')));
    expect(offenders).toEqual([]);
  });

  it('lets only the adapters and the composition root import an SDK', () => {
    const sdk = /from '(?:@slack\/|@gitbeaker\/|ioredis|ssh2)/;
    const allowed = /^src\/(?:app\.ts|logger\.ts|slack\/|gitlab\/|store\/redis|fleet\/ssh-)/;
    const offenders = [...SRC, ...COMMANDS].filter((file) => sdk.test(text(file)) && !allowed.test(file));
    expect(offenders).toEqual([]);
  });

  it('has no cycle between folders', () => {
    const edges = folderEdges();
    const cycles: string[] = [];
    for (const [from, targets] of edges) {
      for (const to of targets) {
        if (from < to && edges.get(to)?.has(from)) cycles.push(`${from} <-> ${to}`);
      }
    }
    expect(cycles).toEqual([]);
  });

  it('never lets the bot import the demo’s stand-ins', () => {
    // Static, side-effect and dynamic imports alike: the demo's Slack and GitLab must never be part of the bot.
    const imports = (file: string) => [...text(file).matchAll(/(?:\bfrom\s+|\bimport\s*\(\s*|^\s*import\s+)'(\.[^']+)'/gm)].map((m) => m[1] ?? '');
    const offenders = [...SRC, ...COMMANDS].filter((file) =>
      imports(file).some((spec) =>
        relative(ROOT, resolve(ROOT, file, '..', spec))
          .split(sep)
          .join('/')
          .startsWith('demo/'),
      ),
    );
    expect(offenders).toEqual([]);
  });

  it('keeps the incident domain free of the actions and alerts layers', () => {
    const edges = folderEdges();
    expect([...(edges.get('incidents') ?? [])].filter((to) => to === 'actions' || to === 'alerts' || to === 'slack')).toEqual([]);
  });
});
