/**
 * Where the deploy guard's notices go: a proposal beside its request (the open incident's
 * thread, else the channel), everything else to the service's channel, posted in the
 * background through the delivery queue like scheduled runs. With Prometheus, the failing
 * checks' graphs follow in the notice's thread, the deploy marked.
 */
import type { DeployGuardNotices } from '../verify/deploy-guard-acting.js';
import type { CheckGraphs } from './check-graphs.js';
import type { DeliveryQueue } from './delivery-queue.js';
import type { PacedChat } from './delivery/paced-chat.js';
import { deployGuardReason, renderDeployGuardNotice } from './render/deploy-guard.js';

export interface DeployGuardNoticeDeps {
  queue: Pick<DeliveryQueue, 'enqueue'>;
  chat: Pick<PacedChat, 'postMessage'>;
  channelFor(service: string): string;
  graphs?: Pick<CheckGraphs, 'post'> | undefined;
}

export function slackDeployGuardNotices({ queue, chat, channelFor, graphs }: DeployGuardNoticeDeps): DeployGuardNotices {
  return {
    reasonFor: deployGuardReason,
    post: (notice) => {
      const { service, deploymentId } = notice.trigger.deploy;
      const channel = channelFor(service);
      const threadTs = notice.kind === 'proposed' ? notice.threadTs : undefined;
      const text = renderDeployGuardNotice(notice);
      queue.enqueue(`deploy-guard:${service}:${deploymentId}`, async () => {
        const posted = await chat.postMessage({ channel, text, ...(threadTs ? { thread_ts: threadTs } : {}) });
        graphs?.post({
          key: `deploy-guard:${service}:${deploymentId}`,
          service,
          event: { kind: 'deploy', at: new Date(notice.trigger.deploy.armedAt) },
          checks: notice.trigger.round.results.filter((r) => r.verdict !== 'pass'),
          where: async () => ({ channel: posted.channel, threadTs: threadTs ?? posted.ts }),
        });
      });
    },
  };
}
