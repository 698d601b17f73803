/**
 * Verified rollbacks end to end: a REAL Prometheus (1 s scrapes) reads an error ratio the
 * test sets on its exporter; GitLab is faked at its HTTP edge and Slack by fake-slack.ts;
 * real Redis. billing lists one health check, verify_after 3s and a deploy_guard whose
 * interval (1s) sets how often the rollback is evaluated. A rollback whose error rate
 * recovers as it lands ends verified; one whose error rate stays high ends not verified, with the value
 * in the incident's thread, and the incident stays open. The rules and a restart mid-window
 * are tested on the memory stores: test/use-cases/rollback-verification.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deployment } from '../support/fake-gitlab.js';
import { type Exporter, startExporter } from '../support/metrics-exporter.js';
import { type PrometheusHarness, startPrometheus } from '../support/prometheus.js';
import { approvalMessage, PAYMENT_DEPLOYMENTS, requestRollback, SHA_BAD, SHA_GOOD, startRig, type Rig } from '../support/rollback.js';
import { blockText, buttonValue, click, openIncident, threadReply, type OpenedIncident } from '../support/slack-session.js';
import { storedAction, storedIncident } from '../support/stored.js';
import { found, waitFor } from '../support/wait.js';

const BAD = 0.3;
const RECOVERED = 0.004;
/** One series per test, so that the two never read each other's error rate. */
const RECOVERING = 'chatops_verify_recovering_error_ratio';
const FAILING = 'chatops_verify_failing_error_ratio';

let exporter: Exporter;
let prometheus: PrometheusHarness;

beforeAll(async () => {
  exporter = await startExporter({ [RECOVERING]: BAD, [FAILING]: BAD });
  prometheus = await startPrometheus({ targets: [exporter.target] });
  await prometheus.waitForSeries(RECOVERING);
  await prometheus.waitForSeries(FAILING);
}, 60_000);

afterAll(async () => {
  await prometheus?.stop();
  await exporter?.close();
});

const BILLING_DEPLOYMENTS = [
  deployment({ id: 904, iid: 94, sha: SHA_BAD, jobId: 994, project: 'shop/billing' }),
  deployment({ id: 903, iid: 93, sha: SHA_GOOD, jobId: 993, project: 'shop/billing' }),
];

/**
 * billing, whose error-rate check reads `metric`. Its deploy_guard is here for its interval,
 * which sets how often a rollback is verified; the guard itself needs the webhook token.
 */
function billingRig(metric: string): Promise<Rig> {
  return startRig({
    env: { PROMETHEUS_URL: prometheus.url, PROMETHEUS_TIMEOUT: '2s', GITLAB_WEBHOOK_TOKEN: 'rollback-verification-test-token' },
    projects: { 'shop/payment-service': PAYMENT_DEPLOYMENTS, 'shop/billing': BILLING_DEPLOYMENTS },
    moreServices: `  billing:
    channel: C0BILLING
    approvers: [U0ALICE, U0BOB]
    gitlab:
      project: shop/billing
      environment: production
    health:
      - name: error-rate
        query: max(${metric})
        max: 0.05
    verify_after: 3s
    deploy_guard:
      checks: [error-rate]
      interval: 1s
`,
  });
}

/** An incident of billing, and a rollback of it approved, whose GitLab job is then reported successful (just after `landed`). */
async function rollbackSucceeds(r: Rig, landed: () => void = () => {}): Promise<{ id: string; incident: OpenedIncident }> {
  const incident = await openIncident(r, { service: 'billing' });
  const { id } = await requestRollback(r, 'billing error rate after the deploy');
  const message = await approvalMessage(r, id);
  expect(await click(r, 'action.approve', buttonValue(message.post, 'action.approve'), 'U0BOB', message)).toBe(200);
  const run = await found(async () => (await storedAction(r, id)).doc.run as { id: string } | undefined, {
    timeoutMs: 10_000,
    message: `ACT-${id} never got its GitLab job`,
  });
  landed();
  r.gitlab.setJobStatus(run.id, 'success');
  return { id, incident };
}

async function verificationOf(r: Rig, id: string): Promise<Record<string, unknown> | undefined> {
  return (await storedAction(r, id)).doc.verification as Record<string, unknown> | undefined;
}

/** The incident message as last updated. */
function lastIncidentUpdate(r: Rig, incident: OpenedIncident): string {
  const updates = r.slack.callsTo('chat.update').filter((c) => c.params.ts === incident.ts);
  const last = updates.at(-1);
  return last ? blockText(last) : '';
}

