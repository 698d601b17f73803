import { GitbeakerRequestError, GitbeakerRetryError, GitbeakerTimeoutError } from '@gitbeaker/rest';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { ExecutorRefusal } from '../../src/actions/executor.js';
import {
  classifyGitlabError,
  GitlabUnavailableError,
  parseRetryAfter,
  refusalMessage,
  withRetry,
  type GitlabOperation,
  type GitlabRead,
} from '../../src/gitlab/client.js';
import { sendOnce, type GitlabChange } from '../../src/gitlab/send-once.js';

/** A GitbeakerRequestError shaped as gitbeaker (and our requester) throws it. */
function answered(status: number, description: string, headers: Record<string, string> = {}): GitbeakerRequestError {
  const request = new Request('https://gitlab.test/api/v4/projects/a%2Fb/jobs/1', { headers: { 'private-token': 'secret' } });
  const response = new Response(null, { status, headers });
  return new GitbeakerRequestError(description, { cause: { description, request, response } });
}

/** What Node's fetch (undici) rejects with when a socket fails. */
function fetchFailed(code: string): TypeError {
  return new TypeError('fetch failed', { cause: Object.assign(new Error(code), { code }) });
}

describe('classifyGitlabError', () => {
  const now = Date.parse('2024-05-02T09:00:00Z');

  it.each([
    [answered(404, '404 Project Not Found'), { kind: 'answered', status: 404, description: '404 Project Not Found', retryAfterMs: undefined }],
    [answered(429, 'Retry later', { 'Retry-After': '7' }), { kind: 'answered', status: 429, description: 'Retry later', retryAfterMs: 7000 }],
    [answered(503, ''), { kind: 'answered', status: 503, description: '', retryAfterMs: undefined }],
    [new GitbeakerTimeoutError('Query timeout was reached'), { kind: 'no-answer', reason: 'timeout' }],
    [
      new GitbeakerRetryError(
        'Could not successfully complete this request after 10 retries, last status code: 429. Check the applicable rate limits for this endpoint.',
      ),
      { kind: 'answered', status: 429, description: expect.stringContaining('10 retries') as unknown, retryAfterMs: undefined },
    ],
    [fetchFailed('ECONNREFUSED'), { kind: 'not-sent', reason: 'ECONNREFUSED' }],
    [fetchFailed('ENOTFOUND'), { kind: 'not-sent', reason: 'ENOTFOUND' }],
    [fetchFailed('UND_ERR_CONNECT_TIMEOUT'), { kind: 'not-sent', reason: 'UND_ERR_CONNECT_TIMEOUT' }],
    [fetchFailed('UND_ERR_SOCKET'), { kind: 'no-answer', reason: 'UND_ERR_SOCKET' }],
    [fetchFailed('ECONNRESET'), { kind: 'no-answer', reason: 'ECONNRESET' }],
    [new TypeError('fetch failed'), { kind: 'no-answer', reason: 'network error' }],
    [new TypeError("Cannot read properties of undefined (reading 'id')"), { kind: 'other' }],
    [Object.assign(new Error('Nock: No match for request'), { code: 'ERR_NOCK_NO_MATCH' }), { kind: 'other' }],
    ['a string', { kind: 'other' }],
  ])('%s', (error, expected) => {
    expect(classifyGitlabError(error, now)).toEqual(expected);
  });
});

