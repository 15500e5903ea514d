import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { TaegisError } from '../../lib/util/errors.js';
import { apiBaseForRegion, TaegisClient } from '../../lib/taegis/client.js';
import { DataSourcesApi } from '../../lib/taegis/datasources.js';
import { resolveTaegisApi } from '../../lib/taegis/setup.js';
import { waitForTaegisData, type SourceTarget } from '../../lib/taegis/source-check.js';
import { Masker } from '../../lib/util/masking.js';
import { FakeTaegis, type FakeAsset } from '../support/fake-taegis.js';

const ID = 'client-id-AAAA1111';
const SECRET = 'client-secret-BBBB2222-very-secret';
const TENANT = '50530';
const MIGRATED = new Date('2026-11-27T10:00:00Z');
const secs = (iso: string): number => Math.floor(Date.parse(iso) / 1000);

const asset = (over: Partial<FakeAsset> & Pick<FakeAsset, 'sourceId'>): FakeAsset => ({
  assetId: `asset-${over.sourceId}`,
  sensorType: 'AWS_CLOUDTRAIL',
  lastSeen: secs('2026-11-27T10:05:00Z'),
  health: 'HEALTHY',
  ...over,
});

describe('Taegis API client against the strict fake', () => {
  let fake: FakeTaegis;
  const sleeps: number[] = [];
  const client = (): TaegisClient =>
    new TaegisClient({
      baseUrl: fake.baseUrl,
      tenantId: TENANT,
      clientId: ID,
      clientSecret: SECRET,
      sleep: (ms) => {
        sleeps.push(ms);
        return Promise.resolve();
      },
    });
  beforeAll(async () => {
    fake = await new FakeTaegis({ clientId: ID, clientSecret: SECRET, tenantId: TENANT }).start();
  });
  afterAll(async () => fake.stop());
  afterEach(() => {
    fake.requests.length = 0;
    fake.assets = [];
    sleeps.length = 0;
  });

  it('GIVEN a region WHEN the API base is derived THEN ctpx and the others follow the documented hosts', () => {
    expect(apiBaseForRegion('ctpx')).toBe('https://api.ctpx.secureworks.com');
    expect(apiBaseForRegion('delta')).toBe('https://api.delta.taegis.secureworks.com');
    expect(apiBaseForRegion('foxtrot')).toBe('https://api.foxtrot.taegis.secureworks.com');
    // Aliases are their environment's host, never api.us1.taegis.secureworks.com (no such host).
    expect(apiBaseForRegion('US1')).toBe('https://api.ctpx.secureworks.com');
    expect(apiBaseForRegion('charlie')).toBe('https://api.ctpx.secureworks.com');
    expect(apiBaseForRegion('eu')).toBe('https://api.echo.taegis.secureworks.com');
    expect(apiBaseForRegion('euw1')).toBe('https://api.golf.taegis.secureworks.com');
  });

  it('GIVEN several queries WHEN run THEN one token serves them all, with Basic client auth, bearer and tenant header', async () => {
    fake.assets = [asset({ sourceId: 'logs-east' })];
    const api = new DataSourcesApi(client());
    expect(await api.sensorTypes()).toEqual(['AWS_CLOUDTRAIL']);
    const found = await api.lastSeenAssets({ where: { sourceIdSearch: ['logs-east'] } });
    await api.lastSeenAssets({ where: { sourceId: ['logs-east'] }, status: ['HEALTHY'] });
    expect(found.map((a) => a.sourceId)).toEqual(['logs-east']);
    expect(found[0]?.source?.name).toBe('logs-east');
    expect(fake.seen('/auth/api/v2/auth/token')).toHaveLength(1);
    const gql = fake.seen('/graphql');
    expect(gql).toHaveLength(3);
    expect(gql.every((r) => r.status === 200 && r.headers['x-tenant-context'] === TENANT)).toBe(true);
    // The fake answers GraphQL errors for any field, enum or variable type it does not know: none happened.
    expect(gql.every((r) => !r.body.includes('"errors"'))).toBe(true);
  });

  it('GIVEN a token that expired WHEN the next query gets 401 THEN a new token is fetched once and the query repeated', async () => {
    const c = client();
    const api = new DataSourcesApi(c);
    await api.sensorTypes();
    fake.expireTokens();
    await api.sensorTypes();
    expect(c.tokensFetched).toBe(2);
    expect(fake.seen('/graphql').map((r) => r.status)).toEqual([200, 401, 200]);
  });

  it('GIVEN 429 with Retry-After and then 503 WHEN queried THEN it waits as told, backs off, and succeeds', async () => {
    const api = new DataSourcesApi(client());
    await api.sensorTypes();
    fake.inject({ path: '/graphql', status: 429, headers: { 'retry-after': '3' } });
    fake.inject({ path: '/graphql', status: 503 });
    expect(await api.sensorTypes()).toEqual([]);
    expect(sleeps).toEqual([3000, 2000]);
  });

  it('GIVEN a 5xx that never ends WHEN queried THEN it gives up after the attempts with TAEGIS_API_ERROR', async () => {
    const api = new DataSourcesApi(client());
    fake.inject({ path: '/graphql', status: 502, times: 5 });
    await expect(api.sensorTypes()).rejects.toMatchObject({ code: 'TAEGIS_API_ERROR' });
    expect(fake.seen('/graphql')).toHaveLength(5);
  });

  it('GIVEN wrong client credentials WHEN a token is asked for THEN a clear error names neither id nor secret', async () => {
    const c = new TaegisClient({
      baseUrl: fake.baseUrl,
      tenantId: TENANT,
      clientId: ID,
      clientSecret: 'wrong-secret-XYZ',
    });
    const err = await new DataSourcesApi(c).sensorTypes().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TaegisError);
    const text = (err as TaegisError).format();
    expect(text).toMatch(/rejected the API client credentials \(HTTP 401\)/);
    expect(text).not.toContain('wrong-secret-XYZ');
    expect(text).not.toContain(ID);
  });

  it('GIVEN another tenant WHEN queried THEN the GraphQL error is reported', async () => {
    const c = new TaegisClient({ baseUrl: fake.baseUrl, tenantId: '999', clientId: ID, clientSecret: SECRET });
    await expect(new DataSourcesApi(c).sensorTypes()).rejects.toThrow(/tenant context/);
  });

  it('GIVEN a Retry-After longer than the tool waits WHEN queried THEN it fails at once naming the wait', async () => {
    const api = new DataSourcesApi(client());
    await api.sensorTypes();
    fake.inject({ path: '/graphql', status: 429, headers: { 'retry-after': '600' } });
    const err = await api.sensorTypes().catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'TAEGIS_API_ERROR' });
    expect((err as TaegisError).message).toContain('HTTP 429 (Retry-After 600s is longer than this tool waits)');
    expect((err as TaegisError).fix).toContain('re-run in 10 min');
    expect(sleeps).toEqual([]);
  });
});

