import { z } from 'zod';

/**
 * The runbook file is a public contract (see runbooks/README.md): one runbook per YAML
 * file. Every object is strict, so a misspelt key is refused instead of ignored.
 *
 * The parsed value is plain data (no compiled RegExp), so a runbook can be logged,
 * compared and snapshotted as it was written; match.ts compiles the regexes it uses.
 */

/** Runbook ids and action ids end up in Slack button values: short, stable slugs. */
const Slug = z
  .string({ error: 'expected a slug such as high-error-rate' })
  .regex(/^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$/, 'expected a slug of lower-case letters, digits and "-" (at most 64 characters, no "-" at either end)');

/** Prometheus label names. */
const LabelName = z
  .string({ error: 'expected a label name such as alertname' })
  .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'expected a Prometheus label name (letters, digits and "_", not starting with a digit)');

/** Label values are strings; YAML reads 500 or true as a number or a boolean. */
const quoteHint = 'expected a string; quote values that YAML would read as a number or a boolean, e.g. "500"';

/** Same rule as the services file's service names. */
const ServiceName = z
  .string({ error: 'expected a service name' })
  .regex(/^[a-z0-9][a-z0-9._-]{0,62}$/, 'expected a service name of lower-case letters, digits, ".", "_" or "-"');

/**
 * Anchors a matcher's regex the way Prometheus does: the whole label value must match.
 * The one place that builds the RegExp, so loading and matching cannot disagree.
 */
export function anchoredRegex(source: string): RegExp {
  return new RegExp(`^(?:${source})$`);
}

/** Why a regex does not compile, or undefined when it does. */
function regexProblem(source: string): string | undefined {
  try {
    anchoredRegex(source);
    return undefined;
  } catch (error) {
    // V8 says "Invalid regular expression: /^(?:…)$/: Invalid group"; keep the reason, not our anchoring.
    const reason = (error instanceof Error ? error.message : String(error)).replace(/^Invalid regular expression: \/.*\/[a-z]*: /s, '');
    const hint = /^\(\?[a-zA-Z]/.test(source)
      ? '; JavaScript regexes have no inline flags such as (?i): write a character class like [Pp]ayment instead'
      : '';
    return `invalid regular expression (${reason})${hint}`;
  }
}

/**
 * A label matcher: `{ label, equals }` (exact value) or `{ label, regex }` (the whole
 * value must match, as in Prometheus). A label the alert does not have counts as "",
 * as in Prometheus: `equals: ""` holds for an absent label, `regex: ".+"` requires one.
 */
export const LabelMatcher = z
  .strictObject({
    label: LabelName,
    equals: z.string({ error: quoteHint }).optional(),
    regex: z.string({ error: quoteHint }).optional(),
  })
  .superRefine((m, ctx) => {
    const given = Number(m.equals !== undefined) + Number(m.regex !== undefined);
    if (given !== 1) {
      ctx.addIssue({
        code: 'custom',
        path: [],
        message: given === 0 ? 'expected "equals" or "regex" beside "label"' : 'expected either "equals" or "regex", not both',
      });
      return;
    }
    if (m.regex !== undefined) {
      const problem = regexProblem(m.regex);
      if (problem) ctx.addIssue({ code: 'custom', path: ['regex'], message: problem });
    }
  })
  .transform((m): LabelMatcherOutput => (m.regex !== undefined ? { label: m.label, regex: m.regex } : { label: m.label, equals: m.equals ?? '' }));

type LabelMatcherOutput = { label: string; equals: string } | { label: string; regex: string };
export type LabelMatcher = z.output<typeof LabelMatcher>;

/** Fields every action kind has. */
const actionBase = {
  id: Slug,
  /** The button's label in Slack. */
  title: z.string({ error: 'expected the button label' }).trim().min(1, 'expected the button label').max(30, 'at most 30 characters: it is a button label'),
  /** Text of a confirmation dialog shown before the request is sent. */
  confirm: z.string().trim().min(1).max(300, 'at most 300 characters: Slack cuts longer confirmation texts').optional(),
};

/** Roll a service back by re-running its last good deployment (its settings are in the services file). */
export const RollbackAction = z.strictObject({
  ...actionBase,
  kind: z.literal('rollback'),
  /** The service to roll back; default: the value of the alert's service label (SERVICE_LABEL). */
  service: ServiceName.optional(),
});
export type RollbackAction = z.output<typeof RollbackAction>;

/**
 * The action kinds, told apart by `kind`. A new kind (fleet, …) is one more strictObject
 * with `...actionBase` and its own `kind` literal, added to this list; the others stay as
 * they are.
 */
export const RunbookAction = z.discriminatedUnion('kind', [RollbackAction]);
export type RunbookAction = z.output<typeof RunbookAction>;
export type RunbookActionKind = RunbookAction['kind'];

export const Runbook = z
  .strictObject({
    id: Slug,
    title: z.string({ error: 'expected a title' }).trim().min(1, 'expected a title'),
    description: z.string().optional(),
    /** All matchers must hold (AND). At least one: a runbook must not apply to every alert by accident. */
    match: z.array(LabelMatcher, { error: 'expected a list of matchers such as - { label: alertname, equals: HighErrorRate }' }).min(1, 'expected at least one matcher'),
    actions: z.array(RunbookAction, { error: 'expected a list of actions' }).min(1, 'expected at least one action'),
  })
  .superRefine((runbook, ctx) => {
    const seen = new Set<string>();
    runbook.actions.forEach((action, index) => {
      if (seen.has(action.id)) {
        ctx.addIssue({ code: 'custom', path: ['actions', index, 'id'], message: `duplicate action id "${action.id}" in this runbook` });
      }
      seen.add(action.id);
    });
  });
export type Runbook = z.output<typeof Runbook>;
