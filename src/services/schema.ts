import { z } from 'zod';
import { Duration } from '../config/duration-field.js';
import { SERVICE_NAME, SERVICE_NAME_RULE, SLUG, SLUG_RULE } from '../names.js';

const ServiceName = z.string().regex(SERVICE_NAME, `expected a service name of ${SERVICE_NAME_RULE}`);

/** Runbooks name groups (targets `from: group`), so a group name follows the runbook slug rule. */
const GROUP_NAME_HINT = `expected a group name of ${SLUG_RULE}`;
const GroupName = z.string().regex(SLUG, GROUP_NAME_HINT);

/*
 * Host names and addresses end up as SSH targets, so only a small alphabet is allowed:
 * no whitespace, no shell or ssh_config metacharacters, and no leading "-" that ssh would
 * read as an option (-oProxyCommand=…).
 */
const HOST = '[A-Za-z0-9][A-Za-z0-9._-]{0,252}';
const IPV6 = '(?=[0-9A-Fa-f.]*:)[0-9A-Fa-f:.]{2,45}';
const PORT = '(?:6553[0-5]|655[0-2][0-9]|65[0-4][0-9]{2}|6[0-4][0-9]{3}|[1-5][0-9]{4}|[1-9][0-9]{0,3})';
const HOST_ADDRESS = new RegExp(`^(?:(${HOST})|\\[(${IPV6})\\])(?::${PORT})?$`);
const HOST_NAME = new RegExp(`^(?:${HOST}|${IPV6})$`);

const HOST_ENTRY_HINT = 'expected a host name such as web-1 or web-1:2222, or { name, address }';

/** A host as fleet remediation sees it: the name alerts use, and where SSH connects. */
export type InventoryHost = { name: string; address: string };

/** "web-1", "web-1:2222", "[2001:db8::1]:22": the name is the host part, the address the text as written. */
const HostString = z
  .string()
  .regex(HOST_ADDRESS)
  .transform((address): InventoryHost => {
    const [, host, ipv6] = HOST_ADDRESS.exec(address) ?? [];
    return { name: host ?? ipv6 ?? address, address };
  });

/** For a host whose `instance` label differs from where SSH goes (a tunnel, a bastion port). */
const HostObject = z.strictObject({
  name: z.string().regex(HOST_NAME, 'expected a host name without a port, such as web-1, web-1.example.net, 10.0.0.5 or 2001:db8::1'),
  address: z.string().regex(HOST_ADDRESS, 'expected an SSH address such as web-1, web-1:2222, 10.0.0.5 or [2001:db8::1]:22'),
});

const HostEntry = z.union([HostString, HostObject], {
  error: (issue) => (typeof issue.input === 'string' ? `${HOST_ENTRY_HINT}; got ${JSON.stringify(issue.input)}` : HOST_ENTRY_HINT),
});

const HostList = z.array(HostEntry, { error: `expected a list of hosts: ${HOST_ENTRY_HINT}` }).default([]);

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
  /** Where the service's retrospective drafts are filed as issues (path or numeric id); RETRO_GITLAB_PROJECT otherwise. */
  retro_project: z
    .union([z.string().min(1), z.number().int().positive()])
    .transform(String)
    .optional(),
});
export type GitlabSettings = z.output<typeof GitlabSettings>;

const CHECK_NAME_HINT = `expected a check name of ${SLUG_RULE}`;

/**
 * One PromQL health check. The query must return one sample; `no_data` says what an
 * empty result (or a Prometheus that does not answer) means: pause waits for a person.
 */
