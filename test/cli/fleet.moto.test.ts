import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { CreateBucketCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AccountClients } from '../../lib/aws/accounts.js';
import type { WaveOutcome } from '../../lib/cli/fleet.js';
import { verifyMain } from '../../lib/commands/verify.js';
import type { VerifyReport } from '../../lib/verify/report.js';
import { createConsoleStack, putOldPackage } from '../../lib/demo/seed.js';
import { accountsProxy, clientsIn, MEMBER_A } from '../support/accounts.js';
import type { startProxy } from '../support/aws-proxy.js';
import { MOTO_ACCOUNT, MOTO_CREDENTIALS, startMoto, type Moto } from '../support/moto.js';
import { run } from '../support/run.js';
import { putLogLines } from '../support/verify-seed.js';
import { makeZip } from '../support/zip.js';
import { parseSummary } from '../support/summary.js';

const ROOT = path.join(import.meta.dirname, '..', '..');
const BIN = path.join(ROOT, 'bin', 'taegis-migrate.mjs');
const EXAMPLE = path.join(ROOT, 'assets', 'example');
const E = 'us-east-1';
const W = 'us-west-2';
/** The account whose role the proxy refuses (moto itself never denies AssumeRole). */
const DENIED = '444444444444';
const GOOD = 'lab-network-lambda';
/** A stack in the caller's account whose deploy fails: its function code was never staged there. */
const BAD = 'lab-broken-lambda';
const LOGS = 'lab-cloudtrail-logs';
const CALLER_LOGS = 'lab-caller-logs';

interface DeployJson {
  readonly exitCode: number;
  readonly waves: readonly WaveOutcome[];
  readonly targets: readonly { account: string; region: string; result: string; reason?: string; wave: string }[];
}

/**
 * One wave of three targets in three accounts (one deploys, one's role cannot be assumed, one's stack
 * fails), then a second wave. Deployed with the real toolkit through a proxy that refuses the one account's roles.
 */
