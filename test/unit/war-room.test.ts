import { describe, expect, it } from 'vitest';
import type { Incident } from '../../src/incidents/incident.js';
import { archiveRoom, MAX_ROOM_NAME, recordRoom, roomName } from '../../src/incidents/room.js';
import { parseServicesFile } from '../../src/services/catalog.js';
import { renderTimelineEntry } from '../../src/slack/render/timeline.js';
import { renderRoomTopic } from '../../src/slack/render/war-room.js';

const NOW = new Date('2026-12-01T10:00:00Z');
const incident = (service: string | undefined): Incident => ({
  id: '42',
  version: 3,
  groupKey: 'g',
  state: 'firing',
  service,
  channel: 'C0PAYMENTS',
  groupLabels: { alertname: 'HighErrorRate' },
  commonAnnotations: { summary: `5xx <@U0EVIL> ${'x'.repeat(300)}` },
  externalURL: '',
  alerts: {},
  truncatedAlerts: 0,
  openedAt: NOW.toISOString(),
  updatedAt: NOW.toISOString(),
});

describe('a war room name', () => {
  it('is inc-<id>-<service>, lower case, in the characters Slack allows', () => {
    expect(roomName(incident('payment-service'))).toBe('inc-42-payment-service');
    expect(roomName(incident('Payments API.v2 (EU)'))).toBe('inc-42-payments-api-v2-eu');
    expect(roomName(incident(undefined))).toBe('inc-42');
  });

  it('takes a suffix after the first attempt and stays within 80 characters with it', () => {
    expect(roomName(incident('checkout'), 2)).toBe('inc-42-checkout-2');
    const long = incident('a'.repeat(200));
    for (const attempt of [1, 2, 17]) {
      const name = roomName(long, attempt);
      expect(name.length).toBeLessThanOrEqual(MAX_ROOM_NAME);
      expect(name).toMatch(/^[a-z0-9_-]+$/);
      if (attempt > 1) expect(name.endsWith(`-${attempt}`)).toBe(true);
    }
  });
});

describe('room decisions', () => {
  it('records one room, never a second, and archives it once', () => {
    const opened = recordRoom(incident('checkout'), { channel: 'C0ROOM1', name: 'inc-42-checkout' }, 'U0ALICE', NOW);
    expect(opened?.incident.room).toEqual({ channel: 'C0ROOM1', name: 'inc-42-checkout' });
    expect(opened?.entries.map(renderTimelineEntry)).toEqual(['<@U0ALICE> opened the war room <#C0ROOM1>']);
    expect(recordRoom(opened!.incident, { channel: 'C0ROOM2', name: 'inc-42-checkout-2' }, 'U0BOB', NOW)).toBeUndefined();
    const archived = archiveRoom(opened!.incident, 'U0BOB', NOW);
    expect(archived?.incident.room?.archived).toBe(true);
    expect(archived?.entries.map(renderTimelineEntry)).toEqual(['<@U0BOB> archived the war room #inc-42-checkout']);
    expect(archiveRoom(archived!.incident, 'U0BOB', NOW)).toBeUndefined();
  });

  it('sets a topic of plain text within Slack’s 250 characters', () => {
    const topic = renderRoomTopic(incident('checkout'));
    expect(topic.startsWith('INC-42 [FIRING] 5xx')).toBe(true);
    expect(topic.length).toBeLessThanOrEqual(250);
  });
});

describe('war_room in services.yaml', () => {
  const file = (warRoom: string) => `services:\n  billing:\n    channel: C0BILLING\n    war_room: ${warRoom}\n`;

  it('names the severities at which a room opens by itself', () => {
    expect(parseServicesFile(file('{ when_severity: [critical, warning] }'), 'services.yaml').services.billing?.war_room).toEqual({
      when_severity: ['critical', 'warning'],
    });
  });

  it('refuses an unknown severity, an empty list and an unknown key, naming the path', () => {
    expect(() => parseServicesFile(file('{ when_severity: [page] }'), 'services.yaml')).toThrow(
      /services\.billing\.war_room\.when_severity\.0: expected critical, warning or info/,
    );
    expect(() => parseServicesFile(file('{ when_severity: [] }'), 'services.yaml')).toThrow(/at least one severity/);
    expect(() => parseServicesFile(file('{ when: [critical] }'), 'services.yaml')).toThrow(/services\.billing\.war_room/);
  });
});
