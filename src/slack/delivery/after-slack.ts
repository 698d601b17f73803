import { StoreUnavailableError } from '../../errors.js';

/**
 * Well inside the lease a delivery holds (30 s) after a Slack call of up to 10 s: while it
 * waits, no other replica takes the message or the thread and sends it again.
 */
const PATIENCE_MS = 15_000;
const FIRST_WAIT_MS = 100;
const LONGEST_WAIT_MS = 1_000;

/**
 * Slack has no idempotency key: once it has posted a message or a thread reply, the record
 * in Redis (the message's reference, the thread's cursor) is all that keeps the next attempt,
 * on any replica, from posting it a second time. A Redis restart or failover between Slack's
 * answer and that record made a second message and doubled replies; and a delivery lease
 * left unreleased held its message back until the lease lapsed. So these writes, and the
 * release of the lease they were made under, wait out Redis being away for a while rather
 * than fail at the first refused command.
 */
export async function afterSlackAnswered<T>(write: () => Promise<T>, patienceMs = PATIENCE_MS): Promise<T> {
  const deadline = Date.now() + patienceMs;
  for (let waitMs = FIRST_WAIT_MS; ; waitMs = Math.min(waitMs * 2, LONGEST_WAIT_MS)) {
    try {
      return await write();
    } catch (error) {
      if (!(error instanceof StoreUnavailableError) || Date.now() + waitMs > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, waitMs));
    }
  }
}
