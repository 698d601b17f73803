import { ConfigError } from '../errors.js';
import { alertmanagerApi, type AlertmanagerApiConfig } from './alertmanager-api.js';
import { EnvSchema, type Env } from './schema.js';

/** The SSH settings as given; src/fleet reads and checks them when some runbook runs commands over SSH. */
export interface SshEnv {
  SSH_PRIVATE_KEY?: string | undefined;
  SSH_PRIVATE_KEY_FILE?: string | undefined;
  SSH_PRIVATE_KEY_PASSPHRASE?: string | undefined;
  SSH_KNOWN_HOSTS_FILE?: string | undefined;
  SSH_USER?: string | undefined;
}

/** Where the master is found when Sentinel manages it; REDIS_URL then gives only credentials and database. */
export interface SentinelConfig {
  /** The master group name the sentinels monitor. */
  name: string;
  nodes: Array<{ host: string; port: number }>;
  password: string | undefined;
}

export interface RedisConfig {
  url: string;
  keyPrefix: string;
  startupWaitMs: number;
  sentinel: SentinelConfig | undefined;
  /** Replicas that must confirm each write (Redis WAIT) before the bot acts on it; 0: none. */
  waitReplicas: number;
}

export interface Config {
  slack: {
    botToken: string;
    signingSecret: string | undefined;
    appToken: string | undefined;
    apiUrl: string | undefined;
    updatesPerMinute: number;
    /** The least time between posts to one channel, or updates of one message. */
    messageIntervalMs: number;
    /** How often every replica compares Slack messages with Redis and brings those behind up to date. */
    reconcileIntervalMs: number;
  };
  port: number;
  /** How long the HTTP server waits for a request's headers, for all of it, and for the next one on an idle connection; and how many connections it keeps. */
  http: { headersTimeoutMs: number; requestTimeoutMs: number; keepAliveTimeoutMs: number; maxConnections: number };
  /** `startupWaitMs`: how long start-up waits for a first connection before serving anyway. */
  redis: RedisConfig;
  alertmanagerToken: string;
  incidentChannel: string;
  servicesFile: string;
  runbooksDir: string;
  logLevel: string;
  serviceLabel: string;
  reopenWindowMs: number;
  retentionMs: number;
  shutdownTimeoutMs: number;
  reminderAfterMs: number;
  /** How often approval requests are expired and unacknowledged incidents reminded. */
  sweepIntervalMs: number;
  /**
   * `lookupWindowMs`: how long to look for what a GitLab change that was not confirmed may have made;
   * `webhookToken`: the secret GitLab's deployment webhooks send to POST /gitlab (off when undefined).
   */
  gitlab: {
    url: string | undefined;
    token: string | undefined;
    pollIntervalMs: number;
    lookupWindowMs: number;
    webhookToken: string | undefined;
    /** Where retrospective drafts are filed for services whose services.yaml names no `gitlab.retro_project`. */
    retroProject: string | undefined;
  };
  /** Where health checks are queried; `url` undefined when no service has checks. */
  prometheus: { url: string | undefined; token: string | undefined; timeoutMs: number };
  /** Alertmanager's API, for silences; undefined without ALERTMANAGER_URL (no silence control). */
  alertmanager: AlertmanagerApiConfig | undefined;
  actions: { expiryMs: number; cooldownMs: number; killSwitchAdmins: string[] };
  /** Read by loadSshCredentials only when some runbook runs commands over SSH. */
  ssh: SshEnv;
  /** When a channel gets a roll-up instead of a message per incident; `threshold` 0: never. */
  flood: { threshold: number; windowMs: number; individualPosts: 'critical-only' | 'critical-first' };
}

/** Every problem of the environment, as `VARIABLE: reason` lines. */
export type ConfigReading = { ok: true; config: Config } | { ok: false; problems: string[] };

/** Reads the environment once; every problem at once, each by variable name. */
export function readConfig(env: Record<string, string | undefined>): ConfigReading {
  const parsed = EnvSchema.safeParse(env);
  if (!parsed.success) return { ok: false, problems: parsed.error.issues.map((issue) => `${issue.path.join('.') || '(environment)'}: ${issue.message}`) };
  return { ok: true, config: toConfig(parsed.data) };
}

