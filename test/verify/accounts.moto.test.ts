import { GetBucketNotificationConfigurationCommand } from '@aws-sdk/client-s3';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AccountClients } from '../../lib/aws/accounts.js';
import type { AwsClientFactory } from '../../lib/aws/clients.js';
import { verifyMain } from '../../lib/commands/verify.js';
import type { VerifyReport } from '../../lib/verify/report.js';
import { accessKeyOf, accountsProxy, clientsIn, MEMBER_A, MEMBER_B, stsParam } from '../support/accounts.js';
import { startProxy, type SeenRequest } from '../support/aws-proxy.js';
import { MOTO_ACCOUNT, MOTO_CREDENTIALS, startMoto, type Moto } from '../support/moto.js';
import { createBucket, createLambdaStack, putLogLines } from '../support/verify-seed.js';

const E = 'us-east-1';
const W = 'us-west-2';
/** An account whose role the proxy refuses to hand out (moto itself never denies AssumeRole). */
const DENIED = '444444444444';
const ROLE = 'TaegisMigrateVerify';
const WRITES = new Set(['PutBucketNotificationConfiguration', 'AddPermission', 'RemovePermission']);

/** Every target: (account, region, stack). The same region appears in several accounts. */
const TARGETS = [
  { account: MOTO_ACCOUNT, region: E, stack: 'ct' },
  { account: MEMBER_A, region: E, stack: 'ct' },
  { account: MEMBER_A, region: W, stack: 'waf' },
  { account: MEMBER_B, region: W, stack: 'vpc' },
] as const;
const bucketOf = (account: string, region: string): string => `logs-${account}-${region}`;

