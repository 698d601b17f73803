/**
 * The brief form sent when Slack refuses a message anyway (src/slack/render/minimal-message.ts):
 * state, id, service, the buttons that still matter, and where to see the rest.
 */
import { describe, expect, it } from 'vitest';
import { requestAction } from '../../src/actions/action.js';
import type { Incident } from '../../src/incidents/incident.js';
import { openIncident } from '../../src/incidents/notification.js';
import { acknowledge } from '../../src/incidents/transitions.js';
import { renderMinimalActionMessage, renderMinimalIncidentMessage, renderMinimalReply } from '../../src/slack/render/minimal-message.js';
import { notification } from '../support/fixtures.js';
import { expectSafeMessage } from '../support/message-safety.js';

const NOW = new Date('2026-11-22T10:00:00.000Z');
const OWN = { users: [], linkLabels: [] };

function incident(service: string): Incident {
  return openIncident('42', notification({ service, alerts: [{ fingerprint: 'a', summary: 'x'.repeat(10_000) }] }), {
    now: NOW,
    serviceLabel: 'service',
    channelFor: () => 'C0X',
  })!.incident;
}

const actionIds = (blocks: readonly { type: string }[]) =>
  blocks.flatMap((b) => ('elements' in b && b.type === 'actions' ? (b.elements as Array<{ action_id: string }>).map((e) => e.action_id) : []));

describe('the brief incident message', () => {
  it('names the state, the id and the service, says how to see the rest, and keeps Acknowledge and Resolve', () => {
    const { text, blocks } = renderMinimalIncidentMessage(incident('payment-service'));
    expect(text).toBe('[FIRING] INC-42 on payment-service (shown in brief: /incident show INC-42)');
    expect(JSON.stringify(blocks)).toContain(
      '*FIRING* INC-42 on payment-service\\nSlack refused the full message; `/incident show INC-42` shows the alerts and the timeline.',
    );
    expect(actionIds(blocks)).toEqual(['incident.ack', 'incident.resolve', 'incident.lead']);
    expect(actionIds(renderMinimalIncidentMessage(acknowledge(incident('payment-service'), 'U0ALICE', NOW).incident).blocks)).toEqual([
      'incident.resolve',
      'incident.lead',
    ]);
  });

  it('cuts and escapes a service name that may be what Slack refused', () => {
    const brief = renderMinimalIncidentMessage(incident(`<!channel>${'s'.repeat(10_000)}`));
    expectSafeMessage(brief, OWN);
    expect(brief.text.length).toBeLessThan(200);
    expect(brief.text).toContain('&lt;!channel&gt;sss');
  });
});

describe('the brief approval message', () => {
  const { action } = requestAction({
    id: '9',
    kind: 'rollback',
    service: 'payment-service',
    plan: { executor: 'gitlab', service: 'payment-service', title: 't'.repeat(10_000), summary: ['x'.repeat(50_000)], params: {} },
    requestedBy: 'U0ALICE',
    requesterIsApprover: true,
    reason: '',
    approvals: 1,
    expiresInMs: 60_000,
    forced: false,
    channel: 'C0X',
    now: NOW,
  });

  it('names the state, the id and the service, with the buttons its state offers', () => {
    const { text, blocks } = renderMinimalActionMessage(action);
    expect(text).toBe('[REQUESTED] ACT-9 for payment-service');
    expect(JSON.stringify(blocks)).toContain('its steps are in this thread');
    expect(actionIds(blocks)).toEqual(['action.approve', 'action.deny', 'action.cancel']);
    expect(JSON.stringify(renderMinimalActionMessage({ ...action, incidentId: '42' }).blocks)).toContain('`/incident show INC-42` shows its steps');
  });
});

describe('the brief reply', () => {
  it('counts the entries and says where they are', () => {
    expect(renderMinimalReply(3, '42')).toBe('_Slack refused a reply of 3 entries; `/incident show INC-42` lists them._');
    expect(renderMinimalReply(1, undefined)).toBe('_Slack refused a reply of 1 entry; the approval message above shows where it stands._');
  });
});
