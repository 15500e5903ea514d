import { rmSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { FakeCloudflare, envelopeError } from '../support/fake-cloudflare.js';
import {
  ACCOUNT,
  DNS_KEY,
  HTTP_KEY,
  INGEST_DNS,
  INGEST_HTTP,
  READ_TOKEN,
  runLogpush,
  TOKEN,
  writeConfig,
  ZONE,
} from './helpers.js';

const SECRETS = [TOKEN, HTTP_KEY, encodeURIComponent(HTTP_KEY), DNS_KEY, READ_TOKEN];

function expectNoSecret(...texts: string[]): void {
  for (const t of texts) for (const s of SECRETS) expect(t).not.toContain(s);
}

describe('npm run logpush (in-process, against the fake Cloudflare API)', () => {
  let fake: FakeCloudflare;
  let dir: string;
  let configPath: string;
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    fake = await FakeCloudflare.start({
      tokens: { [TOKEN]: 'write', [READ_TOKEN]: 'read' },
      legacy: [{ email: 'secops@example.com', key: 'legacy-global-key-0123456789' }],
      accounts: [ACCOUNT],
      zones: [ZONE],
    });
  });
  afterAll(async () => {
    await fake.close();
  });
  beforeEach(() => {
    ({ dir, configPath } = writeConfig());
    env = { CLOUDFLARE_API_TOKEN: TOKEN, TAEGIS_DNS_KEY: DNS_KEY, CLOUDFLARE_API_BASE_URL: fake.baseUrl };
    for (const list of fake.jobs.values()) list.length = 0;
    fake.requests.length = 0;
    fake.injections.length = 0;
    fake.health.clear();
    fake.unreachableDestination = undefined;
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('GIVEN no jobs WHEN setup runs THEN it creates one job per dataset with the vendor recipe, authenticated by Bearer token', async () => {
    const r = await runLogpush(['setup', '--config', configPath], env);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const posts = fake.writes();
    expect(posts.map((p) => `${p.method} ${p.path}`)).toEqual([
      `POST /client/v4/accounts/${ACCOUNT}/logpush/jobs`,
      `POST /client/v4/zones/${ZONE}/logpush/jobs`,
    ]);
    expect(posts[1]?.headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(posts[1]?.body).toEqual({
      name: 'secureworks-http-http-requests',
      dataset: 'http_requests',
      destination_conf: `${INGEST_HTTP}?header_Authorization=Bearer%20${encodeURIComponent(HTTP_KEY)}&tags=dataset:http_requests`,
      output_options: {
        field_names: ['ClientIP', 'ClientRequestHost', 'EdgeStartTimestamp', 'RayID'],
        timestamp_format: 'rfc3339',
        output_type: 'ndjson',
      },
      max_upload_bytes: 5000000,
      max_upload_records: 1000,
      enabled: true,
    });
    expect(
      fake
        .allJobs()
        .map((j) => j.name)
        .sort(),
    ).toEqual(['secureworks-http-gateway-dns', 'secureworks-http-http-requests']);
    expect(r.stdout).toMatch(/created job \d+: zone example\.com .* http_requests -> secureworks-http-http-requests/);
    expectNoSecret(r.stdout, r.stderr);
  });

  it('GIVEN setup already ran WHEN it runs again THEN nothing is written (idempotent)', async () => {
    expect((await runLogpush(['setup', '--config', configPath], env)).code).toBe(0);
    // Cloudflare stored the destination re-encoded (":" of the tag as %3A): still the same destination.
    expect(fake.allJobs().every((j) => j.destination_conf.includes('tags=dataset%3A'))).toBe(true);
    fake.requests.length = 0;
    const again = await runLogpush(['setup', '-c', `config=${configPath}`], env);
    expect(again.code).toBe(0);
    expect(fake.writes()).toEqual([]);
    expect(fake.allJobs()).toHaveLength(2);
    expect(again.stdout).toContain('0 to create, 0 to update, 2 unchanged');
  });

  it('GIVEN an existing job with an old key and other fields WHEN setup runs THEN that job is updated (PUT without dataset), not duplicated', async () => {
    const old = fake.addJob(`zones/${ZONE}`, {
      dataset: 'http_requests',
      name: 'manual',
      destination_conf: `${INGEST_HTTP}?header_Authorization=Bearer%20OLD-KEY-zzzzzzzzzzzz&tags=dataset:http_requests`,
      logpull_options: 'fields=ClientIP',
      max_upload_bytes: 5000000,
      max_upload_records: 1000,
    });
    const other = fake.addJob(`zones/${ZONE}`, {
      dataset: 'http_requests',
      destination_conf: 'https://other-siem.example/ingest',
    });
    const dry = await runLogpush(['setup', '--dry-run', '--config', configPath], env);
    expect(dry.code).toBe(0);
    expect(fake.writes()).toEqual([]);
    expect(dry.stdout).toContain(`would update job ${old.id}: zone example.com`);
    expect(dry.stdout).toContain('(name, destination_conf, output_options)');
    expect(dry.stdout).toContain('would create: account');
    expect(dry.stdout).not.toContain('OLD-KEY');
    expectNoSecret(dry.stdout, dry.stderr);

    const r = await runLogpush(['setup', '--config', configPath], env);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('done: 1 created, 1 updated, 0 unchanged');
    const put = fake.writes().find((w) => w.method === 'PUT');
    expect(put?.path).toBe(`/client/v4/zones/${ZONE}/logpush/jobs/${old.id}`);
    expect(put?.body).not.toHaveProperty('dataset');
    expect(fake.jobs.get(`zones/${ZONE}`)).toHaveLength(2);
    expect(fake.jobs.get(`zones/${ZONE}`)?.find((j) => j.id === old.id)?.destination_conf).toContain(
      encodeURIComponent(HTTP_KEY),
    );
    expect(fake.jobs.get(`zones/${ZONE}`)?.find((j) => j.id === other.id)?.destination_conf).toBe(
      'https://other-siem.example/ingest',
    );
  });

  it('GIVEN a paginated job list WHEN setup runs THEN a job on page 2 is found and updated, not duplicated', async () => {
    const paged = await FakeCloudflare.start({
      tokens: { [TOKEN]: 'write' },
      accounts: [ACCOUNT],
      zones: [ZONE],
      perPage: 1,
    });
    try {
      paged.addJob(`zones/${ZONE}`, { dataset: 'firewall_events', destination_conf: 'https://elsewhere.example/a' });
      const existing = paged.addJob(`zones/${ZONE}`, {
        dataset: 'http_requests',
        destination_conf: `${INGEST_HTTP}?header_Authorization=Bearer%20OLD-KEY-zzzzzzzzzzzz&tags=dataset:http_requests`,
      });
      const r = await runLogpush(['setup', '--config', configPath], { ...env, CLOUDFLARE_API_BASE_URL: paged.baseUrl });
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(paged.requests.some((q) => q.query.includes('page=2'))).toBe(true);
      expect(
        paged
          .writes()
          .filter((w) => w.path.includes(`zones/${ZONE}`))
          .map((w) => w.method),
      ).toEqual(['PUT']);
      expect(paged.writes().find((w) => w.method === 'PUT')?.path).toContain(`/jobs/${existing.id}`);
    } finally {
      await paged.close();
    }
  });

  it('GIVEN Cloudflare answers 429 with Retry-After WHEN setup runs THEN it waits that long and succeeds', async () => {
    fake.inject({
      method: 'POST',
      status: 429,
      headers: { 'Retry-After': '7' },
      body: envelopeError([{ code: 971, message: 'Please wait and consider throttling your request speed' }]),
    });
    const r = await runLogpush(['setup', '--config', configPath], env);
    expect(r.code).toBe(0);
    expect(r.sleeps).toEqual([7000]);
    expect(r.stderr).toContain('rate limited');
    expect(fake.allJobs()).toHaveLength(2);
  });

  it('GIVEN Cloudflare keeps answering 429 WHEN setup runs THEN it gives up with CLOUDFLARE_ERROR, exit 1', async () => {
    fake.inject({ method: 'GET', status: 429, headers: { 'Retry-After': '1' }, times: 10 });
    const r = await runLogpush(['status', '--config', configPath], env);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/error CLOUDFLARE_ERROR: GET \/accounts\/.*HTTP 429 after 5 attempts \(rate limited\)/);
    expect(r.stderr).toContain('fix: Cloudflare rate-limits');
  });

  it('GIVEN an HTML 502 from the edge on every GET WHEN status runs THEN it retries with backoff, then shows a snippet', async () => {
    fake.inject({ method: 'GET', status: 502, body: '<html><body>502 Bad Gateway</body></html>', times: 10 });
    const r = await runLogpush(['status', '--config', configPath], env);
    expect(r.code).toBe(1);
    expect(r.sleeps).toEqual([1000, 2000, 4000, 8000]);
    expect(r.stderr).toContain('HTTP 502 after 5 attempts: <html><body>502 Bad Gateway</body></html>');
    expect(r.stderr).toContain('fix: Cloudflare had a problem');
  });

  it('GIVEN a Retry-After longer than the tool waits WHEN rate limited THEN it fails at once saying so', async () => {
    fake.inject({ method: 'GET', status: 429, headers: { 'Retry-After': '3600' } });
    const r = await runLogpush(['status', '--config', configPath], env);
    expect(r.code).toBe(1);
    expect(r.sleeps).toEqual([]);
    expect(r.stderr).toContain('(Retry-After 3600s is longer than this tool waits)');
  });

  it('GIVEN a 500 on create WHEN setup runs THEN the POST is not retried (it could duplicate) and the error is reported', async () => {
    fake.inject({ method: 'POST', status: 500, body: envelopeError([{ code: 10002, message: 'internal error' }]) });
    const r = await runLogpush(['setup', '--config', configPath], env);
    expect(r.code).toBe(1);
    expect(fake.writes()).toHaveLength(1);
    expect(r.stderr).toContain('[10002] internal error');
  });

  it('GIVEN Cloudflare rejects the destination and echoes destination_conf WHEN setup runs THEN the key is masked in the error', async () => {
    fake.unreachableDestination = /ingest-0001/;
    const r = await runLogpush(['setup', '--config', configPath], env);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('error CLOUDFLARE_ERROR: POST /zones/');
    expect(r.stderr).toContain('error validating destination');
    expect(r.stderr).toContain('header_Authorization=****');
    expectNoSecret(r.stdout, r.stderr);
    // The account job before it was created and reported; the zone one failed.
    expect(r.stdout).toMatch(/created job \d+: account/);
  });

  it('GIVEN only the legacy e-mail and Global API key WHEN status runs THEN X-Auth-Email/X-Auth-Key are sent', async () => {
    const r = await runLogpush(['status', '--config', configPath], {
      CLOUDFLARE_EMAIL: 'secops@example.com',
      CLOUDFLARE_API_KEY: 'legacy-global-key-0123456789',
      CLOUDFLARE_API_BASE_URL: fake.baseUrl,
    });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(1); // authenticated fine; no job exists yet, so status fails
    expect(fake.requests[0]?.headers['x-auth-email']).toBe('secops@example.com');
    expect(fake.requests[0]?.headers['x-auth-key']).toBe('legacy-global-key-0123456789');
    expect(fake.requests[0]?.headers.authorization).toBeUndefined();
    expect(r.stdout).toContain('(no job)');
    expect(r.stdout).not.toContain('legacy-global-key');
  });

  it("GIVEN a wrong token WHEN status runs THEN Cloudflare's error envelope becomes a clear error with the permission fix", async () => {
    const r = await runLogpush(['status', '--config', configPath], {
      ...env,
      CLOUDFLARE_API_TOKEN: 'wrong-token-1234567890',
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('HTTP 401: [1000] Invalid API Token');
    expect(r.stderr).toContain('Logs: Edit');
    expect(r.stderr).not.toContain('wrong-token-1234567890');
  });

  it('GIVEN a read-only token WHEN setup runs THEN the 403 names the missing permission and nothing is created', async () => {
    const r = await runLogpush(['setup', '--config', configPath], { ...env, CLOUDFLARE_API_TOKEN: READ_TOKEN });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('[10000] Authentication error');
    expect(r.stderr).toContain('"Logs: Edit"');
    expect(fake.allJobs()).toHaveLength(0);
  });

  it('GIVEN a token with Logs Edit but without Zero Trust PII Read WHEN setup runs THEN the 1004 names PII Read for the Zero Trust dataset', async () => {
    const noPii = await FakeCloudflare.start({ tokens: { [TOKEN]: 'no-pii' }, accounts: [ACCOUNT], zones: [ZONE] });
    try {
      const r = await runLogpush(['setup', '--config', configPath], { ...env, CLOUDFLARE_API_BASE_URL: noPii.baseUrl });
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/\[1004\] reading job for product 'gateway' is not allowed/);
      expect(r.stderr).toContain('"Zero Trust: PII Read" for the Zero Trust dataset gateway_dns');
      expect(r.stderr).toContain(`on account ${ACCOUNT}`);
      expect(noPii.allJobs()).toHaveLength(0);
      // A zone dataset alone is allowed; a 403 there names the zone scope, not PII Read.
      const zoneOnly = writeConfig({ accounts: [] });
      const ro = await runLogpush(['setup', '--config', zoneOnly.configPath], {
        ...env,
        CLOUDFLARE_API_TOKEN: READ_TOKEN,
      });
      rmSync(zoneOnly.dir, { recursive: true, force: true });
      expect(ro.stderr).toContain(`on zone ${ZONE} (its Zone Resources must include this zone)`);
      expect(ro.stderr).not.toContain('PII');
    } finally {
      await noPii.close();
    }
  });

  it('GIVEN a dashboard-made job with our name, output_options of three fields and a full logpull_options WHEN setup runs THEN Cloudflare gets every field, and the next run writes nothing', async () => {
    const allFields = ['ClientIP', 'ClientRequestHost', 'EdgeStartTimestamp', 'RayID'];
    const dashboard = fake.addJob(`zones/${ZONE}`, {
      dataset: 'http_requests',
      name: 'secureworks-http-http-requests',
      destination_conf: `${INGEST_HTTP}?header_Authorization=Bearer%20${encodeURIComponent(HTTP_KEY)}&tags=dataset%3Ahttp_requests`,
      // What an older run of this tool wrote: Cloudflare ignores it, output_options wins.
      logpull_options: `fields=${allFields.join(',')}&timestamps=rfc3339`,
      output_options: {
        field_names: ['ClientIP', 'RayID', 'EdgeStartTimestamp'],
        timestamp_format: 'rfc3339',
        output_type: 'ndjson',
      },
      max_upload_bytes: 5000000,
      max_upload_records: 1000,
    });
    expect(fake.effectiveFields(dashboard)).toHaveLength(3);
    const r = await runLogpush(['setup', '--config', configPath], env);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`updated job ${dashboard.id}: zone example.com`);
    expect(fake.effectiveFields(dashboard).sort()).toEqual(allFields);
    fake.requests.length = 0;
    const again = await runLogpush(['setup', '--config', configPath], env);
    expect(again.code).toBe(0);
    expect(fake.writes()).toEqual([]);
    expect(again.stdout).toContain('0 to create, 0 to update, 2 unchanged');
  });

  it('GIVEN firewall_events under an account (an account-level dataset too) WHEN setup runs THEN it is accepted and pushed with the account-level fields', async () => {
    const acct = writeConfig({
      zones: [],
      accounts: [
        {
          id: ACCOUNT,
          datasets: [{ dataset: 'firewall_events', ingestUrl: INGEST_DNS, integrationKey: { env: 'TAEGIS_DNS_KEY' } }],
        },
      ],
    });
    try {
      const r = await runLogpush(['setup', '--config', acct.configPath], env);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      const [job] = fake.jobs.get(`accounts/${ACCOUNT}`) ?? [];
      expect(job?.dataset).toBe('firewall_events');
      expect(job?.output_options?.field_names).toContain('ZoneName');
    } finally {
      rmSync(acct.dir, { recursive: true, force: true });
    }
  });

  it('GIVEN health --since older than the 30 days Cloudflare keeps WHEN health runs THEN exit 2 naming the limit, nothing called', async () => {
    const now = new Date('2026-12-04T12:00:00Z');
    const r = await runLogpush(['health', '--since', '2026-11-03', '--config', configPath], env, now);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('older than Cloudflare keeps Logpush health data (30 days)');
    expect(r.stderr).toContain('--since 2026-11-04 or later');
    expect(fake.requests).toEqual([]);
    const inside = await runLogpush(['health', '--since', '2026-11-04', '--config', configPath], env, now);
    expect(inside.code).toBe(1); // no jobs yet: a check failure, not bad input
    expect(fake.requests.length).toBeGreaterThan(0);
  });

  it('GIVEN a missing integration key and no token WHEN setup runs THEN exit 2 listing both, before any request', async () => {
    const r = await runLogpush(['setup', '--config', configPath], { CLOUDFLARE_API_BASE_URL: fake.baseUrl });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('error CREDENTIALS_MISSING');
    expect(r.stderr).toContain('environment variable CLOUDFLARE_API_TOKEN is not set');
    const r2 = await runLogpush(['setup', '--config', configPath], {
      CLOUDFLARE_API_TOKEN: TOKEN,
      CLOUDFLARE_API_BASE_URL: fake.baseUrl,
    });
    expect(r2.code).toBe(2);
    expect(r2.stderr).toContain(
      'logpush.accounts[0].datasets[0].integrationKey: environment variable TAEGIS_DNS_KEY is not set',
    );
    expect(fake.requests).toEqual([]);
  });

  it("GIVEN an unknown dataset WHEN setup runs THEN Cloudflare's fields error stops it before any job is written", async () => {
    ({ dir, configPath } = writeConfig({
      accounts: [],
      zones: [
        {
          id: ZONE,
          datasets: [{ dataset: 'no_such_dataset', ingestUrl: INGEST_HTTP, integrationKey: { env: 'TAEGIS_DNS_KEY' } }],
        },
      ],
    }));
    const r = await runLogpush(['setup', '--config', configPath], env);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('invalid dataset: no_such_dataset');
    expect(fake.writes()).toEqual([]);
  });

  it('GIVEN jobs in several states WHEN status runs THEN it lists last push and error, and exits 1 for a failing managed job', async () => {
    expect((await runLogpush(['setup', '--config', configPath], env)).code).toBe(0);
    const [dns, http] = [...fake.allJobs()].sort((a, b) => a.id - b.id);
    if (!dns || !http) throw new Error('jobs not created');
    dns.last_complete = '2026-11-22T10:00:00Z';
    http.last_complete = '2026-11-22T09:00:00Z';
    http.last_error = '2026-11-22T11:00:00Z';
    http.error_message = `POST ${http.destination_conf} 401; rejected key ${HTTP_KEY}`;
    const r = await runLogpush(['status', '--config', configPath], env);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(
      /SCOPE\s+JOB\s+DATASET\s+NAME\s+MANAGED\s+STATE\s+LAST_COMPLETE\s+LAST_ERROR\s+ERROR_MESSAGE/,
    );
    expect(r.stdout).toMatch(
      new RegExp(`${dns.id}\\s+gateway_dns\\s+secureworks-http-gateway-dns\\s+yes\\s+ok\\s+2026-11-22T10:00:00Z`),
    );
    expect(r.stdout).toMatch(
      new RegExp(`${http.id}\\s+http_requests\\s+.*failing\\s+2026-11-22T09:00:00Z\\s+2026-11-22T11:00:00Z`),
    );
    expectNoSecret(r.stdout, r.stderr);

    http.last_error = null;
    http.error_message = null;
    const ok = await runLogpush(['status', '--json', '--config', configPath], env);
    expect(ok.code).toBe(0);
    const rows = JSON.parse(ok.stdout) as { dataset: string; state: string; job: { destination_conf: string } }[];
    expect(rows.map((x) => [x.dataset, x.state])).toEqual([
      ['gateway_dns', 'ok'],
      ['http_requests', 'ok'],
    ]);
    expect(rows[1]?.job.destination_conf).toBe(`${INGEST_HTTP}?header_Authorization=****&tags=dataset%3Ahttp_requests`);
  });

  it('GIVEN a job with our name for a dataset that is not configured WHEN status runs THEN it is reported as stray, left alone, and the exit code is unchanged', async () => {
    expect((await runLogpush(['setup', '--config', configPath], env)).code).toBe(0);
    for (const j of fake.allJobs()) j.last_complete = '2026-11-22T10:00:00Z';
    const stray = fake.addJob(`zones/${ZONE}`, {
      name: 'secureworks-http-firewall-events',
      dataset: 'firewall_events',
      destination_conf: `${INGEST_HTTP}?header_Authorization=Bearer%20old&tags=dataset:firewall_events`,
      last_complete: '2026-11-22T10:00:00Z',
    });
    const foreign = fake.addJob(`zones/${ZONE}`, {
      name: 'siem-firewall',
      dataset: 'firewall_events',
      destination_conf: 'https://siem.example.test/in',
      last_complete: '2026-11-22T10:00:00Z',
    });
    fake.requests.length = 0;

    const r = await runLogpush(['status', '--config', configPath], env);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(
      new RegExp(`${stray.id}\\s+firewall_events\\s+secureworks-http-firewall-events\\s+stray\\s+ok`),
    );
    expect(r.stdout).toMatch(new RegExp(`${foreign.id}\\s+firewall_events\\s+siem-firewall\\s+no\\s+ok`));
    expect(r.stdout).toContain(
      `note: job ${stray.id} (secureworks-http-firewall-events) is a stray: it has our name, but dataset firewall_events is not configured for zone example.com (${ZONE})`,
    );
    expect(r.stdout).not.toContain(`note: job ${foreign.id}`);
    expect(fake.writes()).toEqual([]);

    const json = await runLogpush(['status', '--json', '--config', configPath], env);
    const rows = JSON.parse(json.stdout) as { job: { id: number } | null; managed: boolean; stray: string | null }[];
    expect(rows.find((x) => x.job?.id === stray.id)).toMatchObject({ managed: false, stray: 'dataset-not-configured' });
    expect(rows.find((x) => x.job?.id === foreign.id)).toMatchObject({ managed: false, stray: null });
    expect(rows.filter((x) => x.managed).every((x) => x.stray === null)).toBe(true);
    expectNoSecret(r.stdout, json.stdout);
  });

  it('GIVEN a job with our name for a dataset that is not configured WHEN setup runs (dry run, first run, rerun) THEN it reports the stray as status does and never touches it', async () => {
    const stray = fake.addJob(`zones/${ZONE}`, {
      name: 'secureworks-http-firewall-events',
      dataset: 'firewall_events',
      destination_conf: `${INGEST_HTTP}?header_Authorization=Bearer%20old&tags=dataset:firewall_events`,
    });
    const foreign = fake.addJob(`zones/${ZONE}`, {
      name: 'siem-firewall',
      dataset: 'firewall_events',
      destination_conf: 'https://siem.example.test/in',
    });
    const before = structuredClone(fake.allJobs().filter((j) => j.id === stray.id || j.id === foreign.id));
    const note = `note: job ${stray.id} (secureworks-http-firewall-events) is a stray: it has our name, but dataset firewall_events is not configured for zone example.com (${ZONE}) (delete the job, or add the dataset to the config); left alone`;

    const dry = await runLogpush(['setup', '--dry-run', '--config', configPath], env);
    expect(dry.code).toBe(0);
    expect(fake.writes()).toEqual([]);
    expect(dry.stdout.split('\n')).toContain(note);

    const first = await runLogpush(['setup', '--config', configPath], env);
    expect(first.code).toBe(0);
    expect(first.stdout.split('\n')).toContain(note);
    expect(first.stdout).not.toContain(`note: job ${foreign.id}`);
    // Only the two configured datasets were written; the stray and the foreign job are as they were.
    expect(fake.writes().map((w) => w.method)).toEqual(['POST', 'POST']);
    expect(fake.writes().some((w) => w.path.endsWith(`/jobs/${stray.id}`))).toBe(false);
    expect(fake.allJobs().filter((j) => j.id === stray.id || j.id === foreign.id)).toEqual(before);

    fake.requests.length = 0;
    const again = await runLogpush(['setup', '--config', configPath], env);
    expect(again.code).toBe(0);
    expect(fake.writes()).toEqual([]);
    expect(again.stdout.split('\n')).toContain(note);
    expectNoSecret(dry.stdout, first.stdout, again.stdout);
  });

  it('GIVEN health data WHEN health runs THEN it prints per-day records/bytes/compressed/uploads and exits 1 for the job that pushed nothing', async () => {
    expect((await runLogpush(['setup', '--config', configPath], env)).code).toBe(0);
    const [dns, http] = [...fake.allJobs()].sort((a, b) => a.id - b.id);
    if (!dns || !http) throw new Error('jobs not created');
    fake.health.set(http.id, [
      { date: '2026-11-20', records: 1000, bytes: 500000, bytesCompressed: 50000, uploads: 1 },
      { date: '2026-11-20', records: 500, bytes: 250000, bytesCompressed: 25000, uploads: 1 },
      { date: '2026-11-21', records: 42, bytes: 4200, bytesCompressed: 420, uploads: 1 },
      { date: '2026-11-21', records: 9999, bytes: 1, bytesCompressed: 1, uploads: 3, status: 500 },
      { date: '2026-11-21', records: 7777, bytes: 1, bytesCompressed: 1, uploads: 1, final: 0 },
      { date: '2026-11-01', records: 1, bytes: 1, bytesCompressed: 1, uploads: 1 },
    ]);
    const r = await runLogpush(
      ['health', '--since', '2026-11-20', '--until', '2026-11-22', '--config', configPath],
      env,
    );
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/2026-11-20\s+1500\s+750000\s+75000\s+2/);
    expect(r.stdout).toMatch(/2026-11-21\s+42\s+4200\s+420\s+1/);
    expect(r.stdout).toMatch(/2026-11-22\s+0\s+0\s+0\s+0/);
    expect(r.stdout).toMatch(/total\s+1542\s+754200\s+75420\s+3/);
    expect(r.stdout).toContain('FAIL: pushed nothing between 2026-11-20 and 2026-11-22');
    const gql = fake.requests.filter((q) => q.path === '/client/v4/graphql');
    expect(gql).toHaveLength(2);
    expect(JSON.stringify(gql[1]?.body)).toContain('date_lt: \\"2026-11-23\\"');

    fake.health.set(dns.id, [{ date: '2026-11-22', records: 5, bytes: 50, bytesCompressed: 5, uploads: 1 }]);
    const ok = await runLogpush(
      ['health', '--json', '--since', '2026-11-20', '--until', '2026-11-22', '--config', configPath],
      env,
    );
    expect(ok.code).toBe(0);
    const json = JSON.parse(ok.stdout) as {
      ok: boolean;
      jobs: { dataset: string; total: { records: number }; days: unknown[] }[];
    };
    expect(json.ok).toBe(true);
    expect(json.jobs.map((j) => [j.dataset, j.total.records, j.days.length])).toEqual([
      ['gateway_dns', 5, 3],
      ['http_requests', 1542, 3],
    ]);
  });

  it('GIVEN a configured dataset without a job WHEN health runs THEN it fails (exit 1) saying to run setup', async () => {
    const r = await runLogpush(
      ['health', '--dataset', 'gateway_dns', '--config', configPath],
      env,
      new Date('2026-11-23T12:00:00Z'),
    );
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('Logpush health 2026-11-17 .. 2026-11-23');
    expect(r.stdout).toContain('FAIL: no Logpush job for this dataset and ingest URL (run setup)');
    expect(r.stdout).not.toContain('http_requests');
  });

  it('GIVEN a dataset disabled in the config WHEN setup, status and health run THEN the job is made disabled and is not a failure', async () => {
    ({ dir, configPath } = writeConfig({
      accounts: [],
      zones: [
        {
          id: ZONE,
          datasets: [
            {
              dataset: 'firewall_events',
              ingestUrl: INGEST_HTTP,
              integrationKey: { env: 'TAEGIS_DNS_KEY' },
              enabled: false,
            },
          ],
        },
      ],
    }));
    expect((await runLogpush(['setup', '--config', configPath], env)).code).toBe(0);
    expect(fake.allJobs().map((j) => [j.dataset, j.enabled])).toEqual([['firewall_events', false]]);
    const status = await runLogpush(['status', '--config', configPath], env);
    expect(status.stdout).toMatch(/firewall_events\s+secureworks-http-firewall-events\s+yes\s+disabled/);
    expect(status.code).toBe(0);
    const health = await runLogpush(['health', '--config', configPath], env);
    expect(health.code).toBe(0);
    expect(health.stdout).not.toContain('firewall_events');
  });

  it('GIVEN bad flags or dates WHEN a command runs THEN exit 2 and no request', async () => {
    for (const argv of [
      ['health', '--since', '2026-02-30', '--config', configPath],
      ['health', '--since', '2026-11-22', '--until', '2026-11-20', '--config', configPath],
      ['health', '--dataset', 'nope', '--config', configPath],
      ['setup', '--bogus', '--config', configPath],
      ['frobnicate'],
      ['status', '-c', 'region=us-east-1'],
    ]) {
      const r = await runLogpush(argv, env);
      expect(r.code, argv.join(' ')).toBe(2);
      expect(r.stderr).toMatch(/error INPUT_INVALID/);
    }
    expect(fake.requests).toEqual([]);
  });
});
