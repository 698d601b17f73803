/**
 * Files into a thread with Slack's current upload flow (files.upload is retired): ask for
 * an upload URL, POST the bytes there, then complete the upload into the channel and thread.
 * Failures are sorted like chat calls (RetryLater or SlackPermanentError), so the delivery
 * queue retries an upload as it retries a message. A retry starts the flow again: an upload
 * URL that was never completed shares nothing and Slack drops it.
 */
import type { webApi } from '@slack/bolt';
import type { Metrics } from '../metrics.js';
import { SLACK_CALL_TIMEOUT_MS, SlackPermanentError, slackCall, unretriedWebClient } from './chat-api.js';
import type { SlackBudget } from './delivery/slack-budget.js';
import { RetryLater } from './retry-later.js';

export interface ThreadFile {
  channel: string;
  /** Absent: shared in the channel itself. */
  threadTs?: string;
  filename: string;
  title: string;
  /** A message shown with the file. */
  comment?: string;
  bytes: Uint8Array;
}

export interface FileUploads {
  uploadToThread(file: ThreadFile): Promise<void>;
}

export interface FileUploadOptions {
  token: string;
  apiUrl: string | undefined;
  metrics: Metrics;
  /** A shared file is a message in the channel: it keeps to the channel's post pace, with every replica. */
  budget: SlackBudget;
}

export class SlackFileUploads implements FileUploads {
  private readonly client: webApi.WebClient;

  constructor(private readonly options: FileUploadOptions) {
    this.client = unretriedWebClient(options.token, options.apiUrl);
  }

  async uploadToThread(file: ThreadFile): Promise<void> {
    await this.waitForPostBudget(file.channel);
    const { metrics } = this.options;
    const target = await slackCall(metrics, 'files.getUploadURLExternal', () =>
      this.client.files.getUploadURLExternal({ filename: file.filename, length: file.bytes.byteLength }),
    );
    if (!target.upload_url || !target.file_id) throw new SlackPermanentError('files.getUploadURLExternal', 'the answer had no upload_url or file_id');
    await this.sendBytes(target.upload_url, file.bytes);
    try {
      await slackCall(metrics, 'files.completeUploadExternal', () =>
        this.client.files.completeUploadExternal({
          files: [{ id: target.file_id ?? '', title: file.title }],
          channel_id: file.channel,
          ...(file.threadTs ? { thread_ts: file.threadTs } : {}),
          ...(file.comment ? { initial_comment: file.comment } : {}),
        }),
      );
    } catch (error) {
      if (error instanceof RetryLater && error.throttled && error.afterMs !== undefined)
        await this.options.budget.pause('post', error.afterMs, file.channel).catch(() => undefined);
      throw error;
    }
  }

  private async waitForPostBudget(channel: string): Promise<void> {
    let waitMs: number;
    try {
      waitMs = await this.options.budget.takePost(channel);
    } catch (error) {
      throw new RetryLater('a file upload waits for its shared rate budget', undefined, { cause: error });
    }
    if (waitMs > 0) throw new RetryLater('a file upload waits for its rate limit', waitMs, { throttled: true, gate: `post:${channel}` });
  }

  private async sendBytes(url: string, bytes: Uint8Array): Promise<void> {
    let response: Response;
    try {
      response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/octet-stream' },
        body: bytes,
        signal: AbortSignal.timeout(SLACK_CALL_TIMEOUT_MS),
      });
      await response.arrayBuffer();
    } catch (error) {
      throw new RetryLater('the file upload did not reach Slack', undefined, { cause: error });
    }
    if (response.status === 429 || response.status >= 500) throw new RetryLater(`the file upload got HTTP ${response.status}`);
    if (response.status >= 400) throw new SlackPermanentError('file upload', `HTTP ${response.status}`);
  }
}
