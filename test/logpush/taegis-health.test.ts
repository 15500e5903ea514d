import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { FakeCloudflare } from '../support/fake-cloudflare.js';
import { FakeTaegis, type FakeAsset } from '../support/fake-taegis.js';
import { ACCOUNT, DNS_KEY, runLogpush, TOKEN, writeConfig, ZONE } from './helpers.js';

const ID = 'taegis-id-EEEE5555';
const SECRET = 'taegis-secret-FFFF6666-hidden';
const TENANT = '777';
const NOW = new Date('2026-11-22T12:00:00Z');
const at = (iso: string): number => Math.floor(Date.parse(iso) / 1000);

describe('npm run logpush -- health --taegis (fake Cloudflare and fake Taegis)', () => {
  let cf: FakeCloudflare;
  let taegis: FakeTaegis;
  let dir: string;
  let standalone: string;
  let main: string;
  let env: NodeJS.ProcessEnv;
  const asset = (sourceId: string, over: Partial<FakeAsset> = {}): FakeAsset => ({
    assetId: `a-${sourceId}`,
    sourceId,
    sensorType: 'HTTP_INGEST',
    lastSeen: at('2026-11-22T11:00:00Z'),
    health: 'HEALTHY',
    ...over,
  });

  beforeAll(async () => {
    cf = await FakeCloudflare.start({ tokens: { [TOKEN]: 'write' }, accounts: [ACCOUNT], zones: [ZONE] });
    taegis = await new FakeTaegis({ clientId: ID, clientSecret: SECRET, tenantId: TENANT }).start();
  });
  afterAll(async () => {
    await cf.close();
    await taegis.stop();
  });
  beforeEach(async () => {
    let configPath: string;
    ({ dir, configPath } = writeConfig());
    standalone = configPath;
    writeFileSync(path.join(dir, 'taegis.secret'), SECRET);
    main = path.join(dir, 'taegis.config.json');
    writeFileSync(
      main,
      JSON.stringify({
        taegisRegion: 'ctpx',
        regions: [{ region: 'us-east-1', account: '123456789012', lambdaStacks: [] }],
        logpush: JSON.parse(readFileSync(standalone, 'utf8')) as unknown,
        taegis: { tenantId: TENANT, clientId: { env: 'TAEGIS_CLIENT_ID' }, clientSecret: { file: 'taegis.secret' } },
      }),
    );
    env = {
      CLOUDFLARE_API_TOKEN: TOKEN,
      TAEGIS_DNS_KEY: DNS_KEY,
      CLOUDFLARE_API_BASE_URL: cf.baseUrl,
      TAEGIS_CLIENT_ID: ID,
      TAEGIS_API_BASE_URL: taegis.baseUrl,
    };
    for (const list of cf.jobs.values()) list.length = 0;
    cf.requests.length = 0;
    cf.health.clear();
    taegis.requests.length = 0;
    expect((await runLogpush(['setup', '--config', main], env)).code).toBe(0);
    for (const job of cf.allJobs()) {
      cf.health.set(job.id, [{ date: '2026-11-21', records: 5, bytes: 50, bytesCompressed: 5, uploads: 1 }]);
    }
    cf.requests.length = 0;
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('GIVEN Taegis saw both datasets since --since WHEN health --taegis runs THEN exit 0, a Taegis line per dataset, no secret', async () => {
    taegis.assets = [asset('cloudflare-http_requests-example.com'), asset('cloudflare-gateway_dns')];
    const r = await runLogpush(['health', '--taegis', '--since', '2026-11-20', '--config', main], env, NOW);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(
      /zone [0-9a-f]{32} http_requests: PASS Taegis saw source cloudflare-http_requests-example.com/,
    );
    expect(r.stdout).toMatch(/account [0-9a-f]{32} gateway_dns: PASS/);
    for (const text of [r.stdout, r.stderr]) {
      expect(text).not.toContain(SECRET);
      expect(text).not.toContain(ID);
    }
    const json = await runLogpush(
      ['health', '--json', '--taegis', '--since', '2026-11-20', '--config', main],
      env,
      NOW,
    );
    const body = JSON.parse(json.stdout) as { taegis: { dataset: string; status: string; mapping: string }[] };
    expect(body.taegis.map((t) => [t.dataset, t.status, t.mapping])).toEqual([
      ['gateway_dns', 'pass', 'api'],
      ['http_requests', 'pass', 'api'],
    ]);
  });

  it('GIVEN Taegis last saw gateway_dns before --since WHEN health --taegis runs THEN exit 1 for it', async () => {
    taegis.assets = [
      asset('cloudflare-http_requests-example.com'),
      asset('cloudflare-gateway_dns', { lastSeen: at('2026-11-10T00:00:00Z') }),
    ];
    const r = await runLogpush(['health', '--taegis', '--since', '2026-11-20', '--config', main], env, NOW);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(
      /gateway_dns: FAIL Taegis last saw source cloudflare-gateway_dns .* not since 2026-11-20T00:00:00.000Z/,
    );
  });

  it('GIVEN a standalone logpush config or a missing secret WHEN health --taegis runs THEN exit 2 before any call', async () => {
    const a = await runLogpush(['health', '--taegis', '--config', standalone], env, NOW);
    expect(a.code).toBe(2);
    expect(a.stderr).toMatch(/needs the main config/);
    const b = await runLogpush(['health', '--taegis', '--config', main], { ...env, TAEGIS_CLIENT_ID: '' }, NOW);
    expect(b.code).toBe(2);
    expect(b.stderr).toMatch(/taegis.clientId: environment variable TAEGIS_CLIENT_ID is not set/);
    expect(cf.requests).toHaveLength(0);
    expect(taegis.requests).toHaveLength(0);
  });
});