describe('waitForTaegisData: mapping and verdicts', () => {
  let fake: FakeTaegis;
  const sleeps: number[] = [];
  const api = (): DataSourcesApi =>
    new DataSourcesApi(
      new TaegisClient({ baseUrl: fake.baseUrl, tenantId: TENANT, clientId: ID, clientSecret: SECRET }),
    );
  const run = (targets: SourceTarget[], timeoutSeconds = 0) =>
    waitForTaegisData(api(), targets, {
      timeoutSeconds,
      pollIntervalMs: 1000,
      sleep: (ms) => {
        sleeps.push(ms);
        return new Promise((r) => setTimeout(r, 5));
      },
    });
  beforeAll(async () => {
    fake = await new FakeTaegis({ clientId: ID, clientSecret: SECRET, tenantId: TENANT }).start();
  });
  afterAll(async () => fake.stop());
  afterEach(() => {
    fake.assets = [];
    sleeps.length = 0;
  });

  it('GIVEN the bucket names one healthy source seen after the migration THEN pass, found through the API', async () => {
    fake.assets = [asset({ sourceId: 'arn:aws:s3:::logs-east' }), asset({ sourceId: 'other-bucket' })];
    const r = (await run([{ key: 'ct', hint: 'logs-east', since: MIGRATED }])).get('ct')!;
    expect(r.status).toBe('pass');
    expect(r.mapping).toBe('api');
    expect(r.detail).toMatch(
      /arn:aws:s3:::logs-east .*found by "logs-east".* at 2026-11-27T10:05:00.000Z, health HEALTHY/,
    );
  });

  it('GIVEN data last seen before the migration WHEN the wait ends THEN fail as stale', async () => {
    fake.assets = [asset({ sourceId: 'logs-east', lastSeen: secs('2026-11-27T09:00:00Z') })];
    const r = (await run([{ key: 'ct', hint: 'logs-east', since: MIGRATED }], 1)).get('ct')!;
    expect(r.status).toBe('fail');
    expect(r.detail).toMatch(
      /last saw source logs-east .* at 2026-11-27T09:00:00.000Z, not since 2026-11-27T10:00:00.000Z/,
    );
  });

  it('GIVEN a source that is seen late WHEN polled THEN it passes on a later round with growing pauses', async () => {
    fake.assets = [asset({ sourceId: 'logs-east', lastSeen: secs('2026-11-27T09:00:00Z') })];
    const pauses: number[] = [];
    const r = (
      await waitForTaegisData(api(), [{ key: 'ct', hint: 'logs-east', since: MIGRATED }], {
        timeoutSeconds: 60,
        pollIntervalMs: 1000,
        sleep: (ms) => {
          pauses.push(ms);
          // Taegis indexes the data during the second pause.
          if (pauses.length === 2) fake.assets = [asset({ sourceId: 'logs-east' })];
          return Promise.resolve();
        },
      })
    ).get('ct')!;
    expect(r.status).toBe('pass');
    expect(pauses).toEqual([1000, 1500]);
  });

  it('GIVEN fresh data but health WARNING THEN fail as unhealthy', async () => {
    fake.assets = [asset({ sourceId: 'logs-east', health: 'WARNING' })];
    const r = (await run([{ key: 'ct', hint: 'logs-east', since: MIGRATED }])).get('ct')!;
    expect(r.status).toBe('fail');
    expect(r.detail).toMatch(/health is WARNING/);
  });

  it('GIVEN nothing matches and no source is configured THEN unknown, a warning that lists the sensor types', async () => {
    fake.assets = [asset({ sourceId: 'somewhere-else', sensorType: 'AWS_VPC_FLOW' })];
    const r = (await run([{ key: 'ct', hint: 'logs-east', since: MIGRATED }])).get('ct')!;
    expect(r.status).toBe('warn');
    expect(r.mapping).toBe('unknown');
    expect(r.detail).toMatch(/^unknown: no Taegis source matches "logs-east" \(sensor types with data: AWS_VPC_FLOW\)/);
  });

  it('GIVEN two sources match the bucket THEN unknown unless the config names one, which then decides', async () => {
    fake.assets = [asset({ sourceId: 'logs-east/a' }), asset({ sourceId: 'logs-east/b', health: 'NO_DATA' })];
    const amb = (await run([{ key: 'ct', hint: 'logs-east', since: MIGRATED }])).get('ct')!;
    expect(amb.status).toBe('warn');
    expect(amb.detail).toMatch(/2 Taegis sources match "logs-east"/);
    const named = (await run([{ key: 'ct', hint: 'logs-east', sourceId: 'logs-east/b', since: MIGRATED }])).get('ct')!;
    expect(named.mapping).toBe('config');
    expect(named.status).toBe('fail');
    expect(named.detail).toMatch(/logs-east\/b .*health is NO_DATA/);
  });

  it('GIVEN the bucket is not in any source id but config names the source and sensor type THEN config maps it', async () => {
    fake.assets = [asset({ sourceId: 'src-123', sensorType: 'AWS_CLOUDTRAIL' })];
    const r = (
      await run([{ key: 'ct', hint: 'logs-east', sourceId: 'src-123', sensorType: 'AWS_CLOUDTRAIL', since: MIGRATED }])
    ).get('ct')!;
    expect(r.status).toBe('pass');
    expect(r.mapping).toBe('config');
    expect(r.warnings).toEqual([]);
  });

  it('GIVEN a configured sensor type the tenant has no data for THEN a warning says so', async () => {
    fake.assets = [asset({ sourceId: 'logs-east' })];
    const r = (await run([{ key: 'ct', hint: 'logs-east', sensorType: 'AWS_WAF', since: MIGRATED }])).get('ct')!;
    expect(r.warnings.join()).toMatch(
      /sensor type "AWS_WAF" is not among those Taegis has data for \(AWS_CLOUDTRAIL\)/,
    );
  });
});

