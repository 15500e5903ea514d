import { describe, expect, it } from 'vitest';
import {
  backoffMs,
  DEFAULT_ATTEMPTS,
  MAX_RETRY_AFTER_MS,
  retryAfterMs,
  sendWithRetry,
  type RetryNotice,
  type RetryOptions,
} from '../../lib/util/http.js';

const NOW = Date.parse('2026-11-27T10:00:00Z');

/** A fetch that answers from a script, one entry per call (a status, an answer with headers, or a thrown error). */
function scripted(...answers: (number | { status: number; headers?: Record<string, string> } | Error)[]) {
  const calls: RequestInit[] = [];
  const fetch = (_url: string | URL | Request, init?: RequestInit): Promise<Response> => {
    calls.push(init ?? {});
    const next = answers[Math.min(calls.length - 1, answers.length - 1)];
    if (next instanceof Error) return Promise.reject(next);
    const { status, headers } = typeof next === 'number' ? { status: next, headers: {} } : next!;
    return Promise.resolve(new Response(status === 204 ? null : `answer ${calls.length}`, { status, headers }));
  };
  return { fetch: fetch, calls };
}

function run(fetch: typeof globalThis.fetch, over: Partial<RetryOptions> = {}) {
  const sleeps: number[] = [];
  const notices: RetryNotice[] = [];
  const outcome = sendWithRetry('http://127.0.0.1:9/x', () => ({ method: 'GET' }), {
    idempotent: true,
    timeoutMs: 1000,
    fetch,
    now: () => NOW,
    sleep: (ms) => {
      sleeps.push(ms);
      return Promise.resolve();
    },
    onRetry: (n) => notices.push(n),
    ...over,
  });
  return { outcome, sleeps, notices };
}

describe('retryAfterMs', () => {
  it('GIVEN delay-seconds WHEN read THEN milliseconds, fractions rounded up', () => {
    expect(retryAfterMs('7', NOW)).toBe(7000);
    expect(retryAfterMs(' 0 ', NOW)).toBe(0);
    expect(retryAfterMs('1.5', NOW)).toBe(1500);
    expect(retryAfterMs('3600', NOW)).toBe(3_600_000);
  });

  it('GIVEN an HTTP date WHEN read THEN the time until it, a past date being 0', () => {
    expect(retryAfterMs(new Date(NOW + 10_000).toUTCString(), NOW)).toBe(10_000);
    expect(retryAfterMs('Wed, 21 Oct 2015 07:28:10 GMT', Date.parse('Wed, 21 Oct 2015 07:28:00 GMT'))).toBe(10_000);
    expect(retryAfterMs(new Date(NOW - 60_000).toUTCString(), NOW)).toBe(0);
  });

  it('GIVEN no header or garbage WHEN read THEN undefined (the caller backs off instead)', () => {
    for (const bad of [null, undefined, '', '  ', 'soon', '-5', '5s', '0x10', '1e3', 'Fooday, 99 Nob 2026']) {
      expect(retryAfterMs(bad, NOW), String(bad)).toBeUndefined();
    }
  });
});

describe('backoffMs', () => {
  it('GIVEN successive retries THEN 1 s doubling, at most 30 s', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 10].map(backoffMs)).toEqual([1000, 2000, 4000, 8000, 16_000, 30_000, 30_000, 30_000]);
  });
});

