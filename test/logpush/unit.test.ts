import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../../lib/config/load.js';
import { TaegisError } from '../../lib/util/errors.js';
import { CloudflareClient, formatCloudflareErrors } from '../../lib/logpush/client.js';
import { daysOf, healthQuery, parseRange } from '../../lib/logpush/health.js';
import {
  decodedDestination,
  destinationConf,
  destinationIdentity,
  effectiveOutput,
  jobName,
  matchingJobs,
} from '../../lib/logpush/jobs.js';
import { loadLogpushConfig, parseLogpushConfig } from '../../lib/config/logpush-load.js';
import { Masker } from '../../lib/util/masking.js';
import { resolveAuth } from '../../lib/logpush/secrets.js';
import { ACCOUNT, INGEST_HTTP, ZONE } from './helpers.js';

const zoneEntry = (dataset = 'http_requests') => ({
  id: ZONE,
  datasets: [{ dataset, ingestUrl: INGEST_HTTP, integrationKey: { env: 'K' } }],
});

function problemsOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (err) {
    if (err instanceof TaegisError) return err.problems.map((p) => `${p.path}: ${p.message}`);
    throw err;
  }
  throw new Error('expected a TaegisError');
}

describe('logpush config', () => {
  it('GIVEN a logpush field with a bad value WHEN parsed THEN the problem carries its own fix apart from the message', () => {
    let caught: TaegisError | undefined;
    try {
      parseLogpushConfig({ zones: [{ ...zoneEntry(), id: 'nope' }] }, '/x/logpush.json');
    } catch (err) {
      caught = err as TaegisError;
    }
    const problem = caught?.problems[0];
    expect(problem?.message).toBe('is not a Cloudflare zone id');
    expect(problem?.fix).toMatch(/\S/);
    expect(problem?.message).not.toContain('\u0000');
  });

  it('GIVEN a secret written into the config WHEN parsed THEN it is rejected without echoing the value', () => {
    const secret = 'super-secret-key-value-123456';
    let caught: TaegisError | undefined;
    try {
      parseLogpushConfig(
        {
          zones: [
            { id: ZONE, datasets: [{ dataset: 'http_requests', ingestUrl: INGEST_HTTP, integrationKey: secret }] },
          ],
        },
        '/x/logpush.json',
      );
    } catch (err) {
      caught = err as TaegisError;
    }
    expect(caught?.code).toBe('CONFIG_INVALID');
    expect(caught?.format()).toContain(
      'zones[0].datasets[0].integrationKey: must be {"env": "VARIABLE"} or {"file": "path"}',
    );
    expect(caught?.format()).not.toContain(secret);
  });

  it('GIVEN mistakes WHEN parsed THEN every problem is named with its JSON path and fix', () => {
    const problems = problemsOf(() =>
      parseLogpushConfig(
        {
          zones: [
            {
              id: 'not-an-id',
              datasets: [
                {
                  dataset: 'gateway_dns',
                  ingestUrl: 'http://plain.example/x',
                  integrationKey: { env: 'K', file: 'f' },
                },
                {
                  dataset: 'gateway_dns',
                  ingestUrl: `${INGEST_HTTP}?header_Authorization=x`,
                  integrationKey: { env: 'K' },
                },
              ],
            },
          ],
          maxUploadRecords: 10,
          typo: 1,
        },
        '/x/logpush.json',
      ),
    );
    expect(problems).toEqual(
      expect.arrayContaining([
        'typo: is not a known field',
        'zones[0].id: is not a Cloudflare zone id',
        'zones[0].datasets[0].ingestUrl: is not an https URL',
        'zones[0].datasets[0].integrationKey: must set exactly one of "env" and "file"',
        'zones[0].datasets[1].ingestUrl: must not carry "header_*" or "tags" parameters',
        'maxUploadRecords: is out of range',
      ]),
    );
  });

  it('GIVEN datasets Cloudflare documents at both levels WHEN under accounts and zones THEN both are accepted', () => {
    for (const dataset of ['firewall_events', 'websocket_analytics']) {
      const cfg = parseLogpushConfig(
        { accounts: [{ ...zoneEntry(dataset), id: ACCOUNT }], zones: [zoneEntry(dataset)] },
        '/x/l.json',
      );
      expect(cfg.accounts[0]?.datasets[0]?.dataset).toBe(dataset);
      expect(cfg.timestampFormat).toBe('rfc3339');
    }
    for (const dataset of [
      'turnstile_events',
      'email_security_post_delivery_events',
      'mnm_flow_logs',
      'magic_bgp_logs',
    ]) {
      expect(problemsOf(() => parseLogpushConfig({ zones: [zoneEntry(dataset)] }, '/x/l.json'))).toEqual([
        `zones[0].datasets[0].dataset: "${dataset}" is an account-level dataset, not a zone-level one`,
      ]);
    }
    expect(problemsOf(() => parseLogpushConfig({ zones: [zoneEntry()], timestampFormat: 'iso' }, '/x/l.json'))).toEqual(
      ['timestampFormat: is not a Logpush timestamp format'],
    );
  });

  it('GIVEN a zone dataset under accounts WHEN parsed THEN it says to move it', () => {
    const problems = problemsOf(() => parseLogpushConfig({ accounts: [{ ...zoneEntry(), id: ACCOUNT }] }, '/x/l.json'));
    expect(problems).toEqual([
      'accounts[0].datasets[0].dataset: "http_requests" is a zone-level dataset, not an account-level one',
    ]);
  });

  it('GIVEN the main config with a logpush section WHEN parsed THEN both loaders accept it and paths are prefixed', () => {
    const main = {
      taegisRegion: 'ctpx',
      regions: [{ region: 'us-east-1', account: '123456789012' }],
      logpush: { zones: [zoneEntry()] },
    };
    expect(parseConfig(main, '/x/taegis.config.json').logpush?.zones[0]?.id).toBe(ZONE);
    expect(parseLogpushConfig(main, '/x/taegis.config.json').maxUploadBytes).toBe(5_000_000);
    const bad = { ...main, logpush: { zones: [{ ...zoneEntry(), id: 'nope' }] } };
    expect(problemsOf(() => parseConfig(bad, '/x/t.json'))).toEqual([
      'logpush.zones[0].id: is not a Cloudflare zone id',
    ]);
    expect(problemsOf(() => parseLogpushConfig(bad, '/x/t.json'))).toEqual([
      'logpush.zones[0].id: is not a Cloudflare zone id',
    ]);
  });

  it('GIVEN the main config without a logpush section THEN it says so instead of listing its keys as unknown', () => {
    expect(() => parseLogpushConfig({ taegisRegion: 'ctpx', regions: [] }, '/x/taegis.config.json')).toThrow(
      /has no "logpush" section/,
    );
  });

  it('GIVEN a missing config file THEN CONFIG_NOT_FOUND', () => {
    expect(() => loadLogpushConfig('/nonexistent/logpush.json')).toThrow(/does not exist/);
  });
});

