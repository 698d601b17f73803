/**
 * Where the deploy guard's notices go: a proposal beside its request (the open incident's
 * thread, else the channel), everything else to the service's channel, posted in the
 * background through the delivery queue like scheduled runs.
 */
import type { DeployGuardNotices } from '../verify/deploy-guard-acting.js';
import type { DeliveryQueue } from './delivery-queue.js';
import type { PacedChat } from './delivery/paced-chat.js';
import { deployGuardReason, renderDeployGuardNotice } from './render/deploy-guard.js';

export interface DeployGuardNoticeDeps {
  queue: Pick<DeliveryQueue, 'enqueue'>;
  chat: Pick<PacedChat, 'postMessage'>;
  channelFor(service: string): string;
}

export function slackDeployGuardNotices({ queue, chat, channelFor }: DeployGuardNoticeDeps): DeployGuardNotices {
  return {
    reasonFor: deployGuardReason,
    post: (notice) => {
      const { service, deploymentId } = notice.trigger.deploy;
      const channel = channelFor(service);
      const threadTs = notice.kind === 'proposed' ? notice.threadTs : undefined;
      const text = renderDeployGuardNotice(notice);
      queue.enqueue(
        `deploy-guard:${service}:${deploymentId}`,
        async () => void (await chat.postMessage({ channel, text, ...(threadTs ? { thread_ts: threadTs } : {}) })),
      );
    },
  };
}
