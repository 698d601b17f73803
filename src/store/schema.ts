/**
 * The documents the Redis adapters read back, as they are stored: by this release and by
 * every earlier one. Only the fields the bot uses are declared. Objects are loose, so a
 * field that a newer replica added survives this one's read-modify-write during a rolling
 * deploy.
 */
import { z } from 'zod';

const Labels = z.record(z.string(), z.string());
const Version = z.number().int().nonnegative();

const TrackedAlert = z.looseObject({
  fingerprint: z.string(),
  status: z.enum(['firing', 'resolved']),
  labels: Labels,
  annotations: Labels,
  startsAt: z.string(),
  endsAt: z.string(),
  generatorURL: z.string(),
});

/** The `doc` field of an incident hash. */
export const StoredIncident = z.looseObject({
  id: z.string(),
  version: Version,
  groupKey: z.string(),
  state: z.enum(['firing', 'acknowledged', 'mitigating', 'resolved']),
  // JSON drops an undefined service; the domain spells it out.
  service: z
    .string()
    .optional()
    .transform((service): string | undefined => service),
  channel: z.string(),
  groupLabels: Labels,
  commonAnnotations: Labels,
  externalURL: z.string(),
  alerts: z.record(z.string(), TrackedAlert),
  truncatedAlerts: z.number().int().nonnegative(),
  openedAt: z.string(),
  updatedAt: z.string(),
  acknowledgedBy: z.string().optional(),
  acknowledgedAt: z.string().optional(),
  resolvedAt: z.string().optional(),
  resolvedBy: z.string().optional(),
  firstResolvedAt: z.string().optional(),
});

/**
 * One line of an incident's timeline. What an entry says beyond when, what kind and who may
 * change between releases (words, then facts), so only that much is required here; a kind
 * this release does not know is the renderer's to skip, not a corrupt entry.
 */
export const StoredTimelineEntry = z.looseObject({
  at: z.string(),
  kind: z.string(),
  actor: z.string(),
  text: z.string().optional(),
});

/** One line of an action's timeline; like an incident's, only when and who are required. */
export const StoredActionEntry = z.looseObject({
  at: z.string(),
  actor: z.string(),
  text: z.string().optional(),
});

const StringMap = z.record(z.string(), z.string());

/** Plans stored before fleet actions had no title: they were all rollbacks of their service. */
const StoredPlan = z
  .looseObject({
    executor: z.string(),
    service: z.string(),
    title: z.string().optional(),
    needsApproval: z.boolean().optional(),
    targets: z.array(z.string()).optional(),
    summary: z.array(z.string()),
    params: StringMap,
  })
  .transform(({ title, ...plan }) => ({ ...plan, title: title ?? `roll back ${plan.service}` }));

const StoredFleetRequest = z.looseObject({
  runbookId: z.string(),
  actionId: z.string(),
  labels: StringMap,
  disagreeing: z.array(z.string()).optional(),
  args: StringMap,
  instances: z.array(z.string()),
  hosts: z.array(z.string()),
  continues: z.string().optional(),
});

const Verdict = z.enum(['pass', 'fail', 'no-data']);

/** A round of health checks (src/verify/checks.ts); JSON keeps a NaN or infinite value as null. */
const StoredRound = z.looseObject({
  sample: z.number().int().positive(),
  verdict: Verdict,
  at: z.string(),
  results: z.array(
    z.looseObject({
      check: z.string(),
      value: z
        .number()
        .nullish()
        .transform((value) => (value === null ? Number.NaN : value)),
      threshold: z.looseObject({ min: z.number().optional(), max: z.number().optional() }),
      verdict: Verdict,
      reason: z.string().optional(),
      query: z.string(),
      graphUrl: z.string(),
      noData: z.enum(['pause', 'fail', 'pass']),
    }),
  ),
});

