/**
 * Coded errors. Each carries a stable `code` for logs and metrics and a message a
 * person can act on; adapters wrap upstream failures and keep the original as `cause`.
 */
export type ErrorCode =
  | 'CONFIG_INVALID'
  | 'SERVICES_FILE_INVALID'
  | 'WEBHOOK_UNAUTHORIZED'
  | 'WEBHOOK_INVALID'
  | 'WEBHOOK_TOO_LARGE'
  | 'STORE_UNAVAILABLE'
  | 'STORE_DOCUMENT_INVALID'
  | 'INCIDENT_NOT_FOUND'
  | 'INVALID_TRANSITION'
  | 'COMMAND_INVALID'
  | 'RUNBOOKS_INVALID'
  | 'ACTION_REFUSED'
  | 'EXECUTOR_REFUSED'
  | 'EXECUTOR_UNAVAILABLE';

export class BotError extends Error {
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

export class ConfigError extends BotError {
  constructor(message: string) {
    super('CONFIG_INVALID', message);
  }
}

/** A broken services file names the file, the path inside it and the reason. */
export class ServicesFileError extends BotError {
  constructor(
    readonly file: string,
    readonly problems: readonly string[],
    options?: { cause?: unknown },
  ) {
    super('SERVICES_FILE_INVALID', `${file} is invalid:\n  - ${problems.join('\n  - ')}`, options);
  }
}

export class StoreUnavailableError extends BotError {
  constructor(cause: unknown) {
    super('STORE_UNAVAILABLE', 'Redis did not answer; incident state cannot be read or written', { cause });
  }
}

/** A value in Redis this release cannot read: names the key, so a person can look at it and repair or delete it. */
export class StoredDocumentError extends BotError {
  constructor(
    readonly key: string,
    readonly problems: readonly string[],
    options?: { cause?: unknown },
  ) {
    super('STORE_DOCUMENT_INVALID', `Redis key ${key} holds a document this bot cannot read (${problems.join('; ')}); inspect the key, and repair or delete it`, options);
  }
}

export class IncidentNotFoundError extends BotError {
  constructor(readonly incidentId: string) {
    super('INCIDENT_NOT_FOUND', `No incident ${incidentId} is stored (it may be older than the retention period)`);
  }
}

export class InvalidTransitionError extends BotError {
  constructor(message: string) {
    super('INVALID_TRANSITION', message);
  }
}

export class CommandError extends BotError {
  constructor(message: string) {
    super('COMMAND_INVALID', message);
  }
}

/** The one place that turns any thrown value into a sentence for a Slack user. */
export function userMessage(error: unknown): string {
  if (error instanceof BotError) return error.message;
  return 'Something went wrong on our side; the error is logged. Try again, or check the bot logs.';
}
