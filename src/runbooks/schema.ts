import { validate as validateCron, validateDetailed as cronDetails } from 'node-cron';
import { z } from 'zod';
import { Duration } from '../config/duration-field.js';
import { SERVICE_NAME, SERVICE_NAME_RULE, SLUG, SLUG_RULE } from '../names.js';
import { HealthCheck } from '../services/schema.js';
import { anchoredRegex, regexProblem } from './regex.js';

/**
 * The runbook file is a public contract (see runbooks/README.md): one runbook per YAML
 * file. Every object is strict, so a misspelt key is refused instead of ignored.
 *
 * The parsed value is plain data (no compiled RegExp), so a runbook can be logged,
 * compared and snapshotted as it was written. Its regexes are compiled with RE2 while it
 * is validated (regex.ts), and match.ts and src/fleet/template.ts reuse them; durations
 * stay strings ("30s") that `durationMs` converts.
 */

/** Runbook ids and action ids end up in Slack button values: short, stable slugs. */
const Slug = z.string({ error: 'expected a slug such as high-error-rate' }).regex(SLUG, `expected a slug of ${SLUG_RULE}`);

/** Prometheus label names. */
const LabelName = z
  .string({ error: 'expected a label name such as alertname' })
  .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'expected a Prometheus label name (letters, digits and "_", not starting with a digit)');

/** Label values are strings; YAML reads 500 or true as a number or a boolean. */
const quoteHint = 'expected a string; quote values that YAML would read as a number or a boolean, e.g. "500"';

/** Same rule as the services file's service names. */
const ServiceName = z.string({ error: 'expected a service name' }).regex(SERVICE_NAME, `expected a service name of ${SERVICE_NAME_RULE}`);

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

/** Parameter names, label names and argument names a fleet action reads. */
const ParamName = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * A placeholder in a fleet command: `{{name}}` or `{{ name }}`, where name is a parameter
 * name. Any other text between double braces (`{{.Names}}` of docker --format, …) is left
 * as it is. One definition for loading and rendering, so they cannot disagree.
 */
export function placeholderRegex(): RegExp {
  return /\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g;
}

/** The parameter names a command template uses, each once, in order of first use. */
export function placeholdersOf(template: string): string[] {
  return [...new Set(Array.from(template.matchAll(placeholderRegex()), (m) => m[1] ?? ''))];
}

/**
 * Where a placeholder may stand in a command: only where the shell reads a plain word, so
 * that its single-quoted value stays one literal word. Not inside '…', "…" or $'…' (the
 * value's quotes would close them), not right after a backslash or a `$`, not in a
 * comment and not in a command with a here-document (`<<`), whose body is not quoted
 * text. Returns one message per misplaced placeholder; [] when all are safe.
 *
 * It cannot see what a program does with its arguments: never hand a parameter to
 * `eval`, `sh -c`, `ssh host …`, `su -c` or anything else that parses it as shell again.
 */