describe('a rollback of a service with health checks', () => {
  it('whose error rate recovers is watched for verify_after (the incident shows monitoring) and ends verified, said in the thread and on the incident', async () => {
    const r = await billingRig(RECOVERING);
    // The error rate comes down as the rollback lands: the first round may still read the bad value.
    const { id, incident } = await rollbackSucceeds(r, () => exporter.set(RECOVERING, RECOVERED));

    await waitFor(async () => (await verificationOf(r, id))?.state === 'monitoring', { message: `ACT-${id} was never watched` });
    await threadReply(r, incident, `Verifying ACT-${id}: watching error-rate every 1 second for 3 seconds`);
    await found(
      () => r.slack.callsTo('chat.update').find((c) => c.params.ts === incident.ts && blockText(c).includes(`:eyes: ACT-${id} monitoring error-rate`)),
      {
        timeoutMs: 10_000,
        message: 'the incident message never showed the rollback being monitored',
      },
    );
    expect((await storedIncident(r, incident.id)).state).toBe('mitigating');

    await waitFor(async () => (await verificationOf(r, id))?.state === 'verified', { timeoutMs: 20_000, message: `ACT-${id} was never verified` });
    const verification = await verificationOf(r, id);
    // A round a second, the last one at the end of the 3 s window.
    expect(verification?.rounds).toBeGreaterThanOrEqual(2);
    expect((await storedAction(r, id)).state).toBe('succeeded');
    const reply = await threadReply(r, incident, `:white_check_mark: ACT-${id} verified: error-rate 0.004 <= 0.05`);
    expect(String(reply.params.text)).toContain(`(<${prometheus.url}/graph?g0.expr=`);
    await found(() => r.slack.callsTo('chat.update').find((c) => String(c.params.text).startsWith(`[SUCCEEDED] ACT-${id} roll back billing (VERIFIED)`)), {
      timeoutMs: 10_000,
      message: `the message of ACT-${id} never said verified`,
    });
    await waitFor(() => lastIncidentUpdate(r, incident).includes(`:white_check_mark: ACT-${id} verified: error-rate 0.004 <= 0.05`), {
      timeoutMs: 10_000,
      message: 'the incident message never showed the verdict',
    });
    expect((await storedIncident(r, incident.id)).state).toBe('acknowledged');
    await found(() => r.slack.uploads.find((u) => u.thread_ts === incident.ts && u.title === 'billing error-rate around the rollback'), {
      timeoutMs: 15_000,
      message: "no check graph in the incident's thread",
    });
    expect(r.slack.uploads).toHaveLength(1);
  });

  it('whose error rate stays high ends not verified with the value; the incident stays open', async () => {
    const r = await billingRig(FAILING);
    const { id, incident } = await rollbackSucceeds(r);

    await waitFor(async () => (await verificationOf(r, id))?.state === 'not_verified', { timeoutMs: 20_000, message: `ACT-${id} never ended not verified` });
    expect(await verificationOf(r, id)).toMatchObject({ reason: 'failing' });
    await threadReply(r, incident, `:warning: ACT-${id} not verified: a check still fails at the end of the window: error-rate 0.3, expected <= 0.05`);
    await found(() => r.slack.callsTo('chat.update').find((c) => String(c.params.text).startsWith(`[SUCCEEDED] ACT-${id} roll back billing (NOT VERIFIED)`)), {
      timeoutMs: 10_000,
      message: `the message of ACT-${id} never said not verified`,
    });
    await waitFor(() => lastIncidentUpdate(r, incident).includes(`:warning: ACT-${id} not verified`), {
      timeoutMs: 10_000,
      message: 'the incident message never showed the verdict',
    });
    // The check the verdict rests on, graphed around the rollback, once, in the incident's thread.
    const graph = await found(() => r.slack.uploads.find((u) => u.thread_ts === incident.ts), {
      timeoutMs: 15_000,
      message: "no check graph in the incident's thread",
    });
    expect(graph).toMatchObject({ channel_id: incident.channel, width: 1000, height: 500, title: 'billing error-rate around the rollback' });
    const stored = await storedIncident(r, incident.id);
    expect(stored.state).not.toBe('resolved');
    expect(r.slack.uploads).toHaveLength(1);
    expect(stored.doc.verification).toMatchObject({ actionId: id, state: 'not_verified' });
  });
});
