import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { TaegisError } from '../../lib/util/errors.js';
import { verifyMain } from '../../lib/commands/verify.js';
import type { VerifyReport } from '../../lib/verify/report.js';
import { FakeTaegis, type FakeAsset } from '../support/fake-taegis.js';
import { startMoto, type Moto } from '../support/moto.js';
import { functionName, seedMixed } from '../support/verify-seed.js';
import { PutMetricAlarmCommand, SetAlarmStateCommand } from '@aws-sdk/client-cloudwatch';

const ID = 'taegis-client-id-CCCC3333';
const SECRET = 'taegis-client-secret-DDDD4444-never-shown';
const TENANT = '50530';

describe('npm run verify -- --taegis against moto and the fake Taegis API', () => {
  let moto: Moto;
  let fake: FakeTaegis;
  let dir: string;
  let configPath: string;
  let awsRequests = 0;
  const fresh = (sourceId: string, over: Partial<FakeAsset> = {}): FakeAsset => ({
    assetId: `a-${sourceId}`,
    sourceId,
    sensorType: 'AWS_CLOUDTRAIL',
    lastSeen: Math.floor(Date.now() / 1000) + 60,
    health: 'HEALTHY',
    ...over,
  });

  beforeAll(async () => {
    moto = await startMoto();
    fake = await new FakeTaegis({ clientId: ID, clientSecret: SECRET, tenantId: TENANT }).start();
    dir = mkdtempSync(path.join(tmpdir(), 'verify-taegis-'));
    ({ configPath } = await seedMixed(moto.clients(), dir));
    writeFileSync(path.join(dir, 'taegis-secret'), `${SECRET}\n`);
    const raw = JSON.parse(readFileSync(configPath, 'utf8')) as {
      regions: { lambdaStacks: Record<string, unknown>[] }[];
      taegis?: unknown;
    };
    raw.taegis = { tenantId: TENANT, clientId: { env: 'TAEGIS_CLIENT_ID' }, clientSecret: { file: 'taegis-secret' } };
    // The west bucket's name is in no Taegis source id: the config names the source.
    raw.regions[1]!.lambdaStacks[0]!.taegisSourceId = 'waf-source-7';
    writeFileSync(configPath, JSON.stringify(raw));
  });
  afterAll(async () => {
    await fake?.stop();
    await moto?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });
  beforeEach(() => {
    fake.requests.length = 0;
    awsRequests = 0;
  });

  const verify = async (args: string[], env: NodeJS.ProcessEnv = {}) => {
    const out: string[] = [];
    const err: string[] = [];
    const junit = path.join(dir, `junit-${Math.random().toString(16).slice(2)}.xml`);
    const json = path.join(dir, `report-${Math.random().toString(16).slice(2)}.json`);
    const code = await verifyMain(
      ['--config', configPath, '--backup-dir', path.join(dir, 'b'), '--junit', junit, '--json', json, ...args],
      {
        clients: moto.clients({ onRequest: () => (awsRequests += 1) }),
        env: { TAEGIS_CLIENT_ID: ID, TAEGIS_API_BASE_URL: fake.baseUrl, ...env },
        stdout: (t) => out.push(t),
        stderr: (t) => err.push(t),
        pollIntervalMs: 20,
        tty: false,
        sleep: () => Promise.resolve(),
      },
    );
    return {
      code,
      stdout: out.join('\n'),
      stderr: err.join('\n'),
      junit: readFileSync(junit, 'utf8'),
      jsonText: readFileSync(json, 'utf8'),
      report: JSON.parse(readFileSync(json, 'utf8')) as VerifyReport,
    };
  };
  const taegisOf = (r: VerifyReport, stack: string) =>
    r.regions
      .flatMap((x) => x.stacks)
      .find((s) => s.stackName === stack)
      ?.checks.find((c) => c.name === 'taegis');

  it('GIVEN Taegis saw every source after the migration WHEN verify --taegis runs THEN exit 0 with a taegis JUnit case per stack and no secret anywhere', async () => {
    fake.assets = [fresh('arn:aws:s3:::logs-east'), fresh('waf-source-7', { sensorType: 'AWS_WAF' })];
    const r = await verify(['--taegis', '--log-timeout', '5']);
    expect(r.code, r.stdout).toBe(0);
    expect(taegisOf(r.report, 'ct')?.detail).toMatch(/found by "logs-east"/);
    expect(taegisOf(r.report, 'vpc')?.status).toBe('pass');
    expect(taegisOf(r.report, 'waf')?.detail).toMatch(/waf-source-7 .*named in config/);
    for (const stack of ['ct', 'vpc', 'waf']) {
      expect(r.junit).toMatch(new RegExp(`<testcase classname="[a-z0-9-]+\\.${stack}" name="taegis"`));
    }
    expect(fake.seen('/auth/api/v2/auth/token')).toHaveLength(1);
    for (const text of [r.stdout, r.stderr, r.junit, r.jsonText]) {
      expect(text).not.toContain(SECRET);
      expect(text).not.toContain(ID);
      for (const token of fake.issuedTokens) expect(text).not.toContain(token);
    }
  });

  it('GIVEN the east source was last seen before the migration WHEN the wait ends THEN exit 1 and a JUnit failure for taegis', async () => {
    fake.assets = [
      fresh('arn:aws:s3:::logs-east', { lastSeen: Math.floor(Date.now() / 1000) - 86_400 }),
      fresh('waf-source-7'),
    ];
    const r = await verify(['--taegis', '--log-timeout', '0']);
    expect(r.code).toBe(1);
    expect(taegisOf(r.report, 'ct')?.status).toBe('fail');
    expect(taegisOf(r.report, 'ct')?.detail).toMatch(/not since/);
    expect(r.junit).toMatch(/name="taegis"[^>]*>\s*<failure message="Taegis last saw source arn:aws:s3:::logs-east/);
  });

  it('GIVEN no source matches and none is configured WHEN verify --taegis runs THEN unknown is a warning (exit 0), never a pass', async () => {
    fake.assets = [fresh('somewhere-else'), fresh('waf-source-7')];
    const r = await verify(['--taegis', '--log-timeout', '0']);
    expect(r.code).toBe(0);
    expect(taegisOf(r.report, 'ct')?.status).toBe('warn');
    expect(taegisOf(r.report, 'ct')?.detail).toMatch(/^unknown: /);
  });

  it('GIVEN the token endpoint is briefly down and the API throttles WHEN verify --taegis runs THEN it retries and passes (expiry mid-run: test/taegis/taegis.test.ts)', async () => {
    fake.assets = [fresh('arn:aws:s3:::logs-east'), fresh('waf-source-7')];
    fake.inject({ path: '/graphql', status: 429, headers: { 'retry-after': '1' } });
    fake.inject({ path: '/auth/api/v2/auth/token', status: 503 });
    const r = await verify(['--taegis', '--log-timeout', '0']);
    expect(r.code, r.stdout).toBe(0);
    expect(r.stderr).toMatch(/note: Taegis API .*HTTP (429|503); retry/);
  });

  it.each([
    [
      'the secret file is missing',
      { TAEGIS_CLIENT_ID: ID },
      (c: Record<string, unknown>) => ((c.taegis as { clientSecret: unknown }).clientSecret = { file: 'nope' }),
    ],
    ['the client id variable is not set', { TAEGIS_CLIENT_ID: '' }, () => {}],
    ['there is no taegis section', { TAEGIS_CLIENT_ID: ID }, (c: Record<string, unknown>) => delete c.taegis],
  ])(
    'GIVEN %s WHEN verify --taegis runs THEN bad input (exit 2) before any AWS or Taegis call',
    async (_what, env, mutate) => {
      const original = readFileSync(configPath, 'utf8');
      const raw = JSON.parse(original) as Record<string, unknown>;
      mutate(raw);
      writeFileSync(configPath, JSON.stringify(raw));
      try {
        const err = await verify(['--taegis'], env).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(TaegisError);
        expect((err as TaegisError).exitCode).toBe(2);
        expect((err as TaegisError).format()).not.toContain(SECRET);
        expect(awsRequests).toBe(0);
        expect(fake.requests).toHaveLength(0);
      } finally {
        writeFileSync(configPath, original);
      }
    },
  );
});

describe('npm run verify with a monitoring section: the alarms check', () => {
  let moto: Moto;
  let dir: string;
  let configPath: string;

  beforeAll(async () => {
    moto = await startMoto();
    dir = mkdtempSync(path.join(tmpdir(), 'verify-alarms-'));
    ({ configPath } = await seedMixed(moto.clients(), dir));
    const raw = JSON.parse(readFileSync(configPath, 'utf8')) as Record<string, unknown>;
    raw.monitoring = { silenceMinutes: 60 };
    writeFileSync(configPath, JSON.stringify(raw));
  });
  afterAll(async () => {
    await moto?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('GIVEN ct silent, vpc without data yet and waf unmonitored WHEN verify runs THEN alarms fail, warn and fail per stack (exit 1)', async () => {
    const clients = moto.clients();
    const put = async (region: string, fn: string, states: Record<string, 'OK' | 'ALARM' | 'INSUFFICIENT_DATA'>) => {
      for (const [suffix, state] of Object.entries(states)) {
        const name = `taegis-migrate-${fn}-${suffix}`;
        await clients.cloudWatch(region).send(
          new PutMetricAlarmCommand({
            AlarmName: name,
            Namespace: 'AWS/Lambda',
            MetricName: 'Errors',
            Statistic: 'Sum',
            Period: 300,
            EvaluationPeriods: 1,
            Threshold: 1,
            ComparisonOperator: 'GreaterThanOrEqualToThreshold',
          }),
        );
        await clients
          .cloudWatch(region)
          .send(new SetAlarmStateCommand({ AlarmName: name, StateValue: state, StateReason: `test: ${state}` }));
      }
    };
    await put('us-east-1', functionName('ct'), { 'uploads-silent': 'ALARM', errors: 'OK', throttles: 'OK' });
    await put('us-east-1', functionName('vpc', 'awsvpcflow'), {
      'uploads-silent': 'INSUFFICIENT_DATA',
      errors: 'OK',
      throttles: 'OK',
    });
    const out: string[] = [];
    const json = path.join(dir, 'alarms.json');
    const code = await verifyMain(
      ['--config', configPath, '--backup-dir', path.join(dir, 'b'), '--log-timeout', '0', '--json', json],
      { clients, env: {}, stdout: (t) => out.push(t), stderr: () => {}, tty: false },
    );
    expect(code).toBe(1);
    const report = JSON.parse(readFileSync(json, 'utf8')) as VerifyReport;
    const alarms = (stack: string) =>
      report.regions
        .flatMap((r) => r.stacks)
        .find((s) => s.stackName === stack)
        ?.checks.find((c) => c.name === 'alarms');
    expect(alarms('ct')?.status).toBe('fail');
    expect(alarms('ct')?.detail).toBe('ALARM: uploads-silent: test: ALARM');
    expect(alarms('vpc')?.status).toBe('warn');
    expect(alarms('waf')?.status).toBe('fail');
    expect(alarms('waf')?.detail).toMatch(/deploy TaegisMonitoring-/);
    // Without --taegis there is no taegis check.
    expect(
      report.regions
        .flatMap((r) => r.stacks)
        .flatMap((s) => s.checks)
        .some((c) => c.name === 'taegis'),
    ).toBe(false);
  });
});