export function placeholderProblems(template: string): string[] {
  const problems: string[] = [];
  const placeholder = /\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/y;
  const placeholderAt = (at: number): RegExpExecArray | null => {
    placeholder.lastIndex = at;
    return placeholder.exec(template);
  };
  const misplaced = (name: string, where: string) =>
    problems.push(`{{${name}}} is ${where}: write it on its own, outside any quotes; its value is quoted for you`);
  const heredoc = hasHeredoc(template);
  // Nesting that matters: "…" (where a value's quotes are literal and $(…) still runs),
  // $(…) and `…` inside or outside it. '…', $'…' and comments hold no nesting.
  const stack: ('double' | 'sub' | 'backtick')[] = [];
  let flat: 'single' | 'ansi' | 'comment' | undefined;
  let i = 0;
  while (i < template.length) {
    const found = placeholderAt(i);
    if (found) {
      const name = found[1] ?? '';
      if (flat === 'single') misplaced(name, 'inside single quotes');
      else if (flat === 'ansi') misplaced(name, "inside $'…' quotes");
      else if (flat === 'comment') misplaced(name, 'in a comment (a newline in its value would end the comment)');
      else if (stack.includes('double')) misplaced(name, 'inside double quotes');
      else if (stack.includes('backtick')) misplaced(name, 'inside `…`: use $(…) instead');
      else if (template[i - 1] === '$') misplaced(name, 'right after "$"');
      else if (heredoc) misplaced(name, 'in a command with a here-document (<<), whose body is not quoted');
      i += found[0].length;
      continue;
    }
    const c = template[i];
    const top = stack.at(-1);
    if (flat === 'single') {
      if (c === "'") flat = undefined;
    } else if (flat === 'comment') {
      if (c === '\n') flat = undefined;
    } else if (c === '\\') {
      // An escaped character is literal; a placeholder right after it would lose its opening quote.
      const escaped = placeholderAt(i + 1);
      if (escaped) misplaced(escaped[1] ?? '', flat === 'ansi' ? "inside $'…' quotes" : top === 'double' ? 'inside double quotes' : 'right after a backslash');
      i += escaped ? 1 + escaped[0].length : 2;
      continue;
    } else if (flat === 'ansi') {
      if (c === "'") flat = undefined;
    } else if (c === '$' && template[i + 1] === '(') {
      stack.push('sub');
      i += 2;
      continue;
    } else if (c === '`') {
      if (top === 'backtick') stack.pop();
      else stack.push('backtick');
    } else if (top === 'double') {
      if (c === '"') stack.pop();
    } else if (c === '"') {
      stack.push('double');
    } else if (c === "'") {
      flat = template[i - 1] === '$' ? 'ansi' : 'single';
    } else if (c === ')' && top === 'sub') {
      stack.pop();
    } else if (c === '#' && (i === 0 || /[\s;&|()<>]/.test(template[i - 1] ?? ''))) {
      flat = 'comment';
    }
    i += 1;
  }
  return problems;
}

