/**
 * The keys that say which incident a Slack conversation belongs to, under the store's prefix:
 * written by the incident store (thread) and the locator (room, captures), read by the locator.
 */
export const locatorKeys = {
  thread: (channel: string, threadTs: string) => ['slack-thread', channel, threadTs],
  room: (channel: string) => ['room', channel],
  capture: (incidentId: string, channel: string, ts: string) => ['incident', incidentId, 'captured', channel, ts],
};