export const HealthCheck = z
  .strictObject({
    name: z.string({ error: CHECK_NAME_HINT }).regex(SLUG, CHECK_NAME_HINT),
    query: z.string({ error: 'expected a PromQL query' }).trim().min(1, 'expected a PromQL query'),
    min: z.number({ error: 'expected a number' }).finite().optional(),
    max: z.number({ error: 'expected a number' }).finite().optional(),
    no_data: z.enum(['pause', 'fail', 'pass']).default('pause'),
  })
  .superRefine((check, ctx) => {
    if (check.min === undefined && check.max === undefined) {
      ctx.addIssue({ code: 'custom', message: 'expected min, max or both: a check with no threshold can never fail' });
    }
    if (check.min !== undefined && check.max !== undefined && check.min > check.max) {
      ctx.addIssue({ code: 'custom', path: ['min'], message: `expected min at most max (${check.max}): no value could pass` });
    }
  });
export type HealthCheck = z.output<typeof HealthCheck>;

const HealthList = z.array(HealthCheck, { error: 'expected a list of checks: { name, query, min and/or max, no_data }' }).superRefine((checks, ctx) => {
  const seen = new Set<string>();
  checks.forEach((check, index) => {
    if (seen.has(check.name)) ctx.addIssue({ code: 'custom', path: [index, 'name'], message: `${check.name} is used by another check of this service` });
    seen.add(check.name);
  });
});

/**
 * Watches a service after each deploy GitLab reports, and rolls it back (or asks to) when
 * its checks fail `failure_limit` evaluations in a row within `window`.
 */
export const DeployGuard = z.strictObject({
  /** Names of this service's `health` checks. */
  checks: z
    .array(z.string({ error: CHECK_NAME_HINT }), { error: "expected a list of check names from this service's health" })
    .min(1, 'expected at least one check name'),
  window: Duration({ min: 60_000, max: 86_400_000, minText: '1m', maxText: '24h' }).default('30m'),
  interval: Duration({ min: 1_000, max: 600_000, minText: '1s', maxText: '10m' }).default('30s'),
  failure_limit: z.number({ error: 'expected a number such as 2' }).int('expected a whole number').min(1, 'expected 1 or more').default(2),
  /** propose: post a rollback request for approval; auto: roll back at once as deploy-guard. */
  mode: z.enum(['propose', 'auto']).default('propose'),
});
export type DeployGuard = z.output<typeof DeployGuard>;

/** When the service's incidents get a war room by themselves, without anyone asking. */
export const WarRoomSettings = z.strictObject({
  when_severity: z
    .array(z.enum(['critical', 'warning', 'info'], { error: 'expected critical, warning or info' }), {
      error: 'expected a list of severities, such as [critical]',
    })
    .min(1, 'expected at least one severity, such as [critical]'),
});
export type WarRoomSettings = z.output<typeof WarRoomSettings>;

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
    oncall: z
      .string()
      .regex(/^S[A-Z0-9]{2,}$/, 'expected a Slack user group id (S…)')
      .optional(),
    /** Where fleet actions of this service may run. */
    hosts: HostList,
    /** PromQL checks that say whether the service is healthy. */
    health: HealthList.optional(),
    /** How long a successful rollback is watched before it counts as verified. */
    verify_after: Duration({ min: 0, max: 86_400_000, minText: '0s', maxText: '24h' }).default('5m'),
    deploy_guard: DeployGuard.optional(),
    war_room: WarRoomSettings.optional(),
  })
  .superRefine((entry, ctx) => {
    checkDeployGuard(entry, ctx);
    if (entry.gitlab?.rollback === 'pipeline' && !entry.gitlab.ref) {
      ctx.addIssue({ code: 'custom', path: ['gitlab', 'ref'], message: 'required when rollback is "pipeline": the branch or tag to run the pipeline on' });
    }
    if (entry.gitlab && entry.approvers.length === 0) {
      ctx.addIssue({ code: 'custom', path: ['approvers'], message: 'a service with a gitlab section needs at least one approver' });
    }
    if (entry.hosts.length > 0 && entry.approvers.length === 0) {
      ctx.addIssue({
        code: 'custom',
        path: ['approvers'],
        message: 'a service with hosts needs at least one approver: nobody could approve a fleet action on them',
      });
    }
  });
export type ServiceEntry = z.output<typeof ServiceEntry>;