describe('resolveTaegisApi: checked before any call', () => {
  const section = { tenantId: TENANT, clientId: { env: 'TID' }, clientSecret: { env: 'TSECRET' } };

  it('GIVEN no taegis section THEN CREDENTIALS_MISSING (exit 2) with the fix', () => {
    const err = (() => {
      try {
        resolveTaegisApi({
          section: undefined,
          configPath: '/x/c.json',
          taegisRegion: 'ctpx',
          env: {},
          baseUrlOverride: undefined,
          masker: new Masker(),
        });
      } catch (e) {
        return e as TaegisError;
      }
      return undefined;
    })();
    expect(err?.code).toBe('CREDENTIALS_MISSING');
    expect(err?.exitCode).toBe(2);
  });

  it('GIVEN one secret missing THEN both problems are named by path, and the found one is masked', () => {
    const masker = new Masker();
    let err: TaegisError | undefined;
    try {
      resolveTaegisApi({
        section,
        configPath: '/x/c.json',
        taegisRegion: 'delta',
        env: { TID: ID },
        baseUrlOverride: undefined,
        masker,
      });
    } catch (e) {
      err = e as TaegisError;
    }
    expect(err?.problems.map((p) => p.path)).toEqual(['taegis.clientSecret']);
    expect(masker.mask(`id ${ID}`)).toBe('id ****');
  });

  it('GIVEN TAEGIS_API_BASE_URL THEN it wins over the region; plain http only to loopback', () => {
    const env = { TID: ID, TSECRET: SECRET };
    const ok = resolveTaegisApi({
      section,
      configPath: '/x/c.json',
      taegisRegion: 'delta',
      env,
      baseUrlOverride: 'http://127.0.0.1:9/',
      masker: new Masker(),
    });
    expect(ok.baseUrl).toBe('http://127.0.0.1:9');
    const region = resolveTaegisApi({
      section,
      configPath: '/x/c.json',
      taegisRegion: 'delta',
      env,
      baseUrlOverride: undefined,
      masker: new Masker(),
    });
    expect(region.baseUrl).toBe('https://api.delta.taegis.secureworks.com');
    expect(() =>
      resolveTaegisApi({
        section,
        configPath: '/x/c.json',
        taegisRegion: 'delta',
        env,
        baseUrlOverride: 'http://example.com',
        masker: new Masker(),
      }),
    ).toThrow(/not usable/);
  });
});