describe('sendWithRetry', () => {
  it('GIVEN a 200 WHEN sent THEN one attempt, no wait', async () => {
    const f = scripted(200);
    const { outcome, sleeps } = run(f.fetch);
    const o = await outcome;
    expect(o).toMatchObject({ kind: 'answer', attempts: 1 });
    expect(o.kind === 'answer' && o.gaveUp).toBeUndefined();
    expect(sleeps).toEqual([]);
  });

  it('GIVEN 429 with Retry-After, then a 503, then 200 WHEN sent THEN it waits as told, then backs off, then answers', async () => {
    const f = scripted({ status: 429, headers: { 'retry-after': '7' } }, 503, 200);
    const { outcome, sleeps, notices } = run(f.fetch);
    const o = await outcome;
    expect(o.kind === 'answer' && o.response.status).toBe(200);
    expect(o.kind === 'answer' && (await o.response.text())).toBe('answer 3');
    expect(sleeps).toEqual([7000, 2000]);
    expect(notices.map((n) => [n.reason, n.attempt, n.maxAttempts])).toEqual([
      [{ kind: 'status', status: 429 }, 1, DEFAULT_ATTEMPTS],
      [{ kind: 'status', status: 503 }, 2, DEFAULT_ATTEMPTS],
    ]);
  });

  it('GIVEN a Retry-After as an HTTP date WHEN rate limited THEN it waits until that date', async () => {
    const f = scripted({ status: 429, headers: { 'retry-after': new Date(NOW + 42_000).toUTCString() } }, 200);
    const { outcome, sleeps } = run(f.fetch);
    await outcome;
    expect(sleeps).toEqual([42_000]);
  });

  it('GIVEN a garbage Retry-After WHEN rate limited THEN it backs off as if there were none', async () => {
    const f = scripted({ status: 429, headers: { 'retry-after': 'later' } }, 200);
    const { outcome, sleeps } = run(f.fetch);
    await outcome;
    expect(sleeps).toEqual([1000]);
  });

  it('GIVEN a Retry-After at the cap WHEN rate limited THEN it waits; one second over THEN it gives up at once', async () => {
    const capSeconds = String(MAX_RETRY_AFTER_MS / 1000);
    const at = scripted({ status: 429, headers: { 'retry-after': capSeconds } }, 200);
    const waited = run(at.fetch);
    expect((await waited.outcome).kind === 'answer').toBe(true);
    expect(waited.sleeps).toEqual([MAX_RETRY_AFTER_MS]);

    const over = scripted({ status: 429, headers: { 'retry-after': String(MAX_RETRY_AFTER_MS / 1000 + 1) } }, 200);
    const refused = run(over.fetch);
    expect(await refused.outcome).toMatchObject({
      kind: 'answer',
      attempts: 1,
      gaveUp: 'retry-after',
      retryAfterMs: MAX_RETRY_AFTER_MS + 1000,
    });
    expect(refused.sleeps).toEqual([]);
    expect(over.calls).toHaveLength(1);
  });

  it('GIVEN 5xx forever WHEN sent THEN DEFAULT_ATTEMPTS attempts, the last answer returned as given up', async () => {
    const f = scripted(502);
    const { outcome, sleeps } = run(f.fetch);
    const o = await outcome;
    expect(o).toMatchObject({ kind: 'answer', attempts: DEFAULT_ATTEMPTS, gaveUp: 'attempts' });
    expect(o.kind === 'answer' && o.response.status).toBe(502);
    expect(f.calls).toHaveLength(DEFAULT_ATTEMPTS);
    expect(sleeps).toEqual([1000, 2000, 4000, 8000]);
  });

  it('GIVEN maxAttempts 2 WHEN rate limited forever THEN two attempts', async () => {
    const f = scripted(429);
    const o = await run(f.fetch, { maxAttempts: 2 }).outcome;
    expect(o).toMatchObject({ kind: 'answer', attempts: 2, gaveUp: 'attempts' });
    expect(f.calls).toHaveLength(2);
  });

  it.each([400, 401, 403, 404, 409, 422])(
    'GIVEN HTTP %i WHEN sent THEN it is answered at once, not retried',
    async (status) => {
      const f = scripted(status, 200);
      const { outcome, sleeps } = run(f.fetch);
      const o = await outcome;
      expect(o.kind === 'answer' && o.response.status).toBe(status);
      expect(o.kind === 'answer' && o.gaveUp).toBeUndefined();
      expect(f.calls).toHaveLength(1);
      expect(sleeps).toEqual([]);
    },
  );

  it('GIVEN a request that is not idempotent WHEN a 5xx or a network error THEN no retry; a 429 still is', async () => {
    const five = scripted(500, 200);
    const fiveOutcome = await run(five.fetch, { idempotent: false }).outcome;
    expect(fiveOutcome.kind === 'answer' && fiveOutcome.response.status).toBe(500);
    expect(fiveOutcome.kind === 'answer' && fiveOutcome.gaveUp).toBeUndefined();
    expect(five.calls).toHaveLength(1);

    const net = scripted(new TypeError('fetch failed'), 200);
    expect(await run(net.fetch, { idempotent: false }).outcome).toMatchObject({ kind: 'unreachable', attempts: 1 });
    expect(net.calls).toHaveLength(1);

    const limited = scripted(429, 200);
    const limitedOutcome = await run(limited.fetch, { idempotent: false }).outcome;
    expect(limitedOutcome.kind === 'answer' && limitedOutcome.response.status).toBe(200);
    expect(limited.calls).toHaveLength(2);
  });

  it('GIVEN network errors forever WHEN sent THEN retried with backoff, then unreachable with the last error', async () => {
    const f = scripted(new TypeError('fetch failed', { cause: new Error('connect ECONNREFUSED 127.0.0.1:9') }));
    const { outcome, sleeps, notices } = run(f.fetch, { maxAttempts: 3 });
    const o = await outcome;
    expect(o).toMatchObject({ kind: 'unreachable', attempts: 3, timedOut: false });
    expect(o.kind === 'unreachable' && (o.error.cause as Error).message).toContain('ECONNREFUSED');
    expect(sleeps).toEqual([1000, 2000]);
    expect(notices.every((n) => n.reason.kind === 'network')).toBe(true);
  });

  it('GIVEN a server slower than the timeout WHEN sent THEN the attempt is aborted and reported as timed out', async () => {
    const hang = ((_url: string, init?: RequestInit) =>
      new Promise<Response>((_resolve, reject) => {
        init?.signal?.addEventListener('abort', () => reject(init.signal?.reason as Error));
      })) as typeof globalThis.fetch;
    const o = await run(hang, { timeoutMs: 20, maxAttempts: 2 }).outcome;
    expect(o).toMatchObject({ kind: 'unreachable', timedOut: true, attempts: 2 });
  });

  it('GIVEN a request with secrets in its headers WHEN it fails THEN nothing of the request is in the outcome or the notices', async () => {
    const f = scripted(503);
    const notices: RetryNotice[] = [];
    const o = await sendWithRetry(
      'http://127.0.0.1:9/x',
      () => ({ method: 'GET', headers: { authorization: 'Bearer sekret-token-123' } }),
      {
        idempotent: true,
        timeoutMs: 1000,
        fetch: f.fetch,
        sleep: () => Promise.resolve(),
        onRetry: (n) => notices.push(n),
      },
    );
    expect(f.calls[0]?.headers).toEqual({ authorization: 'Bearer sekret-token-123' });
    expect(JSON.stringify({ ...o, response: undefined })).not.toContain('sekret');
    expect(JSON.stringify(notices)).not.toContain('sekret');
  });
});