describe('GIVEN Taegis stacks in three accounts and two regions on moto', () => {
  let moto: Moto;
  let proxy: Awaited<ReturnType<typeof startProxy>>;
  let dir: string;
  /** Access key id -> the account the key acts in, learned from the STS answers the proxy forwarded. */
  const keyAccount = new Map<string, string>([[MOTO_CREDENTIALS.accessKeyId, MOTO_ACCOUNT]]);

  beforeAll(async () => {
    moto = await startMoto();
    proxy = await accountsProxy(moto.endpoint, { denied: DENIED, keyAccount });
  });
  afterAll(async () => {
    await proxy.stop();
    await moto.stop();
  });

  beforeEach(async () => {
    await moto.reset();
    proxy.seen.length = 0;
    dir = mkdtempSync(path.join(tmpdir(), 'accounts-moto-'));
    for (const t of TARGETS) {
      const c = await clientsIn(moto.endpoint, t.account);
      await createBucket(c, t.region, bucketOf(t.account, t.region));
      const fn = await createLambdaStack(c, t.region, t.stack, bucketOf(t.account, t.region));
      await putLogLines(c, t.region, fn, ['Uploading data to s3 ok']);
      c.destroy();
    }
  });

  function writeConfig(extra: Record<string, unknown> = {}, targets: readonly (typeof TARGETS)[number][] = TARGETS) {
    const regions = targets.map((t) => ({
      region: t.region,
      account: t.account,
      lambdaStacks: [
        { stackName: t.stack, integrationType: 'awscloudtrail', notificationBucket: bucketOf(t.account, t.region) },
      ],
    }));
    const file = path.join(dir, `taegis-${Math.random().toString(16).slice(2)}.json`);
    writeFileSync(file, JSON.stringify({ taegisRegion: 'ctpx', artifactsDir: './nowhere', regions, ...extra }));
    return file;
  }

  async function run(config: string, args: string[] = []) {
    const accounts = new AccountClients({
      command: 'verify',
      endpoint: proxy.endpoint,
      credentials: MOTO_CREDENTIALS,
      maxAttempts: 2,
    });
    const out: string[] = [];
    const json = path.join(dir, `report-${Math.random()}.json`);
    const junit = path.join(dir, `junit-${Math.random()}.xml`);
    const code = await verifyMain(
      ['--config', config, '--backup-dir', path.join(dir, 'backups'), '--json', json, '--junit', junit, ...args],
      { accounts, stdout: (t) => out.push(t), stderr: (t) => out.push(t), pollIntervalMs: 100, tty: false },
    ).catch((err: unknown) => {
      accounts.destroy();
      throw err;
    });
    accounts.destroy();
    const report = JSON.parse(readFileSync(json, 'utf8')) as VerifyReport;
    return { code, out: out.join('\n'), report, junit: readFileSync(junit, 'utf8') };
  }

  const requestsTo = (service: string): SeenRequest[] => proxy.seen.filter((r) => r.service === service);

  it('WHEN verify runs with one top-level role THEN every account passes through its own credentials and no bucket is touched with another account', async () => {
    const { code, out, report, junit } = await run(writeConfig({ access: { roleName: ROLE } }), ['--log-timeout', '5']);
    expect(out).not.toMatch(/UNEXPECTED/);
    expect(code).toBe(0);
    // Grouped by account, then region.
    expect(report.regions.map((r) => `${r.account}/${r.region}`)).toEqual([
      `${MOTO_ACCOUNT}/${E}`,
      `${MEMBER_A}/${E}`,
      `${MEMBER_A}/${W}`,
      `${MEMBER_B}/${W}`,
    ]);
    expect(report.summary.fail).toBe(0);
    expect(junit).toContain(`<testsuite name="${MEMBER_A}.${W}"`);

    // One AssumeRole per member account (cached for the run), with a session name saying it is this tool.
    const assumes = requestsTo('sts').filter((r) => stsParam(r, 'Action') === 'AssumeRole');
    expect(assumes.map((r) => stsParam(r, 'RoleArn')).sort()).toEqual([
      `arn:aws:iam::${MEMBER_A}:role/${ROLE}`,
      `arn:aws:iam::${MEMBER_B}:role/${ROLE}`,
    ]);
    expect(assumes.every((r) => stsParam(r, 'RoleSessionName') === 'taegis-migrate-verify')).toBe(true);

    // Every S3 request names its bucket's owner and is signed with that owner's credentials.
    const s3 = requestsTo('s3');
    expect(s3.length).toBeGreaterThan(0);
    for (const req of s3) {
      const bucket = decodeURIComponent(req.url.split('?')[0]!.split('/')[1] ?? '');
      const owner = /^logs-(\d{12})-/.exec(bucket)?.[1];
      expect(owner, req.url).toBeDefined();
      expect(req.headers['x-amz-expected-bucket-owner'], req.url).toBe(owner);
      expect(keyAccount.get(accessKeyOf(req) ?? ''), req.url).toBe(owner);
    }
    // Each member's bucket now triggers its own account's function.
    for (const t of TARGETS) {
      const c = await clientsIn(moto.endpoint, t.account);
      const cfg = await c
        .s3(t.region)
        .send(new GetBucketNotificationConfigurationCommand({ Bucket: bucketOf(t.account, t.region) }));
      expect(cfg.LambdaFunctionConfigurations?.map((l) => l.LambdaFunctionArn)).toEqual([
        `arn:aws:lambda:${t.region}:${t.account}:function:${t.stack}-scwx-tdr-lambda-awscloudtrail`,
      ]);
      c.destroy();
    }
    // Backups record the account each bucket belongs to, for restore.
    const backups = readdirSync(path.join(dir, 'backups')).map(
      (f) => JSON.parse(readFileSync(path.join(dir, 'backups', f), 'utf8')) as { account: string; bucket: string },
    );
    expect(backups.map((b) => `${b.account}:${b.bucket}`).sort()).toEqual(
      TARGETS.map((t) => `${t.account}:${bucketOf(t.account, t.region)}`).sort(),
    );
  });

  it("WHEN a member's backup is restored THEN the restore goes into that account with its credentials", async () => {
    await run(writeConfig({ access: { roleName: ROLE } }), ['--log-timeout', '0']);
    const file = readdirSync(path.join(dir, 'backups')).find((f) => f.includes(bucketOf(MEMBER_B, W)))!;
    proxy.seen.length = 0;
    const accounts = new AccountClients({
      command: 'verify-restore',
      endpoint: proxy.endpoint,
      credentials: MOTO_CREDENTIALS,
    });
    const out: string[] = [];
    const code = await verifyMain(
      [
        'restore',
        '--backup',
        path.join(dir, 'backups', file),
        '--backup-dir',
        path.join(dir, 'backups2'),
        '--role-name',
        ROLE,
      ],
      { accounts, stdout: (t) => out.push(t), stderr: (t) => out.push(t) },
    );
    accounts.destroy();
    expect(code, out.join('\n')).toBe(0);
    const c = await clientsIn(moto.endpoint, MEMBER_B);
    const cfg = await c.s3(W).send(new GetBucketNotificationConfigurationCommand({ Bucket: bucketOf(MEMBER_B, W) }));
    c.destroy();
    // The seeded bucket had no notification: the backup taken before verify's write is empty again.
    expect(cfg.LambdaFunctionConfigurations ?? []).toEqual([]);
    const s3 = requestsTo('s3');
    expect(s3.length).toBeGreaterThan(0);
    for (const req of s3) {
      expect(req.headers['x-amz-expected-bucket-owner']).toBe(MEMBER_B);
      expect(keyAccount.get(accessKeyOf(req) ?? '')).toBe(MEMBER_B);
    }
    expect(
      requestsTo('sts')
        .map((r) => stsParam(r, 'RoleArn'))
        .filter(Boolean),
    ).toEqual([`arn:aws:iam::${MEMBER_B}:role/${ROLE}`]);
  });

  it('WHEN one account refuses AssumeRole THEN it is reported with the reason, nothing is sent into it, and the others still pass (exit 1)', async () => {
    const targets = [...TARGETS, { account: DENIED, region: E, stack: 'ct' } as never];
    const { code, report } = await run(writeConfig({ access: { roleName: ROLE } }, targets), ['--log-timeout', '5']);
    expect(code).toBe(1);
    const denied = report.regions.find((r) => r.account === DENIED)!;
    expect(denied.stacks[0]!.checks[0]!.status).toBe('fail');
    expect(denied.stacks[0]!.checks[0]!.detail).toMatch(/AccessDenied/);
    expect(denied.stacks[0]!.checks[0]!.detail).toContain(`arn:aws:iam::${DENIED}:role/${ROLE}`);
    for (const r of report.regions.filter((x) => x.account !== DENIED)) {
      expect(r.stacks.every((s) => s.checks.every((c) => c.status === 'pass' || c.status === 'warn'))).toBe(true);
    }
    expect(proxy.seen.filter((r) => r.url.includes(DENIED) && r.service !== 'sts')).toEqual([]);
  });

  it('WHEN an entry names its own role and ExternalId THEN that role is assumed with it (the entry wins)', async () => {
    const file = writeConfig({ access: { roleName: ROLE } }, [TARGETS[0], TARGETS[1]]);
    const raw = JSON.parse(readFileSync(file, 'utf8')) as { regions: Record<string, unknown>[] };
    raw.regions[1]!.access = { roleName: 'OtherRole', externalId: 'ext-123' };
    writeFileSync(file, JSON.stringify(raw));
    const { code } = await run(file, ['--dry-run']);
    expect(code).toBe(0);
    const assume = requestsTo('sts').find((r) => stsParam(r, 'Action') === 'AssumeRole')!;
    expect(stsParam(assume, 'RoleArn')).toBe(`arn:aws:iam::${MEMBER_A}:role/OtherRole`);
    expect(stsParam(assume, 'ExternalId')).toBe('ext-123');
  });

  it('WHEN --role-name is given THEN it is the role assumed in every member account, over the config (ExternalId kept) or where the config gives none', async () => {
    const file = writeConfig({ access: { roleName: ROLE, externalId: 'ext-9' } }, [TARGETS[0], TARGETS[1]]);
    expect((await run(file, ['--dry-run', '--role-name', 'Operator'])).code).toBe(0);
    let assume = requestsTo('sts').filter((r) => stsParam(r, 'Action') === 'AssumeRole');
    expect(assume.map((r) => [stsParam(r, 'RoleArn'), stsParam(r, 'ExternalId')])).toEqual([
      [`arn:aws:iam::${MEMBER_A}:role/Operator`, 'ext-9'],
    ]);
    proxy.seen.length = 0;
    const { code, report } = await run(writeConfig({}, [TARGETS[0], TARGETS[1]]), [
      '--dry-run',
      '--role-name',
      'Operator',
    ]);
    expect(code, JSON.stringify(report.summary)).toBe(0);
    assume = requestsTo('sts').filter((r) => stsParam(r, 'Action') === 'AssumeRole');
    expect(assume.map((r) => [stsParam(r, 'RoleArn'), stsParam(r, 'ExternalId')])).toEqual([
      [`arn:aws:iam::${MEMBER_A}:role/Operator`, undefined],
    ]);
  });

  it("WHEN the config's account is not the caller's and no access is given THEN exit 2 before anything but GetCallerIdentity", async () => {
    const file = writeConfig({}, [TARGETS[1]]);
    await expect(run(file)).rejects.toMatchObject({ code: 'INPUT_INVALID', exitCode: 2 });
    expect(proxy.seen.map((r) => stsParam(r, 'Action') ?? r.service)).toEqual(['GetCallerIdentity']);
  });

  it('WHEN a stack ARN names another account than the config THEN exit 2 and nothing is written', async () => {
    // The test's own clients act in the default account: the config's member account is wrong for them.
    const clients: AwsClientFactory = await clientsIn(proxy.endpoint, MOTO_ACCOUNT);
    const file = writeConfig({}, [{ ...TARGETS[0], account: MEMBER_A }]);
    proxy.seen.length = 0;
    const err = await verifyMain(['--config', file, '--backup-dir', path.join(dir, 'b'), '--log-timeout', '0'], {
      clients,
      stdout: () => undefined,
      stderr: () => undefined,
    }).catch((e: unknown) => e);
    clients.destroy();
    expect(err).toMatchObject({ code: 'INPUT_INVALID', exitCode: 2 });
    expect((err as Error).message).toContain(`is in ${MOTO_ACCOUNT}, configured ${MEMBER_A}`);
    const ops = proxy.seen.map((r) => r.headers['x-amz-target'] ?? r.url);
    expect(ops.some((o) => [...WRITES].some((w) => String(o).includes(w)))).toBe(false);
    expect(proxy.seen.filter((r) => r.method === 'PUT' || (r.method === 'POST' && r.service === 'lambda'))).toEqual([]);
  });
});

