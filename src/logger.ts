import { pino, type Logger } from 'pino';
import type { Logger as BoltLogger, LogLevel } from '@slack/bolt';

/** Every secret the bot handles, wherever it may appear in a log object. */
const REDACT_PATHS = [
  'token',
  '*.token',
  'botToken',
  '*.botToken',
  'appToken',
  '*.appToken',
  'signingSecret',
  '*.signingSecret',
  'alertmanagerToken',
  '*.alertmanagerToken',
  'webhookToken',
  '*.webhookToken',
  'password',
  '*.password',
  'privateKey',
  '*.privateKey',
  'authorization',
  '*.authorization',
  'headers.authorization',
  'req.headers.authorization',
  'headers["x-slack-signature"]',
  'req.headers["x-slack-signature"]',
  'redis.url',
  'config.redis.url',
  'redis.sentinel.password',
  'config.redis.sentinel.password',
  'config.slack.botToken',
  'config.slack.signingSecret',
  'config.slack.appToken',
  'config.alertmanagerToken',
  'config.gitlab.token',
  'config.gitlab.webhookToken',
  'headers["x-gitlab-token"]',
  'req.headers["x-gitlab-token"]',
  'config.prometheus.token',
  'prometheus.token',
  '*.*.token',
  '*.*.password',
  '*.*.privateKey',
];

/**
 * Errors are logged by a fixed set of fields. SDK errors carry their request, and with it
 * the Authorization header (the Slack or GitLab token), deep where redaction paths miss it.
 */
export function safeError(error: unknown, depth = 0): unknown {
  if (!(error instanceof Error)) return error;
  const e = error as Error & { code?: unknown; statusCode?: unknown; data?: { error?: unknown } };
  return {
    type: error.name,
    message: error.message,
    ...(e.code !== undefined ? { code: e.code } : {}),
    ...(e.statusCode !== undefined ? { statusCode: e.statusCode } : {}),
    ...(e.data?.error !== undefined ? { slackError: e.data.error } : {}),
    stack: error.stack,
    ...(error.cause !== undefined && depth < 3 ? { cause: safeError(error.cause, depth + 1) } : {}),
  };
}

export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      serializers: { err: safeError },
      base: { service: 'chatops-bot' },
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    destination,
  );
}

/** Bolt's logger interface over pino, so that Bolt's own lines are structured too. */
export function boltLogger(log: Logger): BoltLogger {
  const child = log.child({ component: 'bolt' });
  const join = (parts: unknown[]) => parts.map((p) => (typeof p === 'string' ? p : JSON.stringify(p))).join(' ');
  return {
    debug: (...msg) => child.debug(join(msg)),
    info: (...msg) => child.info(join(msg)),
    warn: (...msg) => child.warn(join(msg)),
    error: (...msg) => child.error(join(msg)),
    setLevel: () => undefined,
    getLevel: () => child.level as LogLevel,
    setName: () => undefined,
  };
}