describe('credentials', () => {
  let dir: string | undefined;
  afterEach(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('GIVEN a token and a legacy key WHEN resolved THEN the token wins and is registered for masking', () => {
    const cfg = parseLogpushConfig({ zones: [zoneEntry()] }, '/x/l.json');
    const masker = new Masker();
    const auth = resolveAuth(
      cfg,
      { CLOUDFLARE_API_TOKEN: 'tok-1234567890', CLOUDFLARE_API_KEY: 'k-1234567890', CLOUDFLARE_EMAIL: 'a@b.c' },
      masker,
    );
    expect(auth).toEqual({ kind: 'token', token: 'tok-1234567890' });
    expect(masker.mask('x tok-1234567890 y')).toBe('x **** y');
  });

  it('GIVEN a token file with a trailing newline WHEN resolved THEN the newline is dropped', () => {
    dir = mkdtempSync(path.join(tmpdir(), 'logpush-unit-'));
    writeFileSync(path.join(dir, 'token'), 'file-token-1234567890\n');
    const cfg = parseLogpushConfig(
      { auth: { apiToken: { file: 'token' } }, zones: [zoneEntry()] },
      path.join(dir, 'l.json'),
    );
    expect(resolveAuth(cfg, {}, new Masker())).toEqual({ kind: 'token', token: 'file-token-1234567890' });
  });

  it('GIVEN an explicitly configured token file that is missing WHEN a legacy key exists THEN it fails instead of silently using the key', () => {
    const cfg = parseLogpushConfig(
      { auth: { apiToken: { file: 'missing' } }, zones: [zoneEntry()] },
      '/nonexistent/l.json',
    );
    expect(() =>
      resolveAuth(cfg, { CLOUDFLARE_API_KEY: 'k-1234567890', CLOUDFLARE_EMAIL: 'a@b.c' }, new Masker()),
    ).toThrow(/no Cloudflare API credentials/);
  });
});

describe('masking', () => {
  it('GIVEN known and unknown secrets WHEN masked THEN raw, URL-encoded and header values are hidden', () => {
    const m = new Masker();
    m.add('a+b/c=key-123456');
    const text = `key a+b/c=key-123456 enc ${encodeURIComponent('a+b/c=key-123456')} https://x/y?header_Authorization=Bearer%20UNKNOWN123&tags=dataset:x Authorization: Bearer abc.def X-Auth-Key: zzz`;
    const out = m.mask(text);
    expect(out).not.toMatch(/a\+b|UNKNOWN123|abc\.def|zzz/);
    expect(out).toContain('header_Authorization=****&tags=dataset:x');
  });

  it('GIVEN an error WHEN maskError THEN message, problems and fix are masked and the code kept', () => {
    const m = new Masker();
    m.add('secret-value-1');
    const e = m.maskError(
      new TaegisError('CLOUDFLARE_ERROR', 'boom secret-value-1', {
        fix: 'f secret-value-1',
        problems: [{ path: 'p', message: 'secret-value-1' }],
      }),
    ) as TaegisError;
    expect(e.code).toBe('CLOUDFLARE_ERROR');
    expect(e.format()).not.toContain('secret-value-1');
  });
});

describe('jobs helpers', () => {
  it('builds the vendor name and destination, and identifies destinations regardless of key', () => {
    expect(jobName('gateway_http')).toBe('secureworks-http-gateway-http');
    const conf = destinationConf('https://h.example/p?x=1', 'k y', 'gateway_http');
    expect(conf).toBe('https://h.example/p?x=1&header_Authorization=Bearer%20k%20y&tags=dataset:gateway_http');
    expect(destinationIdentity(conf)).toBe(destinationIdentity('https://H.example/p/?x=1'));
    expect(destinationIdentity(conf)).not.toBe(destinationIdentity('https://h.example/p?x=2'));
    const jobs = [
      { id: 9, dataset: 'gateway_http', destination_conf: conf },
      { id: 3, dataset: 'gateway_http', destination_conf: 'https://h.example/p?x=1&header_Authorization=old' },
      { id: 4, dataset: 'gateway_dns', destination_conf: conf },
    ];
    expect(matchingJobs(jobs, 'gateway_http', 'https://h.example/p?x=1').map((j) => j.id)).toEqual([3, 9]);
  });

  it('compares destinations decoded, as Cloudflare re-encodes them, and a different key still differs', () => {
    const sent = destinationConf('https://h.example/p', 'k+/=', 'gateway_http');
    const stored = sent.replace('dataset:', 'dataset%3A');
    expect(stored).not.toBe(sent);
    expect(decodedDestination(stored)).toBe(decodedDestination(sent));
    expect(decodedDestination(destinationConf('https://h.example/p', 'k+/=X', 'gateway_http'))).not.toBe(
      decodedDestination(sent),
    );
    expect(decodedDestination('https://h.example/p?x=%E0%A4%A')).toBe('https://h.example/p?x=%E0%A4%A');
  });

  it('reads what Cloudflare uses: output_options when present, else logpull_options', () => {
    expect(
      effectiveOutput({
        output_options: { field_names: ['A'], timestamp_format: 'unix' },
        logpull_options: 'fields=A,B,C&timestamps=rfc3339',
      }),
    ).toEqual({ source: 'output_options', fields: ['A'], timestampFormat: 'unix', outputType: 'ndjson' });
    expect(effectiveOutput({ output_options: null, logpull_options: 'fields=A,B&timestamps=rfc3339' })).toEqual({
      source: 'logpull_options',
      fields: ['A', 'B'],
      timestampFormat: 'rfc3339',
      outputType: 'ndjson',
    });
    expect(effectiveOutput({}).source).toBe('none');
  });
});

describe('client helpers', () => {
  it('formats errors with their error_chain', () => {
    expect(
      formatCloudflareErrors([
        { code: 6003, message: 'Invalid request headers', error_chain: [{ code: 6111, message: 'bad' }] },
      ]),
    ).toBe('[6003] Invalid request headers; [6111] bad');
  });

  it('GIVEN nothing listens WHEN a GET fails THEN retries end in CLOUDFLARE_ERROR naming the base URL', async () => {
    const client = new CloudflareClient({
      auth: { kind: 'token', token: 't' },
      baseUrl: 'http://127.0.0.1:9/client/v4',
      maxAttempts: 2,
      sleep: () => Promise.resolve(),
    });
    await expect(client.get('/zones')).rejects.toThrow(/could not reach http:\/\/127\.0\.0\.1:9\/client\/v4/);
  });
});

describe('health helpers', () => {
  it('defaults to the last 7 days and validates dates', () => {
    expect(parseRange(undefined, undefined, new Date('2026-03-02T05:00:00Z'))).toEqual({
      since: '2026-02-24',
      until: '2026-03-02',
    });
    expect(daysOf({ since: '2026-02-27', until: '2026-03-01' })).toEqual(['2026-02-27', '2026-02-28', '2026-03-01']);
    expect(() => parseRange('2026-13-01', undefined)).toThrow(/not a date/);
  });

  it('builds the vendor query with an exclusive end date', () => {
    const q = healthQuery('account', ACCOUNT, 42, { since: '2026-11-01', until: '2026-11-30' });
    expect(q).toContain(`accounts(filter: { accountTag: "${ACCOUNT}" })`);
    expect(q).toContain(
      'filter: { date_geq: "2026-11-01", date_lt: "2026-12-01", jobId: 42, status_lt: 300, final: 1 }',
    );
    expect(() => healthQuery('zone', 'x" } evil', 1, { since: '2026-11-01', until: '2026-11-01' })).toThrow();
  });
});

describe('docs/logpush.md', () => {
  it('GIVEN the config example of the Logpush page THEN it is a valid config (main-file form)', () => {
    const page = readFileSync(path.join(process.cwd(), 'docs', 'logpush.md'), 'utf8');
    const start = page.indexOf('\n## Config\n');
    expect(start).toBeGreaterThan(-1);
    const section = page.slice(start);
    const json = /```json\n([\s\S]*?)\n```/.exec(section)?.[1];
    expect(json).toBeDefined();
    const cfg = parseLogpushConfig(JSON.parse(json ?? '{}'), '/x/taegis.config.json');
    expect(cfg.zones[0]?.datasets[0]?.dataset).toBe('http_requests');
    expect(cfg.accounts[0]?.datasets[0]?.dataset).toBe('gateway_dns');
  });
});
