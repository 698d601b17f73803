import { z } from 'zod';
import { DURATION_UNITS, parseDuration } from './duration.js';
import { exampleValuesLeft } from './placeholders.js';

const duration = (fallback: string) =>
  z
    .string()
    .default(fallback)
    .transform((text, ctx) => {
      const ms = parseDuration(text.trim());
      if (ms === undefined) {
        ctx.addIssue({ code: 'custom', message: `expected a duration such as 90s, 30m, 1h30m or 7d (units: ${DURATION_UNITS}), got "${text}"` });
        return z.NEVER;
      }
      return ms;
    });

const optionalText = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === '' ? undefined : v.trim()));

/** `host:port` or `[v6 address]:port`. */
const HOST_PORT = /^(?:\[([0-9A-Fa-f:.]+)\]|([^\s:[\]]+)):(\d{1,5})$/;

/** A comma-separated list of `host:port` (Sentinel addresses), each checked. */
const hostPortList = optionalText.transform((v, ctx) => {
  if (v === undefined) return undefined;
  const nodes: Array<{ host: string; port: number }> = [];
  const bad: string[] = [];
  for (const item of v
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const match = HOST_PORT.exec(item);
    const port = Number(match?.[3]);
    const host = match?.[1] ?? match?.[2];
    if (host && port >= 1 && port <= 65535) nodes.push({ host, port });
    else bad.push(`"${item}"`);
  }
  if (bad.length > 0 || nodes.length === 0) {
    ctx.addIssue({
      code: 'custom',
      message: `expected comma-separated host:port pairs such as 10.0.0.1:26379,10.0.0.2:26379, got ${bad.join(', ') || 'none'}`,
    });
    return z.NEVER;
  }
  return nodes;
});

/**
 * The environment variables are a public contract: renaming one needs a migration note
 * in the README. Only the variables declared here are read.
 */
