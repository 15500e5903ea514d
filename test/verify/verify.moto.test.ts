import { GetPolicyCommand } from '@aws-sdk/client-lambda';
import type { NotificationConfiguration } from '@aws-sdk/client-s3';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { AwsClientFactory } from '../../lib/aws/clients.js';
import { verifyMain } from '../../lib/commands/verify.js';
import { defaultLambdaRuntime } from '../../lib/facts/lambda-runtimes.js';
import type { VerifyReport } from '../../lib/verify/report.js';
import { MOTO_ACCOUNT, startMoto, type Moto } from '../support/moto.js';
import {
  createBucket,
  createLambdaStack,
  functionArn,
  functionName,
  getNotifications,
  putLogLines,
  putNotifications,
  seedMixed,
} from '../support/verify-seed.js';

const E = 'us-east-1';
const W = 'us-west-2';
const WRITES = new Set([
  'PutBucketNotificationConfigurationCommand',
  'AddPermissionCommand',
  'RemovePermissionCommand',
]);

interface Run {
  code: number;
  out: string;
  ops: string[];
  report: VerifyReport;
  junit: string;
}

describe('npm run verify against moto', () => {
  let moto: Moto;
  let dir: string;
  let configPath: string;
  let seeded: NotificationConfiguration;

  beforeAll(async () => {
    moto = await startMoto();
  });
  afterAll(async () => {
    await moto.stop();
  });

  beforeEach(async () => {
    await moto.reset();
    dir = mkdtempSync(path.join(tmpdir(), 'verify-moto-'));
    ({ configPath, seeded } = await seedMixed(moto.clients(), dir));
  });

  async function run(args: string[], clients?: AwsClientFactory, stderr: (t: string) => void = () => {}): Promise<Run> {
    const ops: string[] = [];
    const c = clients ?? moto.clients({ onRequest: (i) => ops.push(i.operation) });
    const out: string[] = [];
    const json = path.join(dir, `report-${Date.now()}-${Math.random()}.json`);
    const junit = path.join(dir, `junit-${Date.now()}-${Math.random()}.xml`);
    const code = await verifyMain(
      [
        '--config',
        configPath,
        '--backup-dir',
        path.join(dir, 'backups'),
        '--json',
        json,
        '--junit',
        junit,
        '--log-timeout',
        '0',
        ...args,
      ],
      { clients: c, stdout: (t) => out.push(t), stderr, pollIntervalMs: 200, tty: false },
    );
    return {
      code,
      out: out.join('\n'),
      ops,
      report: JSON.parse(readFileSync(json, 'utf8')) as VerifyReport,
      junit: readFileSync(junit, 'utf8'),
    };
  }

  const backups = (): string[] => {
    try {
      return readdirSync(path.join(dir, 'backups'));
    } catch {
      return [];
    }
  };

  async function s3Statements(fn: string, region = E): Promise<unknown[]> {
    const p = await moto
      .clients()
      .lambda(region)
      .send(new GetPolicyCommand({ FunctionName: fn }));
    const doc = JSON.parse(p.Policy ?? '{}') as { Statement: { Principal: { Service?: string } }[] };
    return doc.Statement.filter((s) => s.Principal.Service === 's3.amazonaws.com');
  }

  it('GIVEN the mixed bucket WHEN verify runs THEN foreign entries survive byte for byte, stale ones are replaced by inheriting entries, permissions are added once, and a second run writes nothing', async () => {
    const first = await run([]);
    expect(first.out).toContain('PASS');
    expect(first.code).toBe(0);

    const east = await getNotifications(moto.clients(), E, 'logs-east');
    // Foreign entries exactly as seeded, in order.
    expect(east.TopicConfigurations).toEqual(seeded.TopicConfigurations);
    expect(east.QueueConfigurations).toEqual(seeded.QueueConfigurations);
    expect(east.LambdaFunctionConfigurations).toEqual([
      seeded.LambdaFunctionConfigurations![0],
      {
        Id: 'taegis-migrate-ct-scwx-tdr-lambda-awscloudtrail',
        LambdaFunctionArn: functionArn(E, functionName('ct')),
        Events: ['s3:ObjectCreated:Put', 's3:ObjectCreated:CompleteMultipartUpload'],
        Filter: { Key: { FilterRules: [{ Name: 'prefix', Value: 'AWSLogs/' }] } },
      },
      {
        Id: 'taegis-migrate-vpc-scwx-tdr-lambda-awsvpcflow',
        LambdaFunctionArn: functionArn(E, functionName('vpc', 'awsvpcflow')),
        Events: ['s3:ObjectCreated:*'],
        Filter: { Key: { FilterRules: [{ Name: 'prefix', Value: 'vpcflow/' }] } },
      },
    ]);
    const west = await getNotifications(moto.clients(), W, 'logs-west');
    expect(west.LambdaFunctionConfigurations).toEqual([
      {
        Id: 'taegis-migrate-waf-scwx-tdr-lambda-awswaf',
        LambdaFunctionArn: functionArn(W, functionName('waf', 'awswaf')),
        Events: ['s3:ObjectCreated:*'],
      },
    ]);
    // Read once per bucket, then re-read before the put and read back after it.
    expect(first.ops.filter((o) => o === 'GetBucketNotificationConfigurationCommand')).toHaveLength(6);
    expect(first.ops.filter((o) => o === 'PutBucketNotificationConfigurationCommand')).toHaveLength(2);
    expect(first.ops.filter((o) => o === 'AddPermissionCommand')).toHaveLength(3);
    expect(await s3Statements(functionName('ct'))).toEqual([
      expect.objectContaining({
        Condition: {
          ArnLike: { 'AWS:SourceArn': 'arn:aws:s3:::logs-east' },
          StringEquals: { 'AWS:SourceAccount': MOTO_ACCOUNT },
        },
      }),
    ]);
    expect(backups()).toHaveLength(2);

    // The report: every check, before/after, warnings with dates; JUnit a suite per region.
    const ctResult = first.report.regions[0]!.stacks.find((s) => s.stackName === 'ct')!;
    expect(ctResult.checks.map((c) => [c.name, c.status])).toEqual([
      ['stack', 'pass'],
      ['runtime', 'warn'],
      ['health', 'pass'],
      ['trigger', 'pass'],
      ['logs', 'warn'],
    ]);
    expect(ctResult.checks[1]!.warnings[0]).toContain('updates blocked from 2027-03-03');
    expect(ctResult.checks[4]!.warnings[0]).toContain('ERROR transient upstream 502');
    // A token in a function's log line never reaches the table, JSON or JUnit.
    expect(ctResult.checks[4]!.warnings[0]).toContain('ERROR transient upstream 502 (Authorization: ****');
    for (const text of [first.out, JSON.stringify(first.report), first.junit])
      expect(text).not.toContain('SEEDED-LOG-TOKEN-123');
    const eastBucket = first.report.regions[0]!.buckets[0]!;
    expect(eastBucket.outcome).toBe('changed');
    expect(eastBucket.removed).toHaveLength(3);
    expect(eastBucket.before).toEqual(getSeededAsMotoReturnsIt());
    expect(eastBucket.after).toEqual(east);
    expect(first.junit).toContain('<testsuite name="us-east-1" tests="10" failures="0"');
    expect(first.junit).toContain('<testsuite name="us-west-2" tests="5" failures="0"');
    expect(first.junit).toContain('classname="us-east-1.ct" name="trigger"');

    const second = await run([]);
    expect(second.code).toBe(0);
    expect(second.ops.filter((o) => WRITES.has(o))).toEqual([]);
    expect(second.out).toContain('nothing changed');
    expect(backups()).toHaveLength(2);
    expect(await getNotifications(moto.clients(), E, 'logs-east')).toEqual(east);
    expect(await s3Statements(functionName('ct'))).toHaveLength(1);
  });

  function getSeededAsMotoReturnsIt(): unknown {
    // moto's get omits EventBridgeConfiguration (moto-notes.md); everything else is what was seeded.
    const { EventBridgeConfiguration: _eb, ...rest } = seeded;
    return rest;
  }

  it("GIVEN --stack vpc on a bucket vpc shares with ct WHEN verify runs THEN ct's old entry (function gone) is left for ct's own run", async () => {
    const result = await run(['--stack', 'vpc']);
    expect(result.code).toBe(0);
    const east = await getNotifications(moto.clients(), E, 'logs-east');
    const ids = (east.LambdaFunctionConfigurations ?? []).map((e) => e.Id);
    // vpc's qualified entry was replaced; ct's stale entry is still there for ct to inherit its events and filter.
    expect(ids).toContain('old-taegis-cloudtrail');
    expect(ids).not.toContain('vpc-latest');
    expect(east.LambdaFunctionConfigurations?.find((e) => e.Id === 'old-taegis-cloudtrail')).toEqual(
      seeded.LambdaFunctionConfigurations?.find((e) => e.Id === 'old-taegis-cloudtrail'),
    );
  });

  it('GIVEN a successful run WHEN its backup is restored THEN the bucket is back to the seeded configuration, and the replaced one is saved', async () => {
    await run([]);
    const [eastBackup] = backups().filter((f) => f.startsWith(`${E}_logs-east_`));
    const out: string[] = [];
    const code = await verifyMain(
      ['restore', '--backup', path.join(dir, 'backups', eastBackup!), '--backup-dir', path.join(dir, 'backups')],
      {
        clients: moto.clients(),
        stdout: (t) => out.push(t),
      },
    );
    expect(code).toBe(0);
    expect(out.join('\n')).toContain('restored bucket logs-east');
    expect(await getNotifications(moto.clients(), E, 'logs-east')).toEqual(getSeededAsMotoReturnsIt());
    expect(backups()).toHaveLength(3);
  });

  it('GIVEN --dry-run THEN it shows kept/removed/added entries and permissions per bucket, writes nothing, and exits 0', async () => {
    const r = await run(['--dry-run']);
    expect(r.code).toBe(0);
    expect(r.ops.filter((o) => WRITES.has(o))).toEqual([]);
    expect(backups()).toEqual([]);
    expect(r.out).toContain('bucket logs-east (ct, vpc): would-change');
    expect(r.out).toMatch(/keep +queue siem-queue/);
    expect(r.out).toMatch(/remove +lambda old-taegis-cloudtrail/);
    expect(r.out).toMatch(/add +lambda taegis-migrate-ct-scwx-tdr-lambda-awscloudtrail/);
    expect(r.out).toMatch(/permit +ct-scwx-tdr-lambda-awscloudtrail: s3.amazonaws.com may lambda:InvokeFunction/);
    expect(await getNotifications(moto.clients(), E, 'logs-east')).toEqual(getSeededAsMotoReturnsIt());
  });

  it('GIVEN a stack that has logged nothing yet WHEN --dry-run THEN "not yet" is a note and the exit code is 0; the real run still fails on it', async () => {
    const c = moto.clients();
    await createBucket(c, W, 'logs-fresh');
    await createLambdaStack(c, W, 'fresh', 'logs-fresh', { integration: 'ciscoumbrella' });
    const cfg = JSON.parse(readFileSync(configPath, 'utf8')) as { regions: { lambdaStacks: unknown[] }[] };
    cfg.regions[1]!.lambdaStacks.push({
      stackName: 'fresh',
      integrationType: 'ciscoumbrella',
      notificationBucket: 'logs-fresh',
    });
    writeFileSync(configPath, JSON.stringify(cfg));

    const dry = await run(['--dry-run']);
    expect(dry.code).toBe(0);
    expect(dry.ops.filter((o) => WRITES.has(o))).toEqual([]);
    const logs = dry.report.regions[1]!.stacks.find((x) => x.stackName === 'fresh')!.checks.find(
      (x) => x.name === 'logs',
    )!;
    expect(logs.status).toBe('warn');
    expect(logs.detail).toContain('dry run: not yet: log group /aws/lambda/fresh-scwx-tdr-lambda-ciscoumbrella');
    expect(dry.junit).not.toContain('<failure');

    const real = await run([]);
    expect(real.code).toBe(1);
    const realLogs = real.report.regions[1]!.stacks.find((x) => x.stackName === 'fresh')!.checks.find(
      (x) => x.name === 'logs',
    )!;
    expect(realLogs.status).toBe('fail');
  });

  it('GIVEN a trigger that would overlap a kept entry WHEN refused THEN the fix names the config "trigger"; WHEN the stack is given a disjoint trigger THEN verify writes exactly that entry', async () => {
    const c = moto.clients();
    const foreign = seeded.QueueConfigurations![0]!;
    // The SIEM queue takes CloudTrail digest files: the inherited AWSLogs/ entry of ct would be ambiguous.
    await putNotifications(c, E, 'logs-east', {
      ...seeded,
      QueueConfigurations: [
        {
          ...foreign,
          Filter: {
            Key: {
              FilterRules: [
                { Name: 'prefix', Value: 'AWSLogs/' },
                { Name: 'suffix', Value: '-digest.json' },
              ],
            },
          },
        },
      ],
    });
    const refused = await run([]);
    expect(refused.code).toBe(1);
    expect(refused.out).toContain('refused, nothing written to logs-east');
    expect(refused.out).toContain('give ct a "trigger" under regions[].lambdaStacks[]');

    const cfg = JSON.parse(readFileSync(configPath, 'utf8')) as {
      regions: { lambdaStacks: { stackName: string; trigger?: unknown }[] }[];
    };
    cfg.regions[0]!.lambdaStacks.find((x) => x.stackName === 'ct')!.trigger = {
      events: ['s3:ObjectCreated:Put', 's3:ObjectCreated:CompleteMultipartUpload'],
      prefix: 'AWSLogs/',
      suffix: '.json.gz',
    };
    writeFileSync(configPath, JSON.stringify(cfg));
    const fixed = await run([]);
    expect(fixed.code).toBe(0);
    const ct = fixed.report.regions[0]!.stacks.find((x) => x.stackName === 'ct')!.checks.find(
      (x) => x.name === 'trigger',
    )!;
    expect(ct.detail).toContain('events and filter from the config "trigger"');
    const east = await getNotifications(c, E, 'logs-east');
    expect(
      east.LambdaFunctionConfigurations?.find((e) => e.Id === 'taegis-migrate-ct-scwx-tdr-lambda-awscloudtrail'),
    ).toEqual({
      Id: 'taegis-migrate-ct-scwx-tdr-lambda-awscloudtrail',
      LambdaFunctionArn: functionArn(E, functionName('ct')),
      Events: ['s3:ObjectCreated:Put', 's3:ObjectCreated:CompleteMultipartUpload'],
      Filter: {
        Key: {
          FilterRules: [
            { Name: 'prefix', Value: 'AWSLogs/' },
            { Name: 'suffix', Value: '.json.gz' },
          ],
        },
      },
    });
  });

  it('GIVEN a desired entry that would overlap a kept queue entry THEN that bucket is refused with no write, the other region still passes, and the exit code is 1', async () => {
    const c = moto.clients();
    const foreign = seeded.QueueConfigurations![0]!;
    // The queue now takes every new object: the inherited AWSLogs/ entry would be ambiguous.
    await putNotifications(c, E, 'logs-east', { ...seeded, QueueConfigurations: [{ ...foreign, Filter: undefined }] });
    const before = await getNotifications(c, E, 'logs-east');
    const r = await run([]);
    expect(r.code).toBe(1);
    expect(r.out).toContain('refused, nothing written to logs-east');
    expect(r.out).toContain('ambiguously defined');
    expect(r.ops.filter((o) => o === 'PutBucketNotificationConfigurationCommand')).toHaveLength(1); // logs-west only
    expect(await getNotifications(c, E, 'logs-east')).toEqual(before);
    expect(r.report.regions[1]!.stacks[0]!.checks.every((x) => x.status !== 'fail')).toBe(true);
  });

  it('GIVEN a stack on the wrong runtime and a stack that does not exist THEN both are reported, their triggers are not touched, the rest passes and the exit code is 1', async () => {
    const c = moto.clients();
    await createLambdaStack(c, W, 'umbrella', 'logs-west', {
      integration: 'ciscoumbrella',
      // Never the default on any date, so the verdict does not change on AWS's block-update date.
      runtime: 'nodejs20.x',
    });
    const cfg = JSON.parse(readFileSync(configPath, 'utf8')) as { regions: { lambdaStacks: unknown[] }[] };
    cfg.regions[1]!.lambdaStacks.push(
      { stackName: 'umbrella', integrationType: 'ciscoumbrella', notificationBucket: 'logs-west' },
      { stackName: 'ghost', integrationType: 'awswaf', notificationBucket: 'logs-west' },
    );
    writeFileSync(configPath, JSON.stringify(cfg));
    const r = await run([]);
    expect(r.code).toBe(1);
    const west = r.report.regions[1]!.stacks;
    const umbrella = west.find((s) => s.stackName === 'umbrella')!;
    expect(umbrella.checks.find((x) => x.name === 'runtime')).toMatchObject({
      status: 'fail',
      detail: `runtime is nodejs20.x, expected ${defaultLambdaRuntime(new Date())}`,
    });
    expect(umbrella.checks.find((x) => x.name === 'trigger')!.status).toBe('skip');
    const ghost = west.find((s) => s.stackName === 'ghost')!;
    expect(ghost.checks[0]).toMatchObject({ status: 'fail', detail: 'stack ghost does not exist in us-west-2' });
    expect(west.find((s) => s.stackName === 'waf')!.checks.map((x) => x.status)).not.toContain('fail');
    const westCfg = await getNotifications(c, W, 'logs-west');
    expect(westCfg.LambdaFunctionConfigurations?.map((e) => e.LambdaFunctionArn)).toEqual([
      functionArn(W, functionName('waf', 'awswaf')),
    ]);
    expect(r.junit).toMatch(
      /classname="us-west-2.umbrella" name="runtime"[^>]*>\s*<failure message="runtime is nodejs20.x, expected provided\.al2(023)?"/,
    );
    // With --expect-runtime the same stack passes its runtime check.
    const r2 = await run(['--region', W, '--stack', 'umbrella', '--expect-runtime', 'nodejs20.x']);
    expect(r2.report.regions[0]!.stacks[0]!.checks.find((x) => x.name === 'runtime')!.status).toBe('pass');
  });

  it('GIVEN log groups without the success line WHEN waiting THEN a line arriving during the wait passes, a missing group and error-only lines fail after --log-timeout', async () => {
    const c = moto.clients();
    await moto.reset();
    await createBucket(c, E, 'logs-east');
    const a = await createLambdaStack(c, E, 'ct', 'logs-east');
    const b = await createLambdaStack(c, E, 'vpc', 'logs-east', { integration: 'awsvpcflow' });
    // Each stack's old (gone) function had its own prefix; the new triggers inherit them and do not overlap.
    await putNotifications(c, E, 'logs-east', {
      LambdaFunctionConfigurations: [
        {
          Id: 'old-vpc',
          LambdaFunctionArn: functionArn(E, 'vpc-scwx-tdr-lambda-v1'),
          Events: ['s3:ObjectCreated:*'],
          Filter: { Key: { FilterRules: [{ Name: 'prefix', Value: 'vpcflow/' }] } },
        },
        {
          Id: 'old-ct',
          LambdaFunctionArn: functionArn(E, 'ct-scwx-tdr-lambda-v1'),
          Events: ['s3:ObjectCreated:*'],
          Filter: { Key: { FilterRules: [{ Name: 'prefix', Value: 'AWSLogs/' }] } },
        },
      ],
    });
    await putLogLines(
      c,
      E,
      b,
      ['ERROR cannot reach Taegis', 'level=error msg="auth failed"', 'Uploading data to s3 (old, before the update)'],
      Date.now() - 3_600_000,
    );
    await putLogLines(c, E, b, ['ERROR cannot reach Taegis']);
    await createBucket(c, W, 'logs-west');
    const waf = await createLambdaStack(c, W, 'waf', 'logs-west', { integration: 'awswaf' });
    // The success line arrives while verify waits: written once its first poll round has reported progress (none
    // seen yet), not after a fixed delay that a loaded machine could stretch past the wait.
    let late: Promise<void> | undefined;
    const onStderr = (line: string): void => {
      if (late === undefined && /^waiting for "Uploading data to s3"/.test(line)) {
        late = putLogLines(c, W, waf, ['Uploading data to s3 ok']);
      }
    };
    const t0 = Date.now();
    const r = await run(['--log-timeout', '3'], undefined, onStderr);
    expect(late, 'verify reported no progress before its wait ended').toBeDefined();
    await late;
    expect(Date.now() - t0).toBeGreaterThanOrEqual(2900);
    expect(r.code).toBe(1);
    const logs = (stack: string): { status: string; detail: string; warnings: readonly string[] } =>
      r.report.regions
        .flatMap((x) => x.stacks)
        .find((s) => s.stackName === stack)!
        .checks.find((x) => x.name === 'logs')!;
    expect(logs('ct')).toMatchObject({ status: 'fail' });
    expect(logs('ct').detail).toContain(`log group /aws/lambda/${a} does not exist yet`);
    expect(logs('vpc').status).toBe('fail');
    expect(logs('vpc').detail).toContain('no "Uploading data to s3"');
    expect(logs('vpc').warnings[0]).toContain('1 error-level line(s)');
    expect(logs('waf').status).toBe('pass');
    expect(
      (await getNotifications(c, E, 'logs-east')).LambdaFunctionConfigurations?.map((e) => [
        e.LambdaFunctionArn,
        e.Filter?.Key?.FilterRules?.[0]?.Value,
      ]),
    ).toEqual([
      [functionArn(E, b), 'vpcflow/'],
      [functionArn(E, a), 'AWSLogs/'],
    ]);
  });
});
