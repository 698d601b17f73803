/**
 * The publishers' chat port, in memory: it records every post and update and answers as
 * Slack does (a post gets a new ts). A test may have the next posts fail, as Slack does
 * transiently, with the error the real adapter throws then.
 */
import type { ChatApi, PostArgs, UpdateArgs } from '../../src/slack/chat-api.js';
import { RetryLater } from '../../src/slack/retry-later.js';

export class RecordingChat implements ChatApi {
  readonly posts: Array<PostArgs & { ts: string }> = [];
  readonly updates: UpdateArgs[] = [];
  /** One entry per failure to come: which posts it may fail. */
  private readonly failures: Array<(args: PostArgs) => boolean> = [];
  private ts = 0;

  /** The next `times` posts (of those `when` picks) fail transiently. */
  failNextPosts(times: number, when: (args: PostArgs) => boolean = () => true): void {
    for (let i = 0; i < times; i += 1) this.failures.push(when);
  }

  async postMessage(args: PostArgs): Promise<{ channel: string; ts: string }> {
    const failure = this.failures.findIndex((when) => when(args));
    if (failure >= 0) {
      this.failures.splice(failure, 1);
      throw new RetryLater('chat.postMessage failed transiently');
    }
    this.ts += 1;
    const ts = `1700000000.${String(this.ts).padStart(6, '0')}`;
    this.posts.push({ ...args, ts });
    return { channel: args.channel, ts };
  }

  async update(args: UpdateArgs): Promise<void> {
    this.updates.push(args);
  }

  /** Posts outside any thread. */
  topLevel(): Array<PostArgs & { ts: string }> {
    return this.posts.filter((post) => post.thread_ts === undefined);
  }

  /** Replies in the thread of the message posted with `ts`. */
  repliesTo(ts: string): Array<PostArgs & { ts: string }> {
    return this.posts.filter((post) => post.thread_ts === ts);
  }
}