describe('parseRetryAfter', () => {
  const now = Date.parse('2024-05-02T09:00:00Z');

  it('reads delta-seconds and HTTP dates, and ignores what it cannot read', () => {
    expect(parseRetryAfter('30', now)).toBe(30_000);
    expect(parseRetryAfter('Thu, 02 May 2024 09:00:12 GMT', now)).toBe(12_000);
    expect(parseRetryAfter('Thu, 02 May 2024 08:59:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter(null, now)).toBeUndefined();
  });
});

describe('refusalMessage', () => {
  const op: GitlabOperation = { method: 'POST', action: 'retry job #7', project: 'shop/pay', object: 'job #7' };

  it('tells a 404 of the project from a 404 of an object in it', () => {
    expect(refusalMessage(op, 404, '404 Project Not Found')).toBe(
      'GitLab project shop/pay not found (404 Project Not Found): check gitlab.project in services.yaml and that GITLAB_TOKEN can read it',
    );
    expect(refusalMessage(op, 404, '404 Not found')).toBe(
      'GitLab has no job #7 in project shop/pay (404 Not found): it may have been deleted; check that GITLAB_TOKEN can read it',
    );
  });

  it('names the token for a 401 and leaves out a proxy’s HTML', () => {
    expect(refusalMessage(op, 401, '401 Unauthorized')).toMatch(/^GitLab rejected GITLAB_TOKEN \(401 Unauthorized\) when asked to retry job #7/);
    expect(refusalMessage({ ...op, hint: 'check gitlab.ref' }, 400, '<html><body>Bad Request</body></html>')).toBe(
      'GitLab rejected the request to retry job #7 in shop/pay (400): check gitlab.ref',
    );
  });
});

const log = pino({ level: 'silent' });
const policy = { attempts: 3, baseDelayMs: 1, maxDelayMs: 10 };

/** A call that throws the given errors in turn, then answers 'started'. */
function failing(...errors: unknown[]) {
  let calls = 0;
  const call = async () => {
    calls += 1;
    const error = errors.shift();
    if (error !== undefined) throw error;
    return 'started';
  };
  return { call, calls: () => calls };
}

describe('sendOnce', () => {
  const post: GitlabChange = { method: 'POST', action: 'retry job #7', project: 'shop/pay', checkUrl: 'https://gitlab.test/shop/pay/-/jobs' };

  it('sends a POST again only after a connection refused (nothing was sent)', async () => {
    const f = failing(fetchFailed('ECONNREFUSED'), fetchFailed('ENOTFOUND'));
    await expect(sendOnce(post, policy, log, f.call)).resolves.toEqual({ answered: 'started' });
    expect(f.calls()).toBe(3);
  });

  it('says nothing was sent when GitLab could never be reached', async () => {
    const f = failing(fetchFailed('ECONNREFUSED'), fetchFailed('ECONNREFUSED'), fetchFailed('ECONNREFUSED'));
    const thrown = await sendOnce(post, policy, log, f.call).catch((e: unknown) => e);
    expect(thrown).toBeInstanceOf(GitlabUnavailableError);
    expect((thrown as Error).message).toBe(
      'GitLab could not be reached 3 times (last: ECONNREFUSED) when asked to retry job #7 in shop/pay; the request was never sent, so nothing started',
    );
    expect(f.calls()).toBe(3);
  });

  it.each([
    ['a 500 (GitLab may have failed after acting)', answered(500, '500 Internal Server Error'), 'answered 500'],
    ['a 502', answered(502, ''), 'answered 502'],
    ['a 503', answered(503, 'Service Unavailable'), 'answered 503'],
    ['a 504 from a proxy', answered(504, 'Gateway Timeout'), 'answered 504'],
    ['a 429 after sending', answered(429, 'Retry later', { 'Retry-After': '1' }), 'answered 429'],
    ['a timeout', new GitbeakerTimeoutError('Query timeout was reached'), 'did not answer (timeout)'],
    ['a connection reset after sending', fetchFailed('ECONNRESET'), 'did not answer (ECONNRESET)'],
  ])('never sends a POST again after %s: the answer is ambiguous', async (_, error, what) => {
    const f = failing(error);
    const before = Date.now();
    const result = await sendOnce(post, policy, log, f.call);
    expect(result).toEqual({ ambiguous: { what, sentAt: expect.any(Number) as number, cause: error } });
    expect('ambiguous' in result && result.ambiguous.sentAt).toBeGreaterThanOrEqual(before);
    expect(f.calls()).toBe(1);
  });

  it('refuses a 4xx with what to fix, sending it once', async () => {
    const f = failing(answered(403, '403 Forbidden'));
    const thrown = await sendOnce(post, policy, log, f.call).catch((e: unknown) => e);
    expect(thrown).toBeInstanceOf(ExecutorRefusal);
    expect((thrown as Error).message).toMatch(/^GitLab refused to retry job #7 in shop\/pay \(403 Forbidden\)/);
    expect(f.calls()).toBe(1);
  });
});

describe('withRetry', () => {
  const get: GitlabRead = { method: 'GET', action: 'read job #7', project: 'shop/pay' };

  it.each([
    ['a connection refused', fetchFailed('ECONNREFUSED')],
    ['429', answered(429, 'Retry later')],
    ['500', answered(500, '500 Internal Server Error')],
    ['504', answered(504, 'Gateway Timeout')],
  ])('reads again after %s', async (_, error) => {
    const f = failing(error);
    await expect(withRetry(get, policy, log, f.call)).resolves.toBe('started');
    expect(f.calls()).toBe(2);
  });

  it('retries a GET after a timeout or a reset', async () => {
    const f = failing(new GitbeakerTimeoutError('Query timeout was reached'), fetchFailed('ECONNRESET'));
    await expect(withRetry(get, policy, log, f.call)).resolves.toBe('started');
    expect(f.calls()).toBe(3);
  });

  it('rethrows what is not a GitLab failure at once', async () => {
    const bug = new TypeError("Cannot read properties of undefined (reading 'id')");
    const f = failing(bug);
    await expect(withRetry(get, policy, log, f.call)).rejects.toBe(bug);
    expect(f.calls()).toBe(1);
  });
});
