/**
 * Coded errors. Each class has a stable `code` of its own for logs and metrics, and a
 * message a person can act on; adapters wrap upstream failures and keep the original as
 * `cause`. A plain Error is left for what no person can fix: a broken invariant, or a
 * conflict that trying again resolves.
 */
export type ErrorCode =
  | 'CONFIG_INVALID'
  | 'SSH_CONFIG_INVALID'
  | 'SERVICES_FILE_INVALID'
  | 'HEALTH_CHECK_INVALID'
  | 'RUNBOOKS_INVALID'
  | 'WEBHOOK_TOO_LARGE'
  | 'STORE_UNAVAILABLE'
  | 'STORE_DOCUMENT_INVALID'
  | 'INCIDENT_NOT_FOUND'
  | 'INVALID_TRANSITION'
  | 'COMMAND_INVALID'
  | 'COMMAND_USAGE'
  | 'ACTION_REFUSED'
  | 'AUTOMATION_PAUSED'
  | 'TEMPLATE_REFUSED'
  | 'EXECUTOR_REFUSED'
  | 'GITLAB_OUTCOME_UNKNOWN'
  | 'EXECUTOR_UNAVAILABLE'
  | 'SLACK_REFUSED'
  | 'ALERTMANAGER_FAILED';

export abstract class BotError extends Error {
  /** Each class sets its own; a subclass that does not would share its parent's (a test refuses that). */
  static readonly code: ErrorCode;
  readonly code: ErrorCode;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = (new.target as unknown as typeof BotError).code;
  }
}

export class ConfigError extends BotError {
  static override readonly code: ErrorCode = 'CONFIG_INVALID';
}

/** A broken services file names the file, the path inside it and the reason. */
export class ServicesFileError extends BotError {
  static override readonly code: ErrorCode = 'SERVICES_FILE_INVALID';

  constructor(
    readonly file: string,
    readonly problems: readonly string[],
    options?: { cause?: unknown },
  ) {
    super(`${file} is invalid:\n  - ${problems.join('\n  - ')}`, options);
  }
}

/** Prometheus refused a health check's query (a 4xx): the check in services.yaml must be fixed. */
export class HealthCheckError extends ConfigError {
  static override readonly code: ErrorCode = 'HEALTH_CHECK_INVALID';

  constructor(
    readonly service: string,
    readonly check: string,
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(`services.${service}.health.${check}: ${reason}`, options);
  }
}

export class StoreUnavailableError extends BotError {
  static override readonly code: ErrorCode = 'STORE_UNAVAILABLE';

  constructor(cause: unknown) {
    super('Redis did not answer; incident state cannot be read or written', { cause });
  }
}

/** A value in Redis this release cannot read: names the key, so a person can look at it and repair or delete it. */
export class StoredDocumentError extends BotError {
  static override readonly code: ErrorCode = 'STORE_DOCUMENT_INVALID';

  constructor(
    readonly key: string,
    readonly problems: readonly string[],
    options?: { cause?: unknown },
  ) {
    super(`Redis key ${key} holds a document this bot cannot read (${problems.join('; ')}); inspect the key, and repair or delete it`, options);
  }
}

export class IncidentNotFoundError extends BotError {
  static override readonly code: ErrorCode = 'INCIDENT_NOT_FOUND';

  constructor(readonly incidentId: string) {
    super(`No incident ${incidentId} is stored (it may be older than the retention period)`);
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
  static override readonly code: ErrorCode = 'INVALID_TRANSITION';

  constructor(readonly refusal: TransitionRefusal) {
    const { incidentId, state, to, acknowledgedBy } = refusal;
    super(
      acknowledgedBy === undefined
        ? `Incident ${incidentId} is ${state}; it cannot become ${to}`
        : `Incident ${incidentId} is already acknowledged by ${acknowledgedBy}`,
    );
  }
}

export class CommandError extends BotError {
  static override readonly code: ErrorCode = 'COMMAND_INVALID';
}

/** What was wrong with the text of a slash command. */
export type CommandMistake =
  | { kind: 'unknown_subcommand' | 'unknown_option'; word: string }
  | { kind: 'takes_no_arguments' | 'takes_one_incident_id'; word: string }
  /** `/rollback <service> to` with nothing after `to`. */
  | { kind: 'target_missing' }
  /** `what` (a word typed, or the argument it was read as) is not what `reason` expects. */
  | { kind: 'invalid'; what?: string; reason: string };

/** A slash command's text it could not read; `mistake` is absent when the usage itself was asked for. */
export interface CommandMisuse {
  command: 'incident' | 'rollback' | 'remediate' | 'automation';
  mistake?: CommandMistake;
}

function mistakeText(mistake: CommandMistake): string {
  switch (mistake.kind) {
    case 'unknown_subcommand':
      return `unknown subcommand "${mistake.word}"`;
    case 'unknown_option':
      return `unknown option ${mistake.word}`;
    case 'takes_no_arguments':
      return `"${mistake.word}" takes no arguments`;
    case 'takes_one_incident_id':
      return `"${mistake.word}" takes one incident id`;
    case 'target_missing':
      return '"to" needs a sha or a deployment id';
    case 'invalid':
      return mistake.what === undefined ? mistake.reason : `${mistake.what}: ${mistake.reason}`;
  }
}

/** Carries the misuse as facts: src/slack says it to people with the command's usage. */
export class CommandUsageError extends CommandError {
  static override readonly code: ErrorCode = 'COMMAND_USAGE';

  constructor(readonly misuse: CommandMisuse) {
    super(`/${misuse.command}: ${misuse.mistake ? mistakeText(misuse.mistake) : 'usage asked for'}`);
  }
}

/**
 * Alertmanager's API refused or did not answer. `ambiguous`: a change was sent and may have
 * been made (a timeout, a dropped connection, a 5xx), so it is looked for before it is sent again.
 */
export class AlertmanagerError extends BotError {
  static override readonly code: ErrorCode = 'ALERTMANAGER_FAILED';
  constructor(
    message: string,
    readonly ambiguous: boolean,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
