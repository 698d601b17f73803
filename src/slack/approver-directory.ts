import type { webApi } from '@slack/bolt';
import type { Logger } from 'pino';
import type { ApproverDirectory } from '../actions/ports.js';
import { retryingWebClient } from './chat-api.js';

/** Long enough to spare Slack's API on a burst of clicks, short enough that removals take effect soon. */
const GROUP_CACHE_MS = 60_000;
/** Groups remembered at once: approver lists name a few; a cache of many would only keep stale ones. */
const GROUP_CACHE_SIZE = 100;

/**
 * Approver lists hold user ids (U…, W…) and user group ids (S…); group membership comes
 * from usergroups.users.list and is cached briefly. When Slack cannot answer, the group
 * counts as empty: an approval fails closed.
 */
export class SlackApproverDirectory implements ApproverDirectory {
  private readonly client: webApi.WebClient;
  /** Oldest first: an entry past its time or beyond the size is dropped when another is added. */
  private readonly cache = new Map<string, { members: Set<string>; until: number }>();

  constructor(
    token: string,
    apiUrl: string | undefined,
    private readonly log: Logger,
  ) {
    this.client = retryingWebClient(token, apiUrl);
  }

  async isApprover(userId: string, approverIds: readonly string[]): Promise<boolean> {
    if (approverIds.includes(userId)) return true;
    for (const id of approverIds) {
      if (id.startsWith('S') && (await this.members(id)).has(userId)) return true;
    }
    return false;
  }

  /** The members of a user group (a service's on-call group, say), cached as approver groups are; [] when Slack cannot say. */
  async membersOf(groupId: string): Promise<string[]> {
    return [...(await this.members(groupId))];
  }

  private async members(groupId: string): Promise<Set<string>> {
    const cached = this.cache.get(groupId);
    if (cached && cached.until > Date.now()) return cached.members;
    try {
      const result = await this.client.usergroups.users.list({ usergroup: groupId });
      const members = new Set(result.users ?? []);
      this.remember(groupId, members);
      return members;
    } catch (error) {
      this.log.error({ err: error, groupId }, 'user group members unavailable; treating the group as empty');
      return new Set();
    }
  }

  /** Groups cached now; never more than GROUP_CACHE_SIZE. */
  get cachedGroups(): number {
    return this.cache.size;
  }

  private remember(groupId: string, members: Set<string>): void {
    const now = Date.now();
    this.cache.delete(groupId);
    for (const [id, entry] of this.cache) {
      if (entry.until > now && this.cache.size < GROUP_CACHE_SIZE) break;
      this.cache.delete(id);
    }
    this.cache.set(groupId, { members, until: now + GROUP_CACHE_MS });
  }
}