/** A here-document operator (<< or <<-, not bash's <<< here-string) outside quotes. */
function hasHeredoc(template: string): boolean {
  return /(?<!<)<<(?!<)/.test(template.replace(/'[^']*'|"(?:[^"\\]|\\.)*"/gs, ''));
}

/** A batch size: a count of hosts (2) or a percentage of the hosts left after the canary ("25%"). */
export type BatchSize = number | `${number}%`;
const BATCH_HINT = 'expected a count of hosts such as 2 or a percentage such as "25%"';
const PERCENT = /^(\d{1,3}(?:\.\d+)?)%$/;

const BatchSizeSchema = z
  .union([z.number(), z.string()], { error: BATCH_HINT })
  .superRefine((size, ctx) => {
    if (typeof size === 'number') {
      if (!Number.isInteger(size) || size < 1) ctx.addIssue({ code: 'custom', message: `${BATCH_HINT}; a count is a whole number of at least 1` });
      return;
    }
    const percent = PERCENT.exec(size);
    if (!percent) ctx.addIssue({ code: 'custom', message: `${BATCH_HINT}; got ${JSON.stringify(size)}` });
    else if (!(Number(percent[1]) > 0 && Number(percent[1]) <= 100)) ctx.addIssue({ code: 'custom', message: 'a percentage is more than 0% and at most 100%' });
  })
  .transform((size) => size as BatchSize);

/** How a fleet action spreads over its hosts; see src/fleet/rollout.ts. */
export const Rollout = z.strictObject({
  /** Hosts of the first batch, alone; any failure among them halts the rollout. */
  canary: z.number({ error: 'expected a number of canary hosts such as 1' }).int('expected a whole number').min(0, 'expected 0 or more').default(1),
  /** The batches after the canary, in order; the last one takes every host still left. */
  batches: z
    .array(BatchSizeSchema, { error: `expected a list of batch sizes such as [1, "50%", "100%"]` })
    .min(1, 'expected at least one batch, e.g. ["100%"]')
    .default(['100%']),
  /** Failed hosts tolerated before the rollout halts; 0 halts on the first. A failed canary always halts. */
  max_failures: z.number({ error: 'expected a number of failures such as 0' }).int('expected a whole number').min(0, 'expected 0 or more').default(0),
  /** Wait between two batches. */
  pause: Duration({ min: 0, max: 3_600_000, minText: '0s', maxText: '1h' }).default('0s'),
});
export type Rollout = z.output<typeof Rollout>;

const CHECK_REF_HINT = `expected the name of a health check of the service (${SLUG_RULE}) or an inline check { name, query, min and/or max, no_data }`;

/**
 * Health checks evaluated after the canary and after each batch, before the next one
 * starts (see src/fleet/verification.ts): `samples` rounds `interval` apart, the first one
 * `interval` after the batch. More than `failure_limit` failing rounds halt the rollout;
 * a round with no data for a check whose `no_data` is pause halts it at once. Checks are
 * names from the service's `health` in the services file (checked against it at load when
 * the service is known, else when the action is requested) or inline checks.
 */
export const FleetVerify = z
  .strictObject({
    checks: z
      .array(z.union([z.string().regex(SLUG, CHECK_REF_HINT), HealthCheck], { error: CHECK_REF_HINT }), {
        error: 'expected a list of checks such as [error-rate]',
      })
      .min(1, 'expected at least one check'),
    interval: Duration({ min: 1_000, max: 600_000, minText: '1s', maxText: '10m' }).default('30s'),
    samples: z
      .number({ error: 'expected a number of samples such as 3' })
      .int('expected a whole number')
      .min(1, 'expected 1 or more')
      .max(60, 'at most 60')
      .default(3),
    /** Failing samples tolerated; 0 halts on the first. */
    failure_limit: z.number({ error: 'expected a number such as 0' }).int('expected a whole number').min(0, 'expected 0 or more').default(0),
  })
  .superRefine((verify, ctx) => {
    if (verify.failure_limit >= verify.samples) {
      ctx.addIssue({
        code: 'custom',
        path: ['failure_limit'],
        message: `expected fewer than samples (${verify.samples}): with ${verify.failure_limit} failing samples tolerated, failing checks could never halt the rollout`,
      });
    }
    const seen = new Set<string>();
    verify.checks.forEach((check, index) => {
      const name = typeof check === 'string' ? check : check.name;
      if (seen.has(name)) ctx.addIssue({ code: 'custom', path: ['checks', index], message: `check "${name}" is listed twice` });
      seen.add(name);
    });
  });
export type FleetVerify = z.output<typeof FleetVerify>;

/** Where a fleet action runs. The actions layer turns these into host names. */
export const FleetTargets = z.discriminatedUnion('from', [
  /** The hosts named by the `instance` label of the matching alerts (a `:port` suffix is not a host). */
  z.strictObject({ from: z.literal('alert-instance') }),
  /** Every host of a service in services.yaml: `service`, else the alert's service label. */
  z.strictObject({ from: z.literal('service-hosts'), service: ServiceName.optional() }),
  /** A named group of hosts. */
  z.strictObject({ from: z.literal('group'), group: Slug }),
]);
export type FleetTargets = z.output<typeof FleetTargets>;

/** The CI/CD variables every fleet pipeline receives; a runbook cannot set them itself. */
export const PIPELINE_HOSTS_VARIABLE = 'CHATOPS_HOSTS';
export const PIPELINE_COMMAND_VARIABLE = 'CHATOPS_COMMAND';
/** Unique to each batch's request: how the bot finds a pipeline whose creation GitLab did not confirm. */
export const PIPELINE_BATCH_VARIABLE = 'CHATOPS_BATCH';
const RESERVED_PIPELINE_VARIABLES: readonly string[] = [PIPELINE_HOSTS_VARIABLE, PIPELINE_COMMAND_VARIABLE, PIPELINE_BATCH_VARIABLE];

/** Stricter than GitLab (which allows a leading digit), so that a job's shell can read every one. */
const CiVariableName = /^[A-Za-z_][A-Za-z0-9_]{0,254}$/;

const projectHint = 'expected a GitLab project path such as group/name, or its numeric id';

/** A path (group/subgroup/name) or a numeric id; YAML reads a bare id as a number. */
const GitlabProject = z
  .union(
    [
      z.number({ error: projectHint }).int(projectHint).positive(projectHint),
      z
        .string({ error: projectHint })
        .trim()
        .regex(/^(?:[1-9][0-9]*|[A-Za-z0-9_.-]+(?:\/[A-Za-z0-9_.-]+)+)$/, projectHint),
    ],
    { error: projectHint },
  )
  .transform(String);

/** The bot connects to every host of a batch over SSH, in parallel. */
const SshExecutor = z.strictObject({ type: z.literal('ssh') });

/** One GitLab pipeline per batch, told the hosts and the command through CI/CD variables. */
const GitlabPipelineExecutor = z
  .strictObject({
    type: z.literal('gitlab-pipeline'),
    project: GitlabProject,
    ref: z
      .string({ error: 'expected a branch or tag such as main; quote one YAML would read as a number' })
      .trim()
      .min(1, 'expected a branch or tag such as main'),
    variables: z.record(z.string(), z.string({ error: quoteHint }), { error: 'expected a map of CI/CD variable name to value' }).default({}),
  })
  .superRefine((spec, ctx) => {
    for (const name of Object.keys(spec.variables)) {
      if (RESERVED_PIPELINE_VARIABLES.includes(name)) {
        ctx.addIssue({ code: 'custom', path: ['variables', name], message: `${name} is set by the bot for every pipeline; choose another name` });
      } else if (!CiVariableName.test(name)) {
        ctx.addIssue({
          code: 'custom',
          path: ['variables', name],
          message: `variable name ${JSON.stringify(name)}: expected letters, digits and "_", not starting with a digit (at most 255 characters)`,
        });
      }
    }
  });

/** How a fleet action reaches its hosts; absent means ssh, so runbooks written before it keep their meaning. */
export const FleetExecutorSpec = z
  .discriminatedUnion('type', [SshExecutor, GitlabPipelineExecutor], {
    error: 'expected an executor such as { type: ssh } or { type: gitlab-pipeline, project: group/name, ref: main }',
  })
  .default({ type: 'ssh' });
export type FleetExecutorSpec = z.output<typeof FleetExecutorSpec>;

/** Where one command parameter's value comes from and what it may look like. */
export const ParamSpec = z
  .strictObject({
    /** `label`: a label of the alert; `argument`: an argument given with the request. */
    from: z.enum(['label', 'argument'], { error: 'expected from: label or from: argument' }),
    /** The label or argument name; default: the parameter's own name. */
    name: z.string().regex(ParamName, 'expected a label or argument name (letters, digits and "_", not starting with a digit)').optional(),
    /** The whole value must match (it is anchored like a matcher's regex); anything else refuses the action. */
    pattern: z.string({ error: 'expected a regex the whole value must match, such as "^[a-z0-9.-]+$"' }).min(1, 'expected a regex the whole value must match'),
    /** Used when the label or argument is absent or empty; it must match the pattern too. */
    default: z.string({ error: quoteHint }).optional(),
  })
  .superRefine((spec, ctx) => {
    const problem = regexProblem(spec.pattern);
    if (problem) {
      ctx.addIssue({ code: 'custom', path: ['pattern'], message: problem });
      return;
    }
    if (spec.default !== undefined && !anchoredRegex(spec.pattern).test(spec.default)) {
      ctx.addIssue({ code: 'custom', path: ['default'], message: `the default ${JSON.stringify(spec.default)} does not match the pattern ${spec.pattern}` });
    }
  });
export type ParamSpec = z.output<typeof ParamSpec>;

const CommandText = z.string({ error: 'expected a shell command' }).trim().min(1, 'expected a shell command');

/**
 * Run a shell command on a set of hosts: a canary first, then growing batches, halting
 * on failure. Values from labels and arguments reach the command only through `params`:
 * checked against their pattern and single-quoted (src/fleet/template.ts).
 */
export const FleetAction = z
  .strictObject({
    ...actionBase,
    kind: z.literal('fleet'),
    command: CommandText,
    /** Shows what `command` would do, changing nothing: the action's dry run. Same params. */
    dry_run_command: CommandText.optional(),
    params: z.record(z.string(), ParamSpec, { error: 'expected a map of parameter name to { from, pattern }' }).default({}),
    targets: FleetTargets,
    rollout: Rollout.prefault({}),
    /** Default: ssh. */
    executor: FleetExecutorSpec,
    /** Per host; with a pipeline executor, per batch (the pipeline's run). */
    timeout: Duration({ min: 1_000, max: 3_600_000, minText: '1s', maxText: '1h' }).default('60s'),
    /** `none` only for `readonly: true` actions. */
    approval: z.enum(['required', 'none'], { error: 'expected approval: required or approval: none' }).default('required'),
    /** The author's promise that the command changes nothing (diagnostics); reviewed like code. */
    readonly: z.boolean({ error: 'expected true or false' }).default(false),
    /** Health checks that must hold after each batch before the next one runs. */
    verify: FleetVerify.optional(),
  })
  .superRefine((action, ctx) => {
    if (action.approval === 'none' && !action.readonly) {
      ctx.addIssue({
        code: 'custom',
        path: ['approval'],
        message: 'approval "none" is allowed only for an action marked readonly: true (one that changes nothing, such as diagnostics)',
      });
    }
    const declared = Object.keys(action.params);
    for (const name of declared) {
      if (!ParamName.test(name)) {
        ctx.addIssue({
          code: 'custom',
          path: ['params', name],
          message: `parameter name ${JSON.stringify(name)}: expected letters, digits and "_", not starting with a digit`,
        });
      }
    }
    const used = new Set<string>();
    for (const field of ['command', 'dry_run_command'] as const) {
      const template = action[field];
      if (template === undefined) continue;
      for (const problem of placeholderProblems(template)) ctx.addIssue({ code: 'custom', path: [field], message: problem });
      for (const name of placeholdersOf(template)) {
        used.add(name);
        if (!Object.hasOwn(action.params, name)) {
          ctx.addIssue({ code: 'custom', path: [field], message: `unknown parameter {{${name}}}: declare "${name}" under params (with from and pattern)` });
        }
      }
    }
    for (const name of declared) {
      if (ParamName.test(name) && !used.has(name)) {
        ctx.addIssue({ code: 'custom', path: ['params', name], message: `parameter "${name}" is used in neither command nor dry_run_command` });
      }
    }
  });
export type FleetAction = z.output<typeof FleetAction>;

/**
 * The action kinds, told apart by `kind`. A new kind is one more strictObject with
 * `...actionBase` and its own `kind` literal, added to this list; the others stay as
 * they are.
 */
export const RunbookAction = z.discriminatedUnion('kind', [RollbackAction, FleetAction]);
export type RunbookAction = z.output<typeof RunbookAction>;
export type RunbookActionKind = RunbookAction['kind'];

function cronProblem(expression: string): string | undefined {
  if (validateCron(expression)) return undefined;
  const reasons = cronDetails(expression).errors.map((error) => error.message);
  return `invalid cron expression ${JSON.stringify(expression)}${reasons.length > 0 ? ` (${reasons.join('; ')})` : ''}; expected 5 fields (minute hour day-of-month month day-of-week) or 6 with seconds first, e.g. "0 3 * * *"`;
}

function timezoneProblem(timezone: string): string | undefined {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: timezone });
    return undefined;
  } catch {
    return `unknown time zone ${JSON.stringify(timezone)}; expected an IANA name such as Europe/Paris or UTC`;
  }
}

