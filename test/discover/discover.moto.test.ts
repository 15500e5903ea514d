import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { CreateBucketCommand, PutBucketNotificationConfigurationCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AwsClientFactory } from '../../lib/aws/clients.js';
import { parseConfig } from '../../lib/config/load.js';
import { discoverMain } from '../../lib/commands/discover.js';
import { discover } from '../../lib/discover/discover.js';
import { planMain } from '../../lib/commands/plan.js';
import { reportError } from '../../lib/util/errors.js';
import { snapshotState } from '../support/aws-state.js';
import { MOTO_ACCOUNT, startMoto, type Moto } from '../support/moto.js';
import { synthApp, vendorArtifacts } from '../support/real-app.js';
import { runTaegisMigrate } from '../support/run.js';
import {
  createCodeBucket,
  createStack,
  currentLambdaTemplate,
  functionNameOnlyTemplate,
  olderLambdaTemplate,
  sharedTemplate,
  unrelatedTemplate,
} from '../support/taegis-fixtures.js';

const ROOT = path.resolve(import.meta.dirname, '..', '..');
const SECRET = 'SECRET-MARKER-4f1d2b7e';
const REGIONS = ['eu-west-1', 'us-east-1'];
const FN_ARN = `arn:aws:lambda:us-east-1:${MOTO_ACCOUNT}:function:lab-network-lambda-scwx-tdr-lambda-awscloudtrail`;
const EU_TOPIC = `arn:aws:sns:eu-west-1:${MOTO_ACCOUNT}:eu-trail-topic`;
const EU_KEY = `arn:aws:kms:eu-west-1:${MOTO_ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;

async function bucket(clients: AwsClientFactory, region: string, name: string): Promise<void> {
  await clients.s3(region).send(
    new CreateBucketCommand({
      Bucket: name,
      ...(region === 'us-east-1' ? {} : { CreateBucketConfiguration: { LocationConstraint: region as never } }),
    }),
  );
}

/** Two regions: current and older Taegis templates, one recognisable by function name only, unrelated and shared stacks. */
async function seed(moto: Moto): Promise<void> {
  const c = moto.clients();
  const us = c.cloudFormation('us-east-1');
  const eu = c.cloudFormation('eu-west-1');
  await createCodeBucket(c.s3('us-east-1'), 'us-east-1', 'old-code-us');
  await createCodeBucket(c.s3('eu-west-1'), 'eu-west-1', 'old-code-eu');
  await bucket(c, 'us-east-1', 'lab-cloudtrail-logs');
  await bucket(c, 'us-east-1', 'lab-vpc-logs');
  await bucket(c, 'eu-west-1', 'eu-trail-logs');
  const common = {
    SNSNotificationarn: '',
    NotificationBucketCustomerManagedKMSarn: '',
    LambdaEnvKMSarn: '',
    EnableObjectTagging: 'false',
  };
  await createStack(us, 'lab-network-lambda', currentLambdaTemplate(), {
    ...common,
    IntegrationType: 'awscloudtrail',
    NotificationBucket: 'lab-cloudtrail-logs',
    TaegisLambdaS3BucketName: 'old-code-us',
  });
  await createStack(us, 'legacy-vpc', olderLambdaTemplate('vpcflow'), {
    NotificationBucket: 'lab-vpc-logs',
    SNSNotificationarn: '',
    TaegisLambdaS3BucketName: 'old-code-us',
  });
  await createStack(us, 'handmade-fwd', functionNameOnlyTemplate('generic'), { CodeBucket: 'old-code-us' });
  await createStack(us, 'web-app', unrelatedTemplate(), { NotificationBucket: 'x' });
  await createStack(us, 'taegis-shared', sharedTemplate(), { SecretValue: SECRET, TaegisRegion: 'ctpx' });
  await createStack(eu, 'eu-trail-lambda', currentLambdaTemplate(), {
    ...common,
    IntegrationType: 'generic',
    NotificationBucket: 'eu-trail-logs',
    SNSNotificationarn: EU_TOPIC,
    NotificationBucketCustomerManagedKMSarn: EU_KEY,
    TaegisLambdaS3BucketName: 'old-code-eu',
  });
  await createStack(eu, 'taegis-shared', sharedTemplate(), { SecretValue: SECRET, TaegisRegion: 'ctpx' });
  await createStack(eu, 'billing', unrelatedTemplate(), { NotificationBucket: 'y' });
  // The CloudTrail bucket notifies the function today; the VPC one does not.
  await c.s3('us-east-1').send(
    new PutBucketNotificationConfigurationCommand({
      Bucket: 'lab-cloudtrail-logs',
      NotificationConfiguration: {
        LambdaFunctionConfigurations: [{ Id: 'taegis', LambdaFunctionArn: FN_ARN, Events: ['s3:ObjectCreated:*'] }],
      },
    }),
  );
}

describe('discover against moto', () => {
  let moto: Moto;
  let dir: string;
  beforeAll(async () => {
    moto = await startMoto();
    await seed(moto);
    dir = mkdtempSync(path.join(tmpdir(), 'taegis-discover-'));
  });
  afterAll(async () => {
    await moto?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('GIVEN two seeded regions WHEN discovering THEN exactly the Taegis stacks are found, with their fields', async () => {
    const report = await discover(moto.clients(), { regions: REGIONS });
    const us = report.regions.find((r) => r.region === 'us-east-1');
    const eu = report.regions.find((r) => r.region === 'eu-west-1');
    expect(us?.lambdaStacks.map((s) => s.stackName)).toEqual(['handmade-fwd', 'lab-network-lambda', 'legacy-vpc']);
    expect(eu?.lambdaStacks.map((s) => s.stackName)).toEqual(['eu-trail-lambda']);
    expect(us?.otherStacks).toBe(1);
    expect(eu?.otherStacks).toBe(1);

    const lab = us?.lambdaStacks.find((s) => s.stackName === 'lab-network-lambda');
    expect(lab).toMatchObject({
      account: MOTO_ACCOUNT,
      status: 'CREATE_COMPLETE',
      template: 'current',
      recognizedBy: ['description', 'parameters', 'function-name'],
      integrationType: 'awscloudtrail',
      integrationSource: 'parameter',
      notificationBucket: 'lab-cloudtrail-logs',
      functionName: 'lab-network-lambda-scwx-tdr-lambda-awscloudtrail',
      runtime: 'go1.x',
      notified: { state: 'yes' },
    });
    expect(lab?.snsNotificationArn).toBeUndefined();

    const legacy = us?.lambdaStacks.find((s) => s.stackName === 'legacy-vpc');
    expect(legacy).toMatchObject({
      template: 'older',
      recognizedBy: ['parameters', 'function-name'],
      integrationType: 'vpcflow',
      integrationSource: 'function-name',
      notified: { state: 'no' },
    });
    const handmade = us?.lambdaStacks.find((s) => s.stackName === 'handmade-fwd');
    expect(handmade?.recognizedBy).toEqual(['function-name']);
    expect(handmade?.notified.state).toBe('unknown');

    expect(eu?.lambdaStacks[0]).toMatchObject({
      integrationType: 'generic',
      snsNotificationArn: EU_TOPIC,
      notificationBucketKmsArn: EU_KEY,
      notified: { state: 'no' },
    });
    expect(report.regions.flatMap((r) => r.sharedStacks)).toEqual([
      { region: 'eu-west-1', stackName: 'taegis-shared', status: 'CREATE_COMPLETE', taegisRegion: 'ctpx' },
      { region: 'us-east-1', stackName: 'taegis-shared', status: 'CREATE_COMPLETE', taegisRegion: 'ctpx' },
    ]);
    expect(JSON.stringify(report)).not.toContain(SECRET);
  });

  it('GIVEN --write WHEN run twice THEN the config passes the schema, carries no secret, and is byte-identical; overwrite needs --force', async () => {
    const file = path.join(dir, 'taegis.config.json');
    const lines: string[] = [];
    const code = await discoverMain(
      ['--regions', REGIONS.join(','), '--write', file, '--xdr-login-url', 'https://ctpx.secureworks.com/'],
      {
        clients: moto.clients(),
        out: (t) => lines.push(t),
      },
    );
    expect(code).toBe(0);
    const first = readFileSync(file, 'utf8');
    expect(first).not.toContain(SECRET);
    expect(lines.join('\n')).not.toContain(SECRET);
    const cfg = parseConfig(JSON.parse(first), file);
    expect(cfg.taegisRegion).toBe('ctpx');
    expect(cfg.sharedStackName).toBe('taegis-shared');
    expect(cfg.regions.map((r) => [r.region, r.account, r.lambdaStacks.map((s) => s.stackName)])).toEqual([
      ['eu-west-1', MOTO_ACCOUNT, ['eu-trail-lambda']],
      ['us-east-1', MOTO_ACCOUNT, ['lab-network-lambda', 'legacy-vpc']],
    ]);
    expect(cfg.regions[0]?.lambdaStacks[0]).toEqual({
      stackName: 'eu-trail-lambda',
      integrationType: 'generic',
      notificationBucket: 'eu-trail-logs',
      snsNotificationArn: EU_TOPIC,
      notificationBucketKmsArn: EU_KEY,
    });
    // The stack found by function name only has no NotificationBucket: left out, and said so.
    expect(lines.join('\n')).toContain('us-east-1/handmade-fwd not written');

    await expect(
      discoverMain(['--regions', REGIONS.join(','), '--write', file, '--taegis-region', 'ctpx'], {
        clients: moto.clients(),
        out: () => {},
      }),
    ).rejects.toMatchObject({ code: 'INPUT_INVALID' });
    const again = await discoverMain(
      ['--regions', REGIONS.join(','), '--write', file, '--taegis-region', 'ctpx', '--force'],
      {
        clients: moto.clients(),
        out: () => {},
      },
    );
    expect(again).toBe(0);
    expect(readFileSync(file, 'utf8')).toBe(first);
  });

  it('GIVEN the written config WHEN synthesized by the app and planned THEN the current stack passes and the older template fails on its removed function', async () => {
    const file = path.join(dir, 'taegis.config.json');
    // The vendor files where the written config expects them ("./artifacts" next to it). The Lambda template has the
    // seeded current stacks' logical IDs and allows the seeded integrations (the app checks AllowedValues).
    const template = currentLambdaTemplate({ runtime: 'provided.al2023' });
    const parameters = template.Parameters as Record<string, unknown>;
    parameters.IntegrationType = { Type: 'String', AllowedValues: ['awscloudtrail', 'generic', 'vpcflow'] };
    vendorArtifacts(path.join(dir, 'artifacts'), template);
    const cfg = parseConfig(JSON.parse(readFileSync(file, 'utf8')), file);
    const asm = await synthApp(cfg, path.join(dir, 'discovered.out'));
    const lines: string[] = [];
    const code = await planMain(['--config', file, '--assembly', asm, '--region', 'us-east-1'], {
      clients: moto.clients(),
      out: (t) => lines.push(t),
      planOptions: { pollMs: 100, timeoutMs: 30_000 },
    });
    const text = lines.join('\n');
    expect(code).toBe(1);
    expect(text).toMatch(/us-east-1\/lab-network-lambda: \d+ change\(s\) .*\[ok\]/);
    // The older template's logical IDs differ from the new one's: CloudFormation would delete its function.
    expect(text).toMatch(/us-east-1\/legacy-vpc: \d+ change\(s\) .*\[FAIL\]/);
    expect(text).toContain('FAIL: Function (AWS::Lambda::Function) would be removed');
  });

  it('GIVEN a discover run WHEN comparing moto before and after THEN nothing changed and only read operations were sent', async () => {
    const before = await snapshotState(moto.clients(), REGIONS);
    const operations: string[] = [];
    const clients = moto.clients({ onRequest: (r) => operations.push(r.operation) });
    await discoverMain(['--all-regions'], { clients, out: () => {}, env: { AWS_REGION: 'us-east-1' } });
    const after = await snapshotState(moto.clients(), REGIONS);
    expect(after).toEqual(before);
    expect(operations.length).toBeGreaterThan(0);
    expect(operations).toContain('DescribeRegionsCommand');
    expect(operations.filter((o) => !/^(List|Describe|Get)/.test(o))).toEqual([]);
  });

  it('GIVEN --write without the Taegis region WHEN run THEN exit 2 before any AWS call, nothing written', async () => {
    const operations: string[] = [];
    const file = path.join(dir, 'none.json');
    const err = await discoverMain(['--regions', 'us-east-1', '--write', file], {
      clients: moto.clients({ onRequest: (r) => operations.push(r.operation) }),
      out: () => {},
    }).catch((e: unknown) => e);
    const printed: string[] = [];
    expect(reportError(err, (l) => printed.push(l))).toBe(2);
    expect(printed.join('\n')).toContain('--xdr-login-url');
    expect(operations).toEqual([]);
    expect(existsSync(file)).toBe(false);
  });

  it('GIVEN taegis-migrate discover WHEN run as a process against moto THEN it prints the table and writes the config', async () => {
    const file = path.join(dir, 'cli.json');
    const { code, stdout, stderr } = await runTaegisMigrate(
      [
        'discover',
        '--regions',
        'us-east-1',
        '--write',
        file,
        '--xdr-login-url',
        'https://delta.taegis.secureworks.com/',
      ],
      { cwd: ROOT, env: moto.env },
    );
    expect(code, stderr).toBe(0);
    expect(stdout).toMatch(/lab-network-lambda\s+CREATE_COMPLETE\s+awscloudtrail\s+lab-cloudtrail-logs/);
    expect(stdout).toMatch(/us-east-1\s+taegis-shared\s+CREATE_COMPLETE\s+ctpx/);
    expect(stdout).toContain('existing shared stacks use TaegisRegion ctpx, the config says delta');
    expect(JSON.parse(readFileSync(file, 'utf8'))).toMatchObject({
      taegisRegion: 'delta',
      sharedStackName: 'taegis-shared',
    });
    const bad = await runTaegisMigrate(['discover', '--regions', 'mars-1'], { cwd: ROOT, env: moto.env });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('error INPUT_INVALID: --regions: mars-1 is not an AWS region name');
  });
});
