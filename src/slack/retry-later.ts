/**
 * Thrown by a task that should run again later (429, a transient failure, a missing
 * prerequisite). A signal between a task and the queue, never shown to a person, so it
 * is no BotError and has no code.
 */
export class RetryLater extends Error {
  /** Waiting for a rate limit, not a failure: it does not use up an attempt. */
  readonly throttled: boolean;
  /** Waiting on another delivery or replica: tried again after the queue's interval per key, then less often. */
  readonly waiting: boolean;
  /** The limit met (a channel's posts, the workspace's updates), shared by every task that meets it: see ThrottleGates. */
  readonly gate: string | undefined;

  constructor(
    message: string,
    readonly afterMs?: number,
    options?: { cause?: unknown; throttled?: boolean; waiting?: boolean; gate?: string },
  ) {
    super(message, options);
    this.name = 'RetryLater';
    this.throttled = options?.throttled ?? false;
    this.waiting = options?.waiting ?? false;
    this.gate = options?.gate;
  }

  /** A task that waits on another (a lease another replica holds on the message or thread). */
  static waitingOn(what: string): RetryLater {
    return new RetryLater(what, undefined, { waiting: true });
  }
}