/**
 * Runs fleet actions of the runbook on a clock, with no alert: node-cron syntax, in
 * `timezone` (default: the bot's). `mode: dry-run` (the default) only runs the dry run;
 * `apply` requests the real run, which still waits for approval unless the action has
 * `approval: none`.
 */
export const Schedule = z.strictObject({
  cron: z.string({ error: 'expected a cron expression such as "0 3 * * *"' }).superRefine((expression, ctx) => {
    const problem = cronProblem(expression);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  }),
  timezone: z
    .string({ error: 'expected an IANA time zone such as Europe/Paris' })
    .superRefine((timezone, ctx) => {
      const problem = timezoneProblem(timezone);
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    })
    .optional(),
  mode: z.enum(['dry-run', 'apply'], { error: 'expected mode: dry-run or mode: apply' }).default('dry-run'),
  /** Ids of the actions to run; default: every fleet action of the runbook. */
  actions: z.array(Slug, { error: 'expected a list of action ids' }).min(1, 'expected at least one action id').optional(),
});
export type Schedule = z.output<typeof Schedule>;

/** Why a fleet action cannot run on a schedule (there is no alert and nobody typed arguments). */
function unschedulable(action: FleetAction): { path: (string | number)[]; message: string }[] {
  const problems: { path: (string | number)[]; message: string }[] = [];
  if (action.targets.from === 'alert-instance') {
    problems.push({ path: ['targets'], message: 'a scheduled run has no alert: use targets from: group, or from: service-hosts with a service' });
  } else if (action.targets.from === 'service-hosts' && action.targets.service === undefined) {
    problems.push({ path: ['targets', 'service'], message: 'a scheduled run has no alert to name the service: set targets.service' });
  }
  for (const [name, spec] of Object.entries(action.params)) {
    if (spec.default === undefined) {
      problems.push({ path: ['params', name, 'default'], message: `a scheduled run has no alert labels or arguments: parameter "${name}" needs a default` });
    }
  }
  return problems;
}