describe('GIVEN bad account input', () => {
  let moto: Moto;
  let proxy: Awaited<ReturnType<typeof startProxy>>;
  let dir: string;
  beforeAll(async () => {
    moto = await startMoto();
    proxy = await startProxy(moto.endpoint, {});
    dir = mkdtempSync(path.join(tmpdir(), 'accounts-bad-'));
  });
  afterAll(async () => {
    await proxy.stop();
    await moto.stop();
  });

  const config = (regions: unknown[], extra: Record<string, unknown> = {}): string => {
    const file = path.join(dir, `c-${Math.random().toString(16).slice(2)}.json`);
    writeFileSync(file, JSON.stringify({ taegisRegion: 'ctpx', regions, ...extra }));
    return file;
  };
  const entry = (account: string, region = E) => ({
    region,
    account,
    lambdaStacks: [{ stackName: 'ct', integrationType: 'awscloudtrail', notificationBucket: 'logs-x' }],
  });

  it.each([
    [
      'an unknown account in --account',
      [entry(MEMBER_A)],
      {},
      ['--account', '999999999999'],
      /account 999999999999 is not in/,
    ],
    ['an invalid role name', [entry(MEMBER_A)], { access: { roleName: 'has space' } }, [], /is not an IAM role name/],
    [
      'an ARN as role name',
      [entry(MEMBER_A)],
      { access: { roleName: 'arn:aws:iam::1:role/x' } },
      [],
      /is not an IAM role name/,
    ],
    ['two accounts without access', [entry(MEMBER_A), entry(MEMBER_B)], {}, [], /have no "access"/],
    [
      'an invalid --role-name',
      [entry(MEMBER_A)],
      {},
      ['--role-name', 'a/b'],
      /"path":"--role-name","message":"\\"a\/b\\" is not an IAM role name"/,
    ],
    [
      'one region twice in one account',
      [entry(MEMBER_A), entry(MEMBER_A)],
      {},
      [],
      /listed twice \(regions\[0\] and regions\[1\]\)/,
    ],
  ])('WHEN %s THEN exit 2 and nothing is called', async (_name, regions, extra, args, message) => {
    proxy.seen.length = 0;
    const accounts = new AccountClients({ command: 'verify', endpoint: proxy.endpoint, credentials: MOTO_CREDENTIALS });
    const err = await verifyMain(['--config', config(regions, extra), '--dry-run', ...args], {
      accounts,
      stdout: () => undefined,
      stderr: () => undefined,
    }).catch((e: unknown) => e);
    accounts.destroy();
    expect(err).toMatchObject({ exitCode: 2 });
    expect(`${(err as Error).message} ${JSON.stringify((err as { problems?: unknown }).problems)}`).toMatch(message);
    expect(proxy.seen).toEqual([]);
  });

  it('WHEN one region appears in two accounts THEN the config is valid', async () => {
    const { parseConfig } = await import('../../lib/config/load.js');
    const cfg = parseConfig(
      { taegisRegion: 'ctpx', access: { roleName: ROLE }, regions: [entry(MEMBER_A), entry(MEMBER_B)] },
      '/x.json',
    );
    expect(cfg.regions.map((r) => r.account)).toEqual([MEMBER_A, MEMBER_B]);
  });
});