export const EnvSchema = z
  .object({
    SLACK_BOT_TOKEN: z.string({ error: 'required: the bot token (xoxb-...)' }).min(1, 'required: the bot token (xoxb-...)'),
    SLACK_SIGNING_SECRET: optionalText,
    SLACK_APP_TOKEN: optionalText,
    SLACK_API_URL: optionalText.pipe(z.url({ error: 'expected a URL such as https://slack.com/api/' }).optional()),
    PORT: z.coerce.number({ error: 'expected a TCP port number' }).int().min(0).max(65535).default(3000),
    HTTP_HEADERS_TIMEOUT: duration('10s').pipe(z.number().min(100, { error: 'expected at least 100ms' })),
    HTTP_REQUEST_TIMEOUT: duration('30s').pipe(z.number().min(100, { error: 'expected at least 100ms' })),
    HTTP_KEEP_ALIVE_TIMEOUT: duration('5s').pipe(z.number().min(100, { error: 'expected at least 100ms' })),
    HTTP_MAX_CONNECTIONS: z.coerce.number({ error: 'expected a number of connections' }).int().min(1, 'expected at least 1').default(500),
    REDIS_URL: z
      .string()
      .default('redis://127.0.0.1:6379')
      .pipe(z.url({ error: 'expected a redis:// or rediss:// URL' })),
    REDIS_KEY_PREFIX: z.string().min(1).default('chatops:'),
    REDIS_STARTUP_WAIT: duration('5s'),
    REDIS_SENTINELS: hostPortList,
    REDIS_SENTINEL_NAME: optionalText,
    // Kept exactly as given: spaces may belong to it.
    REDIS_SENTINEL_PASSWORD: z.string().optional(),
    REDIS_WAIT_REPLICAS: optionalText.pipe(
      z.coerce
        .number<string | undefined>({ error: 'expected a number of replicas (0 turns confirmation off)' })
        .int()
        .min(0, 'expected 0 or more replicas')
        .default(0),
    ),
    ALERTMANAGER_TOKEN: z
      .string({ error: 'required: the bearer credential Alertmanager sends' })
      .min(16, 'expected at least 16 characters: it is the only thing guarding POST /alertmanager'),
    INCIDENT_CHANNEL: z
      .string({ error: 'required: the default Slack channel id for incidents (C...)' })
      .regex(/^[CGD][A-Z0-9]{2,}$/, 'expected a Slack channel id such as C0123ABCD, not a channel name'),
    SERVICES_FILE: z.string().default('services.yaml'),
    RUNBOOKS_DIR: z.string().default('runbooks'),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    SERVICE_LABEL: z.string().min(1).default('service'),
    REOPEN_WINDOW: duration('30m'),
    INCIDENT_RETENTION: duration('30d'),
    SLACK_UPDATES_PER_MINUTE: z.coerce.number().int().min(1).default(50),
    SLACK_MESSAGE_INTERVAL: duration('1s').pipe(z.number().min(10, { error: 'expected at least 10ms' })),
    SLACK_RECONCILE_INTERVAL: duration('30s').pipe(z.number().min(1_000, { error: 'expected at least 1s' })),
    FLOOD_THRESHOLD: z.coerce.number({ error: 'expected a number of incidents (0 turns roll-ups off)' }).int().min(0).default(20),
    FLOOD_WINDOW: duration('1m').pipe(z.number().min(1_000, { error: 'expected at least 1s' })),
    FLOOD_INDIVIDUAL_POSTS: z.enum(['critical-only', 'critical-first']).default('critical-only'),
    SHUTDOWN_TIMEOUT: duration('10s'),
    GITLAB_URL: optionalText.pipe(z.url({ error: 'expected the GitLab base URL such as https://gitlab.example.com' }).optional()),
    GITLAB_TOKEN: optionalText,
    GITLAB_POLL_INTERVAL: duration('5s'),
    // Kept exactly as given: GitLab sends the secret token byte for byte.
    GITLAB_WEBHOOK_TOKEN: z
      .string()
      .optional()
      .transform((v) => (v === '' ? undefined : v))
      .pipe(z.string().min(16, 'expected at least 16 characters: it is the only thing guarding POST /gitlab').optional()),
    RETRO_GITLAB_PROJECT: optionalText,
    GITLAB_LOOKUP_WINDOW: duration('2m').pipe(z.number().min(1_000, { error: 'expected at least 1s' }).max(300_000, { error: 'expected at most 5m' })),
    PROMETHEUS_URL: optionalText.pipe(z.url({ protocol: /^https?$/, error: 'expected the Prometheus base URL such as http://prometheus:9090' }).optional()),
    PROMETHEUS_TOKEN: optionalText,
    PROMETHEUS_TIMEOUT: duration('5s').pipe(z.number().min(100, { error: 'expected at least 100ms' }).max(60_000, { error: 'expected at most 1m' })),
    ALERTMANAGER_URL: optionalText.pipe(
      z.url({ protocol: /^https?$/, error: 'expected the Alertmanager base URL such as http://alertmanager:9093' }).optional(),
    ),
    ALERTMANAGER_API_TOKEN: optionalText,
    ALERTMANAGER_POLL_INTERVAL: duration('30s').pipe(
      z.number().refine((ms) => ms % 1_000 === 0 && ms >= 1_000 && ms <= 60_000, { error: 'expected whole seconds from 1s to 60s' }),
    ),
    ACTION_EXPIRY: duration('15m'),
    REMINDER_AFTER: duration('15m'),
    SWEEP_INTERVAL: duration('5s').pipe(
      z.number().refine((ms) => ms % 1_000 === 0 && ms >= 1_000 && ms <= 60_000, { error: 'expected whole seconds from 1s to 60s' }),
    ),
    ROLLBACK_COOLDOWN: duration('10m'),
    SSH_PRIVATE_KEY_FILE: optionalText,
    // Key and passphrase are kept exactly as given: spaces may belong to them.
    SSH_PRIVATE_KEY: z.string().optional(),
    SSH_PRIVATE_KEY_PASSPHRASE: z.string().optional(),
    SSH_KNOWN_HOSTS_FILE: optionalText,
    SSH_USER: optionalText,
    AUTOMATION_ADMINS: optionalText.transform((v, ctx) => {
      const ids = (v ?? '')
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);
      const bad = ids.filter((id) => !/^[UWS][A-Z0-9]{2,}$/.test(id));
      if (bad.length > 0) {
        ctx.addIssue({ code: 'custom', message: `expected comma-separated Slack user or user group ids, got ${bad.join(', ')}` });
        return z.NEVER;
      }
      return ids;
    }),
  })
  // Run also when some variable is invalid (`when`), so that every problem is reported in
  // one go: each check reads only what it needs, and skips values that failed their own parse.
  .superRefine(
    (env, ctx) => {
      for (const { variable, value } of exampleValuesLeft(env)) {
        ctx.addIssue({ code: 'custom', path: [variable], message: `still the example value "${value}" from .env.example: set your own` });
      }
      if (!env.SLACK_APP_TOKEN && !env.SLACK_SIGNING_SECRET) {
        ctx.addIssue({
          code: 'custom',
          path: ['SLACK_SIGNING_SECRET'],
          message: 'required in HTTP mode (set SLACK_APP_TOKEN instead to use Socket Mode)',
        });
      }
      if (typeof env.HTTP_HEADERS_TIMEOUT === 'number' && typeof env.HTTP_REQUEST_TIMEOUT === 'number' && env.HTTP_HEADERS_TIMEOUT > env.HTTP_REQUEST_TIMEOUT) {
        ctx.addIssue({
          code: 'custom',
          path: ['HTTP_HEADERS_TIMEOUT'],
          message: 'expected at most HTTP_REQUEST_TIMEOUT: the request bound counts the headers too',
        });
      }
      if (Boolean(env.REDIS_SENTINELS) !== Boolean(env.REDIS_SENTINEL_NAME)) {
        const missing = env.REDIS_SENTINELS ? 'REDIS_SENTINEL_NAME' : 'REDIS_SENTINELS';
        ctx.addIssue({
          code: 'custom',
          path: [missing],
          message: 'REDIS_SENTINELS and REDIS_SENTINEL_NAME go together: set both (the Sentinel addresses and the master group name they monitor) or neither',
        });
      }
      if (env.ALERTMANAGER_API_TOKEN && typeof env.ALERTMANAGER_URL === 'string' && new URL(env.ALERTMANAGER_URL).username) {
        ctx.addIssue({
          code: 'custom',
          path: ['ALERTMANAGER_API_TOKEN'],
          message: 'ALERTMANAGER_URL carries user:password already (basic auth): set one way to log in, not both',
        });
      }
      if (env.REDIS_SENTINELS && typeof env.REDIS_URL === 'string' && env.REDIS_URL.startsWith('rediss:')) {
        ctx.addIssue({
          code: 'custom',
          path: ['REDIS_URL'],
          message: 'TLS (rediss://) to a master found through Sentinel is not supported; use redis:// with REDIS_SENTINELS',
        });
      }
    },
    { when: (payload) => typeof payload.value === 'object' && payload.value !== null },
  );

export type Env = z.output<typeof EnvSchema>;
