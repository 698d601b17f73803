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

export class IncidentNotFoundError extends BotError {
  constructor(readonly incidentId: string) {
    super('INCIDENT_NOT_FOUND', `No incident ${incidentId} is stored (it may be older than the retention period)`);
  }
}

/** A change an incident's state does not allow: which incident, its state, and who put it there. */
export interface TransitionRefusal {
  incidentId: string;
  state: string;
  to: string;
  /** Set when the refusal is that the incident is already acknowledged: by this user id. */
  acknowledgedBy?: string;
}

/** Carries the refusal as facts: src/slack says it to people, with mentions. */
export class InvalidTransitionError extends BotError {
  constructor(readonly refusal: TransitionRefusal) {
    const { incidentId, state, to, acknowledgedBy } = refusal;
    super(
      'INVALID_TRANSITION',
      acknowledgedBy === undefined ? `Incident ${incidentId} is ${state}; it cannot become ${to}` : `Incident ${incidentId} is already acknowledged by ${acknowledgedBy}`,
    );
  }
}

export class CommandError extends BotError {
  constructor(message: string) {
    super('COMMAND_INVALID', message);
  }
}