describe('GIVEN a fleet with a refused account and a failing stack in its first wave', () => {
  let moto: Moto;
  let proxy: Awaited<ReturnType<typeof startProxy>>;
  let work: string;
  let config: string;
  const keyAccount = new Map<string, string>();

  // Bucket names are global (moto too): the caller's log bucket has its own name.
  const entry = (account: string, region: string, stackName: string) => ({
    region,
    account,
    lambdaStacks: [
      {
        stackName,
        integrationType: 'awscloudtrail',
        notificationBucket: account === MOTO_ACCOUNT ? CALLER_LOGS : LOGS,
      },
    ],
  });

  beforeAll(async () => {
    moto = await startMoto();
    proxy = await accountsProxy(moto.endpoint, { denied: DENIED, keyAccount });
    work = mkdtempSync(path.join(tmpdir(), 'taegis-fleet-'));
    config = path.join(work, 'taegis.config.json');
    writeFileSync(
      config,
      JSON.stringify({
        taegisRegion: 'ctpx',
        artifactsDir: EXAMPLE,
        lambdaRuntime: 'provided.al2023',
        access: { roleName: 'TaegisMigrateVerify' },
        credentialsSecret: { name: 'taegis-migrate/credentials' },
        regions: [
          entry(MOTO_ACCOUNT, E, BAD),
          entry(MEMBER_A, E, GOOD),
          entry(DENIED, E, GOOD),
          entry(MEMBER_A, W, GOOD),
        ],
        pipeline: {
          account: MOTO_ACCOUNT,
          region: E,
          source: {
            connectionArn: `arn:aws:codeconnections:${E}:${MOTO_ACCOUNT}:connection/abc`,
            repository: 'acme/taegis',
            branch: 'main',
          },
          waves: [
            {
              name: 'pilot',
              targets: [`${MOTO_ACCOUNT}/${E}`, `${MEMBER_A}/${E}`, `${DENIED}/${E}`],
              failureTolerance: 1,
            },
            { name: 'rest', targets: ['*'] },
          ],
        },
      }),
    );

    // The member: a console-made stack, its log bucket, and the vendor files staged (BucketDeployment cannot run on
    // moto, moto-notes.md).
    const member = await clientsIn(moto.endpoint, MEMBER_A);
    const s3 = member.s3(E);
    await putOldPackage(s3, E, 'lab-old-taegis-code', makeZip([{ name: 'main', content: 'old', mode: 0o100755 }]));
    await createConsoleStack(member, E, {
      stackName: GOOD,
      integration: 'awscloudtrail',
      bucket: LOGS,
      codeBucket: 'lab-old-taegis-code',
    });
    const staging = `taegis-staging-${MEMBER_A}-${E}`;
    await s3.send(new CreateBucketCommand({ Bucket: staging }));
    for (const f of [
      'taegis-lambda-amd64.zip',
      'taegis-cloudformation-shared-resources.yaml',
      'taegis-cloudformation-lambda-template.yaml',
    ])
      await s3.send(new PutObjectCommand({ Bucket: staging, Key: f, Body: readFileSync(path.join(EXAMPLE, f)) }));
    member.destroy();
    const caller = await clientsIn(moto.endpoint, MOTO_ACCOUNT);
    await caller.s3(E).send(new CreateBucketCommand({ Bucket: CALLER_LOGS }));
    caller.destroy();

    // Both reachable accounts of the first wave bootstrapped, the member trusting the caller; never the second wave's.
    const sts = new STSClient({ region: E, endpoint: moto.endpoint, credentials: MOTO_CREDENTIALS });
    const { Credentials: admin } = await sts.send(
      new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${MEMBER_A}:role/admin`, RoleSessionName: 'bootstrap' }),
    );
    sts.destroy();
    const bootstrap = (env: NodeJS.ProcessEnv, target: string, extra: string[], out: string) =>
      run('npx', ['cdk', 'bootstrap', target, ...extra, '-c', `config=${config}`, '--output', path.join(work, out)], {
        cwd: ROOT,
        env: { ...moto.env, AWS_ENDPOINT_URL: moto.cdkEndpoint, ...env },
      });
    const boots = await Promise.all([
      bootstrap({}, `aws://${MOTO_ACCOUNT}/${E}`, [], 'boot-caller.out'),
      bootstrap(
        {
          AWS_ACCESS_KEY_ID: admin!.AccessKeyId!,
          AWS_SECRET_ACCESS_KEY: admin!.SecretAccessKey!,
          AWS_SESSION_TOKEN: admin!.SessionToken!,
        },
        `aws://${MEMBER_A}/${E}`,
        ['--trust', MOTO_ACCOUNT, '--cloudformation-execution-policies', 'arn:aws:iam::aws:policy/PowerUserAccess'],
        'boot-member.out',
      ),
    ]);
    for (const b of boots) expect(b.code, b.stderr).toBe(0);
  }, 420_000);
  afterAll(async () => {
    await proxy?.stop();
    await moto?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  const deploy = async (...args: string[]) => {
    const json = path.join(work, `deploy-${Math.random().toString(16).slice(2)}.json`);
    const summary = path.join(work, `deploy-${Math.random().toString(16).slice(2)}.md`);
    proxy.seen.length = 0;
    const r = await run(
      process.execPath,
      [
        BIN,
        'deploy',
        '--config',
        config,
        '--stack',
        'TaegisLambda-*',
        '--exclusively',
        '--method',
        'direct',
        '--no-previous-parameters',
        '--json',
        json,
        '--summary',
        summary,
        ...args,
      ],
      // The CDK CLI's TemplateURL needs "localhost" on moto (moto-notes.md); the proxy listens on 127.0.0.1.
      { cwd: work, env: { ...moto.env, AWS_ENDPOINT_URL: proxy.endpoint.replace('127.0.0.1', 'localhost') } },
    );
    const report = JSON.parse(readFileSync(json, 'utf8')) as DeployJson;
    return { ...r, report, summary: readFileSync(summary, 'utf8') };
  };

  const verify = async (...args: string[]) => {
    const accounts = new AccountClients({
      command: 'verify',
      endpoint: proxy.endpoint,
      credentials: MOTO_CREDENTIALS,
      maxAttempts: 2,
    });
    const json = path.join(work, `verify-${Math.random().toString(16).slice(2)}.json`);
    const summary = path.join(work, `verify-${Math.random().toString(16).slice(2)}.md`);
    const out: string[] = [];
    try {
      const code = await verifyMain(
        ['--config', config, '--backup-dir', path.join(work, 'backups'), '--json', json, '--summary', summary, ...args],
        { accounts, stdout: (t) => out.push(t), stderr: (t) => out.push(t), pollIntervalMs: 100, tty: false, env: {} },
      );
      return {
        code,
        out: out.join('\n'),
        report: JSON.parse(readFileSync(json, 'utf8')) as VerifyReport,
        summary: readFileSync(summary, 'utf8'),
      };
    } finally {
      accounts.destroy();
    }
  };

  it('WHEN the first wave runs with a tolerance of 2 THEN every other target is deployed and verified, both failures are in the report, and the exit code is 0', async () => {
    const d = await deploy('--wave', 'pilot', '--failure-tolerance', '2');
    expect(d.stderr).not.toMatch(/UNEXPECTED/);
    expect(d.code, `${d.stdout}\n${d.stderr}`).toBe(0);
    const byAccount = new Map(d.report.targets.map((t) => [t.account, t]));
    expect(byAccount.get(MEMBER_A)).toMatchObject({ region: E, result: 'pass' });
    expect(byAccount.get(DENIED)).toMatchObject({ result: 'fail' });
    expect(byAccount.get(MOTO_ACCOUNT)).toMatchObject({ result: 'fail' });
    expect(byAccount.get(MOTO_ACCOUNT)!.reason).toMatch(new RegExp(BAD));
    expect(d.report.targets.some((t) => t.region === W)).toBe(false);
    expect(d.report.waves).toEqual([
      expect.objectContaining({ name: 'pilot', targets: 3, failed: 2, allowed: 2, result: 'pass' }),
    ]);
    // Progress names the account of every target.
    expect(d.stderr).toContain(`deploying account ${MEMBER_A} region ${E}`);
    expect(d.stderr).toContain(`FAILED account ${DENIED} region ${E}`);
    // The member's stack was really updated in place.
    const member = await clientsIn(moto.endpoint, MEMBER_A);
    const after = (await member.cloudFormation(E).send(new DescribeStacksCommand({ StackName: GOOD }))).Stacks![0]!;
    expect(after.StackStatus).toBe('UPDATE_COMPLETE');
    // Logs flow from the updated function (moto runs no code: the line is put directly).
    await putLogLines(member, E, `${GOOD}-scwx-tdr-lambda-awscloudtrail`, ['Uploading data to s3 ok']);
    member.destroy();
    const summary = parseSummary(d.summary);
    expect(summary.title).toBe('taegis-migrate deploy: PASS');
    expect(summary.failures.map((f) => f.Account).sort()).toEqual([MOTO_ACCOUNT, DENIED].sort());

    const v = await verify('--wave', 'pilot', '--failure-tolerance', '2', '--log-timeout', '5');
    expect(v.out).not.toMatch(/UNEXPECTED/);
    expect(v.code, v.out).toBe(0);
    const region = (account: string) => v.report.regions.find((r) => r.account === account && r.region === E)!;
    expect(region(MEMBER_A).stacks[0]!.checks.every((c) => c.status === 'pass' || c.status === 'warn')).toBe(true);
    // The deployed function runs the vendor zip the config stages (moto: CodeSha256 of the zip in S3).
    expect(region(MEMBER_A).stacks[0]!.checks.find((c) => c.name === 'package')).toMatchObject({ status: 'pass' });
    expect(region(DENIED).stacks[0]!.checks[0]).toMatchObject({ status: 'fail' });
    expect(region(DENIED).stacks[0]!.checks[0]!.detail).toMatch(/AccessDenied/);
    expect(region(MOTO_ACCOUNT).stacks[0]!.checks[0]).toMatchObject({ status: 'fail' });
    expect(v.report.waves).toEqual([expect.objectContaining({ name: 'pilot', failed: 2, result: 'pass' })]);
    const vs = parseSummary(v.summary);
    expect(vs.waves).toEqual([expect.objectContaining({ Wave: 'pilot', Targets: '3', Passed: '1', Failed: '2' })]);
    expect(vs.failures.map((f) => `${f.Account}/${f.Region}/${f.Stack}`).sort()).toEqual(
      [`${MOTO_ACCOUNT}/${E}/${BAD}`, `${DENIED}/${E}/${GOOD}`].sort(),
    );
  }, 600_000);

  it("WHEN all waves run with the first wave's tolerance of 1 THEN exit 1 and the next wave is not started", async () => {
    const d = await deploy('--waves');
    expect(d.code, `${d.stdout}\n${d.stderr}`).toBe(1);
    expect(d.stderr).toMatch(/^error CHECK_FAILED: deploy failed in 2 of 3 target\(s\) attempted/m);
    expect(d.report.waves).toEqual([
      expect.objectContaining({ name: 'pilot', failed: 2, allowed: 1, result: 'exceeded' }),
      expect.objectContaining({ name: 'rest', result: 'not-started' }),
    ]);
    expect(d.report.targets.find((t) => t.region === W)).toMatchObject({ account: MEMBER_A, result: 'not-started' });
    // Nothing was sent to the second wave's region.
    expect(proxy.seen.filter((r) => String(r.headers.authorization).includes(`/${W}/`))).toEqual([]);
    expect(parseSummary(d.summary).waves.map((w) => w.Result)).toEqual(['FAIL', 'not started']);

    const v = await verify('--waves', '--log-timeout', '5');
    expect(v.code, v.out).toBe(1);
    expect(v.report.waves?.map((w) => w.result)).toEqual(['exceeded', 'not-started']);
    expect(v.report.regions.some((r) => r.region === W)).toBe(false);
    const vs = parseSummary(v.summary);
    expect(vs.rows.find((r) => r.Region === W)).toMatchObject({ Result: 'not-started' });
  }, 600_000);

  it('WHEN a stack of one wave does not exist THEN the message names its account and region (organization)', async () => {
    const v = await verify('--wave', 'rest', '--log-timeout', '0');
    expect(v.code, v.out).toBe(1);
    expect(v.report.regions.map((r) => `${r.account}/${r.region}`)).toEqual([`${MEMBER_A}/${W}`]);
    expect(v.report.regions[0]!.stacks[0]!.checks[0]).toMatchObject({
      status: 'fail',
      detail: `stack ${GOOD} does not exist in account ${MEMBER_A} region ${W}`,
    });
  }, 120_000);
});
