import { describe, expect, it } from 'vitest';
import { isFinal, statusOutcome } from '../../src/gitlab/status.js';

describe('GitLab job and pipeline statuses', () => {
  it.each([
    ['created', 'running', false],
    ['pending', 'running', false],
    ['running', 'running', false],
    ['waiting_for_resource', 'running', false],
    ['waiting_for_callback', 'running', false],
    ['preparing', 'running', false],
    ['scheduled', 'running', false],
    ['manual', 'running', false],
    ['canceling', 'running', false],
    ['success', 'succeeded', true],
    ['failed', 'failed', true],
    ['canceled', 'failed', true],
    ['skipped', 'failed', true],
  ])('%s counts as %s (final: %s)', (status, outcome, final) => {
    expect(statusOutcome(status)).toBe(outcome);
    expect(isFinal(status)).toBe(final);
  });

  it('knows no status GitLab has not documented, nor an object property', () => {
    for (const status of ['something_new', 'SUCCESS', 'constructor', '']) {
      expect(statusOutcome(status), status).toBeUndefined();
      expect(isFinal(status), status).toBe(false);
    }
  });
});
