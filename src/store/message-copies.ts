import type { MessageCopy } from '../incidents/store.js';

/** The keys under an incident of each copy of its message; the channel's are those stored before rooms existed. */
export const COPY_KEYS: Readonly<Record<MessageCopy, { message: string; cursor: string }>> = {
  channel: { message: 'message', cursor: 'thread-cursor' },
  room: { message: 'room-message', cursor: 'room-cursor' },
};