/** The configuration, or a ConfigError naming every problem of the environment. */
export function loadConfig(env: Record<string, string | undefined>): Config {
  const reading = readConfig(env);
  if (!reading.ok) throw new ConfigError(configProblemsText(reading.problems));
  return reading.config;
}

/** How a list of configuration problems is said, at start-up and by every check that finds one. */
export function configProblemsText(problems: readonly string[]): string {
  return `Invalid configuration:\n  - ${problems.join('\n  - ')}`;
}

function toConfig(e: Env): Config {
  return {
    slack: {
      botToken: e.SLACK_BOT_TOKEN,
      signingSecret: e.SLACK_SIGNING_SECRET,
      appToken: e.SLACK_APP_TOKEN,
      apiUrl: e.SLACK_API_URL,
      updatesPerMinute: e.SLACK_UPDATES_PER_MINUTE,
      messageIntervalMs: e.SLACK_MESSAGE_INTERVAL,
      reconcileIntervalMs: e.SLACK_RECONCILE_INTERVAL,
    },
    port: e.PORT,
    http: {
      headersTimeoutMs: e.HTTP_HEADERS_TIMEOUT,
      requestTimeoutMs: e.HTTP_REQUEST_TIMEOUT,
      keepAliveTimeoutMs: e.HTTP_KEEP_ALIVE_TIMEOUT,
      maxConnections: e.HTTP_MAX_CONNECTIONS,
    },
    redis: {
      url: e.REDIS_URL,
      keyPrefix: e.REDIS_KEY_PREFIX,
      startupWaitMs: e.REDIS_STARTUP_WAIT,
      sentinel:
        e.REDIS_SENTINELS && e.REDIS_SENTINEL_NAME
          ? { name: e.REDIS_SENTINEL_NAME, nodes: e.REDIS_SENTINELS, password: e.REDIS_SENTINEL_PASSWORD || undefined }
          : undefined,
      waitReplicas: e.REDIS_WAIT_REPLICAS,
    },
    alertmanagerToken: e.ALERTMANAGER_TOKEN,
    incidentChannel: e.INCIDENT_CHANNEL,
    servicesFile: e.SERVICES_FILE,
    runbooksDir: e.RUNBOOKS_DIR,
    logLevel: e.LOG_LEVEL,
    serviceLabel: e.SERVICE_LABEL,
    reopenWindowMs: e.REOPEN_WINDOW,
    retentionMs: e.INCIDENT_RETENTION,
    shutdownTimeoutMs: e.SHUTDOWN_TIMEOUT,
    reminderAfterMs: e.REMINDER_AFTER,
    sweepIntervalMs: e.SWEEP_INTERVAL,
    gitlab: {
      url: e.GITLAB_URL,
      token: e.GITLAB_TOKEN,
      pollIntervalMs: e.GITLAB_POLL_INTERVAL,
      lookupWindowMs: e.GITLAB_LOOKUP_WINDOW,
      webhookToken: e.GITLAB_WEBHOOK_TOKEN,
      retroProject: e.RETRO_GITLAB_PROJECT,
    },
    prometheus: { url: e.PROMETHEUS_URL?.replace(/\/+$/, ''), token: e.PROMETHEUS_TOKEN, timeoutMs: e.PROMETHEUS_TIMEOUT },
    alertmanager: alertmanagerApi(e.ALERTMANAGER_URL, e.ALERTMANAGER_API_TOKEN, e.ALERTMANAGER_POLL_INTERVAL),
    actions: { expiryMs: e.ACTION_EXPIRY, cooldownMs: e.ROLLBACK_COOLDOWN, killSwitchAdmins: e.AUTOMATION_ADMINS },
    ssh: {
      SSH_PRIVATE_KEY_FILE: e.SSH_PRIVATE_KEY_FILE,
      SSH_PRIVATE_KEY: e.SSH_PRIVATE_KEY,
      SSH_PRIVATE_KEY_PASSPHRASE: e.SSH_PRIVATE_KEY_PASSPHRASE,
      SSH_KNOWN_HOSTS_FILE: e.SSH_KNOWN_HOSTS_FILE,
      SSH_USER: e.SSH_USER,
    },
    flood: { threshold: e.FLOOD_THRESHOLD, windowMs: e.FLOOD_WINDOW, individualPosts: e.FLOOD_INDIVIDUAL_POSTS },
  };
}
