/**
 * Fleet command templates. Pure: no I/O.
 *
 * A command such as `systemctl restart -- {{unit}}` gets its values from the alert's labels
 * and the request's arguments, never as they are: each value must match its parameter's
 * pattern as a whole, and is then POSIX-shell single-quoted, so a label value like
 * `x; rm -rf /` reaches the shell as one literal argument or not at all.
 */
import { BotError, type ErrorCode } from '../errors.js';
import { type AnchoredRegex, anchoredRegex } from '../runbooks/regex.js';
import { placeholderProblems, placeholderRegex, placeholdersOf, type ParamSpec } from '../runbooks/schema.js';

/** Where values come from: the alert's labels and the arguments given with the request. */
export interface TemplateSources {
  labels: Readonly<Record<string, string>>;
  args: Readonly<Record<string, string>>;
}

export interface RenderedCommand {
  /** The command with every placeholder replaced by its quoted value: ready for `sh -c`. */
  command: string;
  /** Every declared parameter's value as checked, unquoted (for the audit trail and the dry-run message). */
  values: Record<string, string>;
}

export type TemplateRefusalReason = 'missing' | 'mismatch' | 'nul' | 'unknown-placeholder' | 'unsafe-placeholder' | 'invalid-pattern';

/** A command that must not run, and why, in words the requester can act on. */
export class TemplateRefusal extends BotError {
  static override readonly code: ErrorCode = 'TEMPLATE_REFUSED';

  constructor(
    readonly reason: TemplateRefusalReason,
    /** The parameter (for `unknown-placeholder` and `unsafe-placeholder`, the placeholder's name). */
    readonly param: string,
    message: string,
    /** The offending value as received, when there is one. */
    readonly value?: string,
    readonly pattern?: string,
  ) {
    super(message);
  }
}

/** POSIX shell single quoting: `'…'`, each `'` written `'\''`. The result is always one word. */
export function shellQuote(value: string): string {
  return `'${value.replaceAll("'", `'\\''`)}'`;
}

const DISPLAY_MAX = 120;
const ESCAPES: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t', '"': '\\"', '\\': '\\\\' };

/**
 * A value as it can be shown in a message: double-quoted, with quotes, backslashes and
 * invisible characters (control, format such as U+202E, line separators) escaped, and cut
 * after 120 characters.
 */
export function displayValue(value: string): string {
  const chars = Array.from(value);
  const shown = chars.slice(0, DISPLAY_MAX).join('');
  const escaped = shown.replace(
    /["\\]|[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/gu,
    (c) => ESCAPES[c] ?? `\\u{${c.codePointAt(0)?.toString(16).toUpperCase().padStart(4, '0')}}`,
  );
  return `"${escaped}"${chars.length > DISPLAY_MAX ? `… (${chars.length} characters)` : ''}`;
}

/** The value of one parameter, checked; throws a TemplateRefusal. */
function resolve(param: string, spec: ParamSpec, sources: TemplateSources): string {
  const key = spec.name ?? param;
  const words = `${spec.from} ${key}`;
  const from = spec.from === 'label' ? sources.labels : sources.args;
  // Own string properties only: a parameter named `constructor` must not find Object's.
  const given = Object.hasOwn(from, key) ? from[key] : undefined;
  // As in Prometheus, an empty label is an absent one; an empty argument is one not given.
  const value = typeof given === 'string' && given !== '' ? given : spec.default;
  if (value === undefined) {
    const absent = spec.from === 'label' ? `the alert has no ${words}` : `no ${words} was given`;
    throw new TemplateRefusal(
      'missing',
      param,
      `Refused: parameter "${param}" needs a value, but ${absent} and the parameter has no default. Nothing was run.`,
    );
  }
  if (value.includes('\0')) {
    throw new TemplateRefusal(
      'nul',
      param,
      `Refused: parameter "${param}" (${words}) is ${displayValue(value)}, which holds a NUL character that no command can take. Nothing was run.`,
      value,
      spec.pattern,
    );
  }
  let regex: AnchoredRegex;
  try {
    regex = anchoredRegex(spec.pattern);
  } catch {
    throw new TemplateRefusal(
      'invalid-pattern',
      param,
      `Refused: the pattern of parameter "${param}" is not a valid regular expression: ${spec.pattern}. Nothing was run.`,
      value,
      spec.pattern,
    );
  }
  if (!regex.test(value)) {
    throw new TemplateRefusal(
      'mismatch',
      param,
      `Refused: parameter "${param}" (${words}) is ${displayValue(value)}, which does not match its pattern ${spec.pattern}. Nothing was run.`,
      value,
      spec.pattern,
    );
  }
  return value;
}

/**
 * Renders a fleet command. Every declared parameter is resolved and checked, whether this
 * template uses it or not, so a dry run and the real run are refused alike:
 *
 * - the value is the label or argument `spec.name` (default: the parameter's name), or
 *   `spec.default` when that is absent or empty; none at all refuses;
 * - it must match `spec.pattern` as a whole (anchored, like a matcher's regex) and hold
 *   no NUL character, else the action is refused;
 * - it replaces each `{{name}}` / `{{ name }}` of the template single-quoted
 *   (`shellQuote`), so it is exactly one shell word whatever it contains.
 *
 * A placeholder with no declared parameter, or one where quoting cannot keep its value
 * one word (inside quotes, after a backslash, …: see `placeholderProblems`), refuses too;
 * the runbook loader already refuses such runbooks. Throws a TemplateRefusal; never runs anything.
 */
export function renderCommand(template: string, params: Readonly<Record<string, ParamSpec>>, sources: TemplateSources): RenderedCommand {
  const [misplaced] = placeholderProblems(template);
  if (misplaced !== undefined) {
    throw new TemplateRefusal(
      'unsafe-placeholder',
      /^\{\{(\w+)\}\}/.exec(misplaced)?.[1] ?? '',
      `Refused: the command cannot be rendered safely: ${misplaced}. Nothing was run.`,
    );
  }
  for (const name of placeholdersOf(template)) {
    if (!Object.hasOwn(params, name)) {
      throw new TemplateRefusal(
        'unknown-placeholder',
        name,
        `Refused: the command uses {{${name}}}, which is not a declared parameter of this action. Nothing was run.`,
      );
    }
  }
  const values: Record<string, string> = {};
  for (const [param, spec] of Object.entries(params)) values[param] = resolve(param, spec, sources);
  // A replacer function, so `$&` or `$1` in a value is not read as a replacement pattern.
  const command = template.replace(placeholderRegex(), (_match, name: string) => shellQuote(values[name] ?? ''));
  return { command, values };
}
