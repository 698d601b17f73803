/**
 * The strict HTTP mock's check fails for an expectation nobody used and for a request no
 * expectation matched. The mock is driven by hand here, so that each test can see its
 * check fail instead of failing itself.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { HttpMock } from '../support/http-mock.js';

const BASE = 'https://api.example.test';
const http = new HttpMock();
beforeAll(() => http.start());
afterEach(() => http.verify());
afterAll(() => http.stop());

/** Like code that catches a failed request and carries on: the check must still see it. */
const swallow = (request: Promise<Response>) =>
  request.then(
    (res) => res.status,
    (error: unknown) => error,
  );

describe('the strict HTTP mock', () => {
  it('passes when every expectation was used and every request expected', async () => {
    http
      .scope(BASE)
      .get('/v1/things')
      .reply(200, [{ id: 1 }]);
    expect(await (await fetch(`${BASE}/v1/things`)).json()).toEqual([{ id: 1 }]);
    expect(() => http.verify()).not.toThrow();
  });

  it('fails for an expectation never used, naming it, and forgets it', () => {
    http.scope(BASE).post('/v1/things').reply(201, {});
    expect(() => http.verify()).toThrow(/expected but never requested: POST https:\/\/api\.example\.test:443\/v1\/things/);
    expect(() => http.verify()).not.toThrow();
  });

  it('fails for a request to a mocked host that no expectation matched, though the caller swallowed the error', async () => {
    http.scope(BASE).get('/v1/things').reply(200, []);
    expect(await swallow(fetch(`${BASE}/v1/other`))).toBeInstanceOf(Error);
    await fetch(`${BASE}/v1/things`);
    expect(() => http.verify()).toThrow(/requested but not expected: GET https:\/\/api\.example\.test(:443)?\/v1\/other/);
  });

  it('fails for a request to a host nothing mocks, which never reaches the network', async () => {
    expect(await swallow(fetch('https://elsewhere.example.test/ping'))).toBeInstanceOf(Error);
    expect(() => http.verify()).toThrow(/requested but not expected: GET https:\/\/elsewhere\.example\.test(:443)?\/ping/);
  });

  it('names both kinds of failure at once', async () => {
    http.scope(BASE).delete('/v1/things/1').reply(204);
    await swallow(fetch(`${BASE}/v1/things/2`, { method: 'DELETE' }));
    expect(() => http.verify()).toThrow(/expected but never requested: DELETE .*\/v1\/things\/1; requested but not expected: DELETE .*\/v1\/things\/2/);
  });
});