/** Why a rollout halted (src/timeline/fleet-facts.ts). */
const StoredHaltReason = z.discriminatedUnion('kind', [
  z.looseObject({ kind: z.literal('canary_failed'), failures: z.number().int().nonnegative() }),
  z.looseObject({
    kind: z.literal('too_many_failures'),
    batch: z.number().int().positive(),
    failures: z.number().int().nonnegative(),
    maxFailures: z.number().int().nonnegative(),
  }),
  z.looseObject({ kind: z.literal('interrupted'), hosts: z.array(z.string()) }),
  z.looseObject({
    kind: z.literal('checks_failed'),
    verdict: z.enum(['fail', 'no-data']),
    failedSamples: z.number().int().nonnegative(),
    batch: z.number().int().positive(),
    of: z.number().int().positive(),
    canary: z.boolean(),
    samples: z.number().int().positive(),
    failureLimit: z.number().int().nonnegative(),
    intervalMs: z.number().nonnegative(),
    rounds: z.array(StoredRound),
  }),
]);

/** How a run ended: earlier releases, and executors other than the fleet's, say it in words. */
const StoredRunDetail = z.union([
  z.string(),
  z.discriminatedUnion('kind', [
    z.looseObject({
      kind: z.literal('fleet_succeeded'),
      hosts: z.number().int().nonnegative(),
      skipped: z.number().int().nonnegative(),
      failed: z.array(z.looseObject({ host: z.string(), exitCode: z.number().int().nullable() })).optional(),
    }),
    z.looseObject({ kind: z.literal('fleet_halted'), reason: StoredHaltReason, failed: z.array(z.string()) }),
    z.looseObject({ kind: z.literal('fleet_paused'), pauseReason: z.string() }),
  ]),
]);

/** A dry run in brief; earlier releases stored its summary in words. */
const StoredRehearsal = z.union([
  z.looseObject({
    ok: z.boolean(),
    check: z.enum(['dry_run_command', 'reachability']),
    hosts: z.number().int().nonnegative(),
    failed: z.array(z.string()),
    failures: z.array(z.looseObject({ host: z.string(), exitCode: z.number().int().nullable(), firstLine: z.string() })).optional(),
    skipped: z.array(z.string()).optional(),
  }),
  z.looseObject({ ok: z.boolean(), summary: z.string() }),
]);

/** The `doc` field of an action hash. */
export const StoredAction = z.looseObject({
  id: z.string(),
  version: Version,
  kind: z.enum(['rollback', 'fleet']),
  service: z.string(),
  plan: StoredPlan,
  state: z.enum(['requested', 'approved', 'running', 'succeeded', 'failed', 'denied', 'expired', 'cancelled']),
  requestedBy: z.string(),
  reason: z.string(),
  requestedAt: z.string(),
  expiresAt: z.string(),
  approvalsRequired: z.number().int().nonnegative(),
  approvedBy: z.array(z.string()),
  forced: z.boolean(),
  warning: z.string().optional(),
  target: z.string().optional(),
  fleet: StoredFleetRequest.optional(),
  rehearsal: StoredRehearsal.optional(),
  resumable: z.boolean().optional(),
  retriedAs: z.string().optional(),
  incidentId: z.string().optional(),
  channel: z.string(),
  threadTs: z.string().optional(),
  decidedBy: z.string().optional(),
  run: z.looseObject({ id: z.string(), url: z.string(), params: StringMap }).optional(),
  startedAt: z.string().optional(),
  finishedAt: z.string().optional(),
  result: StoredRunDetail.optional(),
});

export const StoredKillSwitch = z.looseObject({ by: z.string(), reason: z.string(), at: z.string() });

export const StoredRolloutState = z.looseObject({
  state: z.enum(['running', 'succeeded', 'halted', 'paused']),
  detail: StoredRunDetail,
});

/** A host's outcome in a rollout's results hash. */
export const StoredHostOutcome = z.looseObject({
  host: z.string(),
  ok: z.boolean(),
  exitCode: z.number().int().nullable(),
  output: z.string(),
  durationMs: z.number().nonnegative(),
});

/** How far a thread was replied: a count of timeline entries, stored as a decimal string. */
export const StoredCursor = z
  .string()
  .regex(/^\d+$/, 'expected a count of timeline entries')
  .transform((text) => Number(text));
