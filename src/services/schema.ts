import { z } from 'zod';

const ServiceName = z.string().regex(/^[a-z0-9][a-z0-9._-]{0,62}$/, 'expected a service name of lower-case letters, digits, ".", "_" or "-"');

/** Slack user ids (U…/W…) and user group ids (S…). */
const ApproverId = z.string().regex(/^[UWS][A-Z0-9]{2,}$/, 'expected a Slack user id (U…) or user group id (S…)');

export const GitlabSettings = z.strictObject({
  /** Project path (group/name) or numeric id. */
  project: z.union([z.string().min(1), z.number().int().positive()]).transform(String),
  environment: z.string().min(1),
  /**
   * retry-job: retry the deployable job of the previous successful deployment (GitLab's own
   * rollback); pipeline: run a pipeline on `ref` with ROLLBACK_TO_SHA and `variables`.
   */
  rollback: z.enum(['retry-job', 'pipeline']).default('retry-job'),
  ref: z.string().min(1).optional(),
  variables: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'expected a CI variable name'), z.string()).default({}),
});
export type GitlabSettings = z.output<typeof GitlabSettings>;

export const ServiceEntry = z
  .strictObject({
    channel: z
      .string()
      .regex(/^[CG][A-Z0-9]{2,}$/, 'expected a Slack channel id such as C0123ABCD (not a #name)')
      .optional(),
    description: z.string().optional(),
    approvers: z.array(ApproverId).default([]),
    /** Distinct approvers needed besides the requester; 0 lets an approver run it directly. */
    approvals: z.number().int().min(0).max(10).default(1),
    gitlab: GitlabSettings.optional(),
    /** The user group mentioned when an incident stays unacknowledged (REMINDER_AFTER). */
    oncall: z.string().regex(/^S[A-Z0-9]{2,}$/, 'expected a Slack user group id (S…)').optional(),
  })
  .superRefine((entry, ctx) => {
    if (entry.gitlab?.rollback === 'pipeline' && !entry.gitlab.ref) {
      ctx.addIssue({ code: 'custom', path: ['gitlab', 'ref'], message: 'required when rollback is "pipeline": the branch or tag to run the pipeline on' });
    }
    if (entry.gitlab && entry.approvers.length === 0) {
      ctx.addIssue({ code: 'custom', path: ['approvers'], message: 'a service with a gitlab section needs at least one approver' });
    }
  });
export type ServiceEntry = z.output<typeof ServiceEntry>;

/** The services file is a public contract: a map keyed by service name. */
export const ServicesFile = z.strictObject({
  services: z.record(ServiceName, ServiceEntry).default({}),
});
export type ServicesFile = z.output<typeof ServicesFile>;
