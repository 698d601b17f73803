import { describe, expect, it } from 'vitest';
import type { Action, ActionEntry } from '../../src/actions/action.js';
import type { ActionCommit } from '../../src/actions/store.js';
import { actionDoc, incidentDoc, wordsOf } from '../support/documents.js';
import { RETENTION_MS, type StoreFactory, type Stores } from './stores.js';

const COOLDOWN_MS = 10 * 60_000;

const step = (text: string, actor = 'bot'): ActionEntry => ({ at: '2026-11-22T10:00:00.000Z', actor, text });

/** Moves `action` (as last read) on: its next version, with one timeline entry. */
function commit(action: Action, patch: Partial<Action>, more: Partial<ActionCommit> = {}): ActionCommit {
  return { action: { ...action, ...patch }, expectedVersion: action.version, entry: step(`${patch.state ?? action.state}`), ...more };
}

/** Stores `action` as a new request and gives it back as read. */
async function request(s: Stores, action: Action): Promise<Action> {
  expect(await s.actions.commitAction(commit(action, {}))).toBe(true);
  return { ...action, version: action.version + 1 };
}

export function actionStoreContract(factory: StoreFactory): void {
  describe('action store', () => {
    it('numbers actions from 1, apart from incidents', async () => {
      const s = await factory.open();
      await s.incidents.create({ incident: incidentDoc({ id: '' }), entries: [], expectedPointer: '' });
      expect([await s.actions.nextActionId(), await s.actions.nextActionId()]).toEqual(['1', '2']);
    });

    it('stores a change only against the version it read, with its timeline entry', async () => {
      const s = await factory.open();
      const requested = await request(s, actionDoc({ id: '1' }));
      expect(await s.actions.getAction('1')).toEqual(requested);

      expect(await s.actions.commitAction({ ...commit(requested, { state: 'approved' }), expectedVersion: 0 })).toBe(false);
      expect(await s.actions.commitAction(commit(requested, { state: 'approved', approvedBy: ['U0BOB'] }))).toBe(true);
      expect(await s.actions.commitAction(commit(requested, { state: 'denied' }))).toBe(false);
      expect(await s.actions.getAction('1')).toEqual({ ...requested, state: 'approved', approvedBy: ['U0BOB'], version: 2 });
      expect((await s.actions.actionTimeline('1')).map(wordsOf)).toEqual(['requested', 'approved']);
      expect(await s.actions.getAction('2')).toBeUndefined();
    });

    it('of many claims of one approved action, exactly one starts it', async () => {
      const s = await factory.open();
      const approved = await request(s, actionDoc({ id: '1', state: 'approved' }));
      const claims = await Promise.all(Array.from({ length: 10 }, () => s.actions.commitAction(commit(approved, { state: 'running' }))));
      expect(claims.filter(Boolean)).toHaveLength(1);
      expect(await s.actions.runningActionIds()).toEqual(['1']);
      expect((await s.actions.actionTimeline('1')).map(wordsOf)).toEqual(['approved', 'running']);
    });

    it('keeps the set of running actions in step with their states', async () => {
      const s = await factory.open();
      const one = await request(s, actionDoc({ id: '1', state: 'approved' }));
      const two = await request(s, actionDoc({ id: '2', state: 'approved', service: 'checkout' }));
      await s.actions.commitAction(commit(one, { state: 'running' }));
      await s.actions.commitAction(commit(two, { state: 'running' }));
      expect((await s.actions.runningActionIds()).sort()).toEqual(['1', '2']);
      await s.actions.commitAction(commit({ ...one, version: 2, state: 'running' }, { state: 'succeeded' }));
      expect(await s.actions.runningActionIds()).toEqual(['2']);
    });

    it('lists requests awaiting approval, and those whose expiry has passed, until they are decided', async () => {
      const s = await factory.open();
      const early = await request(s, actionDoc({ id: '1', expiresAt: '2026-11-22T10:05:00.000Z' }));
      await request(s, actionDoc({ id: '2', expiresAt: '2026-11-22T10:10:00.000Z' }));
      await request(s, actionDoc({ id: '3', state: 'approved' }));
      expect((await s.actions.awaitingApprovalIds()).sort()).toEqual(['1', '2']);
      expect(await s.actions.expiredRequestIds(new Date('2026-11-22T10:04:59.999Z'))).toEqual([]);
      expect(await s.actions.expiredRequestIds(new Date('2026-11-22T10:05:00.000Z'))).toEqual(['1']);
      expect((await s.actions.expiredRequestIds(new Date('2026-11-22T11:00:00.000Z'))).sort()).toEqual(['1', '2']);

      await s.actions.commitAction(commit(early, { state: 'expired' }));
      expect(await s.actions.awaitingApprovalIds()).toEqual(['2']);
      expect(await s.actions.expiredRequestIds(new Date('2026-11-22T11:00:00.000Z'))).toEqual(['2']);
    });

    it('a started rollback holds its service’s cooldown; another action that needs it free waits until it lapses', async () => {
      const s = await factory.open();
      const first = await request(s, actionDoc({ id: '1', state: 'approved' }));
      expect(await s.actions.cooldownOf('payment-service')).toBeUndefined();
      expect(await s.actions.commitAction(commit(first, { state: 'running' }, { cooldownMs: COOLDOWN_MS, cooldownMustBeFree: true }))).toBe(true);
      expect(await s.actions.cooldownOf('payment-service')).toBe('1');
      expect(await s.actions.cooldownOf('checkout')).toBeUndefined();

      const second = await request(s, actionDoc({ id: '2', state: 'approved' }));
      expect(await s.actions.commitAction(commit(second, { state: 'running' }, { cooldownMs: COOLDOWN_MS, cooldownMustBeFree: true }))).toBe(false);
      expect((await s.actions.getAction('2'))?.state).toBe('approved');
      // Its holder may commit again; another service is not held at all.
      expect(await s.actions.commitAction(commit({ ...first, version: 2, state: 'running' }, { result: 'polling' }, { cooldownMustBeFree: true }))).toBe(true);
      const other = await request(s, actionDoc({ id: '3', state: 'approved', service: 'checkout' }));
      expect(await s.actions.commitAction(commit(other, { state: 'running' }, { cooldownMustBeFree: true }))).toBe(true);

      await s.elapse(COOLDOWN_MS - 1_000);
      expect(await s.actions.cooldownOf('payment-service')).toBe('1');
      await s.elapse(2_000);
      expect(await s.actions.cooldownOf('payment-service')).toBeUndefined();
      expect(await s.actions.commitAction(commit(second, { state: 'running' }, { cooldownMs: COOLDOWN_MS, cooldownMustBeFree: true }))).toBe(true);
      expect(await s.actions.cooldownOf('payment-service')).toBe('2');
    });

    it('keeps a finished action and its timeline for the retention period, and an open one for good', async () => {
      const s = await factory.open();
      const done = await request(s, actionDoc({ id: '1' }));
      await request(s, actionDoc({ id: '2' }));
      await s.actions.commitAction(commit(done, { state: 'denied', decidedBy: 'U0BOB' }));

      await s.elapse(RETENTION_MS - 1_000);
      expect((await s.actions.getAction('1'))?.state).toBe('denied');
      await s.elapse(2_000);
      expect(await s.actions.getAction('1')).toBeUndefined();
      expect(await s.actions.actionTimeline('1')).toEqual([]);
      expect((await s.actions.getAction('2'))?.state).toBe('requested');
      expect(await s.actions.actionTimeline('2')).toHaveLength(1);
    });

    it('adds a remark to the timeline without changing the version', async () => {
      const s = await factory.open();
      const requested = await request(s, actionDoc({ id: '1' }));
      await s.actions.appendActionEntry(requested, step('refused: not an approver', 'U0EVE'));
      expect(await s.actions.actionTimeline('1')).toEqual([step('requested'), step('refused: not an approver', 'U0EVE')]);
      expect((await s.actions.getAction('1'))?.version).toBe(1);
      expect(await s.actions.commitAction(commit(requested, { state: 'approved' }))).toBe(true);
    });

    it('keeps the kill switch until it is cleared', async () => {
      const s = await factory.open();
      expect(await s.actions.killSwitch()).toBeUndefined();
      const paused = { by: 'U0ALICE', reason: 'database maintenance', at: '2026-11-22T10:00:00.000Z' };
      await s.actions.setKillSwitch(paused);
      await s.elapse(RETENTION_MS * 2);
      expect(await s.actions.killSwitch()).toEqual(paused);
      await s.actions.setKillSwitch(undefined);
      expect(await s.actions.killSwitch()).toBeUndefined();
    });

    it('keeps where an approval message was posted and how far its thread was replied, for the retention period', async () => {
      const s = await factory.open();
      expect(await s.actions.getActionMessage('1')).toBeUndefined();
      expect(await s.actions.replyCursor('1')).toBe(0);
      await s.actions.setActionMessage('1', { channel: 'C0PAYMENTS', ts: '1700000000.000002' });
      await s.actions.setReplyCursor('1', 2);
      expect(await s.actions.getActionMessage('1')).toEqual({ channel: 'C0PAYMENTS', ts: '1700000000.000002' });
      expect(await s.actions.replyCursor('1')).toBe(2);
      // An incident's message of the same id is another key.
      expect(await s.incidents.getMessageRef('1')).toBeUndefined();

      await s.elapse(RETENTION_MS + 1_000);
      expect(await s.actions.getActionMessage('1')).toBeUndefined();
      expect(await s.actions.replyCursor('1')).toBe(0);
    });

    it('records on the approval message reference the action version it shows', async () => {
      const s = await factory.open();
      await s.actions.setActionMessage('1', { channel: 'C0PAYMENTS', ts: '1700000000.000002', version: 2 });
      expect(await s.actions.getActionMessage('1')).toEqual({ channel: 'C0PAYMENTS', ts: '1700000000.000002', version: 2 });
    });

    it('notes which actions changed when, apart from incidents, and answers those since a time', async () => {
      const s = await factory.open();
      const t0 = Date.parse('2026-11-22T10:00:00.000Z');
      await s.actions.noteActionChanged('1', t0);
      await s.actions.noteActionChanged('2', t0 + 1_000);
      expect(await s.actions.actionsChangedSince(t0 + 500)).toEqual(['2']);
      expect(await s.incidents.changedSince(0)).toEqual([]);
      await s.actions.noteActionChanged('3', t0 + 1_000 + RETENTION_MS + 1);
      expect(await s.actions.actionsChangedSince(0)).toEqual(['3']);
    });
  });
}