function checkDeployGuard(
  entry: { gitlab?: GitlabSettings | undefined; health?: HealthCheck[] | undefined; deploy_guard?: DeployGuard | undefined },
  ctx: z.RefinementCtx,
): void {
  const guard = entry.deploy_guard;
  if (!guard) return;
  if (!entry.gitlab)
    ctx.addIssue({
      code: 'custom',
      path: ['deploy_guard'],
      message: 'needs a gitlab section: deploys are matched by its project and environment, and rolled back through it',
    });
  const known = (entry.health ?? []).map((check) => check.name);
  guard.checks.forEach((name, index) => {
    if (!known.includes(name)) {
      const choices = known.length > 0 ? `one of: ${known.join(', ')}` : 'this service lists no health checks';
      ctx.addIssue({
        code: 'custom',
        path: ['deploy_guard', 'checks', index],
        message: `unknown check "${name}"; expected a name from this service's health (${choices})`,
      });
    }
  });
}

/** Hosts that fleet actions can target by name, governed by one service's approvers and channel. */
export const HostGroup = z.strictObject({
  /** Checked against the file's services by ServicesFile. */
  service: z.string({ error: 'expected the name of the service whose approvers, approvals and channel govern this group' }),
  description: z.string().optional(),
  hosts: HostList,
});
export type HostGroup = z.output<typeof HostGroup>;

/** The services file is a public contract: a map keyed by service name, and named host groups. */
export const ServicesFile = z
  .strictObject({
    services: z.record(ServiceName, ServiceEntry).default({}),
    // zod reports a bad record key only as "Invalid key in record".
    groups: z.record(GroupName, HostGroup, { error: (issue) => (issue.code === 'invalid_key' ? GROUP_NAME_HINT : undefined) }).default({}),
  })
  .superRefine((file, ctx) => {
    const known = Object.keys(file.services).sort();
    for (const [name, group] of Object.entries(file.groups)) {
      if (!Object.hasOwn(file.services, group.service)) {
        const choices = known.length > 0 ? `one of: ${known.join(', ')}` : 'none are defined';
        ctx.addIssue({
          code: 'custom',
          path: ['groups', name, 'service'],
          message: `unknown service "${group.service}"; it must be a service under services (${choices})`,
        });
      } else if (group.hosts.length > 0 && file.services[group.service]?.approvers.length === 0) {
        ctx.addIssue({
          code: 'custom',
          path: ['groups', name, 'service'],
          message: `service "${group.service}" has no approvers, so nobody could approve a fleet action on this group`,
        });
      }
    }
    checkHostAddresses(file, ctx);
  });
export type ServicesFile = z.output<typeof ServicesFile>;

/**
 * A host name must mean one machine: otherwise which address a command reaches would
 * depend on whether the host was picked through its service or through a group.
 */
function checkHostAddresses(file: ServicesFile, ctx: z.RefinementCtx): void {
  const first = new Map<string, { address: string; path: string }>();
  const lists = [
    ...Object.entries(file.services).map(([name, entry]) => ({ listPath: ['services', name, 'hosts'], hosts: entry.hosts })),
    ...Object.entries(file.groups).map(([name, group]) => ({ listPath: ['groups', name, 'hosts'], hosts: group.hosts })),
  ];
  for (const { listPath, hosts } of lists) {
    const inThisList = new Set<string>();
    hosts.forEach((host, index) => {
      const path = [...listPath, index];
      if (inThisList.has(host.name)) {
        ctx.addIssue({ code: 'custom', path, message: `${host.name} is listed twice in this list` });
        return;
      }
      inThisList.add(host.name);
      const seen = first.get(host.name);
      if (!seen) first.set(host.name, { address: host.address, path: path.join('.') });
      else if (seen.address !== host.address) {
        ctx.addIssue({
          code: 'custom',
          path,
          message: `host ${host.name} has address ${host.address} here but ${seen.address} at ${seen.path}; one host name must have one address`,
        });
      }
    });
  }
}