/** The actions a schedule runs must exist, be fleet actions and need nothing from an alert. */
function checkSchedule(schedule: Schedule, actions: readonly RunbookAction[], ctx: z.RefinementCtx): void {
  let scheduled: number[];
  if (schedule.actions === undefined) {
    scheduled = actions.flatMap((action, index) => (action.kind === 'fleet' ? [index] : []));
    if (scheduled.length === 0) ctx.addIssue({ code: 'custom', path: ['schedule'], message: 'a schedule runs fleet actions, and this runbook has none' });
  } else {
    scheduled = [];
    schedule.actions.forEach((id, at) => {
      const index = actions.findIndex((action) => action.id === id);
      const action = actions[index];
      if (!action) {
        ctx.addIssue({ code: 'custom', path: ['schedule', 'actions', at], message: `no action "${id}" in this runbook` });
      } else if (action.kind !== 'fleet') {
        ctx.addIssue({
          code: 'custom',
          path: ['schedule', 'actions', at],
          message: `action "${id}" is a ${action.kind} action; a schedule runs fleet actions only`,
        });
      } else if (!scheduled.includes(index)) {
        scheduled.push(index);
      }
    });
  }
  for (const index of scheduled) {
    const action = actions[index];
    if (action?.kind !== 'fleet') continue;
    for (const problem of unschedulable(action)) ctx.addIssue({ code: 'custom', path: ['actions', index, ...problem.path], message: problem.message });
  }
}

export const Runbook = z
  .strictObject({
    id: Slug,
    title: z.string({ error: 'expected a title' }).trim().min(1, 'expected a title'),
    description: z.string().optional(),
    /** All matchers must hold (AND). At least one: a runbook must not apply to every alert by accident. */
    match: z
      .array(LabelMatcher, { error: 'expected a list of matchers such as - { label: alertname, equals: HighErrorRate }' })
      .min(1, 'expected at least one matcher'),
    actions: z.array(RunbookAction, { error: 'expected a list of actions' }).min(1, 'expected at least one action'),
    /** Runs fleet actions on a clock as well as on alerts; see Schedule. */
    schedule: Schedule.optional(),
  })
  .superRefine((runbook, ctx) => {
    const seen = new Set<string>();
    runbook.actions.forEach((action, index) => {
      if (seen.has(action.id)) {
        ctx.addIssue({ code: 'custom', path: ['actions', index, 'id'], message: `duplicate action id "${action.id}" in this runbook` });
      }
      seen.add(action.id);
    });
    if (runbook.schedule) checkSchedule(runbook.schedule, runbook.actions, ctx);
  });
export type Runbook = z.output<typeof Runbook>;
