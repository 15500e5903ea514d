import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import {
  DescribeStackResourceCommand,
  DescribeStacksCommand,
  type CloudFormationClient,
} from '@aws-sdk/client-cloudformation';
import { GetFunctionCommand, GetPolicyCommand } from '@aws-sdk/client-lambda';
import { CreateBucketCommand, PutObjectCommand, type QueueConfiguration } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createConsoleStack, putOldPackage } from '../../lib/demo/seed.js';
import { startMoto, MOTO_ACCOUNT, MOTO_CDK_DEPLOY_FLAGS, type Moto } from '../support/moto.js';
import { run, runTaegisMigrate } from '../support/run.js';
import { listFiles } from '../support/files.js';
import { makeZip } from '../support/zip.js';
import { createForeignStack, getNotifications, putLogLines, putNotifications } from '../support/verify-seed.js';

const ROOT = path.join(import.meta.dirname, '..', '..');
const EXAMPLE = path.join(ROOT, 'assets', 'example');
const REGION = 'us-east-1';
const STACK = 'lab-network-lambda';
const FUNCTION = `${STACK}-scwx-tdr-lambda-awscloudtrail`;
const STAGING_BUCKET = `taegis-staging-${MOTO_ACCOUNT}-${REGION}`;

/** The old function's code: a go1.x-style package, not the new one. */
const oldCodeZip = (): Buffer => makeZip([{ name: 'main', content: 'old go1.x binary (synthetic)', mode: 0o100755 }]);

const sha256b64 = (b: Buffer): string => createHash('sha256').update(b).digest('base64');

async function stackOf(cfn: CloudFormationClient, name: string) {
  const out = await cfn.send(new DescribeStacksCommand({ StackName: name }));
  return out.Stacks![0]!;
}

describe('in-place migration of a console-made Lambda stack, against moto with the real CDK CLI', () => {
  let moto: Moto;
  let work: string;
  let configFile: string;

  beforeAll(async () => {
    moto = await startMoto();
    work = mkdtempSync(path.join(tmpdir(), 'taegis-moto-deploy-'));
    configFile = path.join(work, 'taegis.config.json');
    writeFileSync(
      configFile,
      JSON.stringify({
        taegisRegion: 'ctpx',
        artifactsDir: EXAMPLE,
        lambdaRuntime: 'provided.al2023',
        regions: [
          {
            region: REGION,
            account: MOTO_ACCOUNT,
            lambdaStacks: [
              { stackName: STACK, integrationType: 'awscloudtrail', notificationBucket: 'lab-cloudtrail-logs' },
            ],
          },
        ],
      }),
    );
  });
  afterAll(async () => {
    await moto?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('GIVEN an old go1.x stack made by CloudFormation WHEN the shared and Lambda stacks are deployed THEN the same function runs the new package on the new runtime', async () => {
    const clients = moto.clients();
    const s3 = clients.s3(REGION);
    const cfn = clients.cloudFormation(REGION);
    const lambda = clients.lambda(REGION);

    // GIVEN the old stack, made the way the console made it: code in another bucket, parameters the new template drops.
    await putOldPackage(s3, REGION, 'lab-old-taegis-code', oldCodeZip());
    const stackId = await createConsoleStack(clients, REGION, {
      stackName: STACK,
      integration: 'awscloudtrail',
      bucket: 'lab-cloudtrail-logs',
      codeBucket: 'lab-old-taegis-code',
    });
    expect((await stackOf(cfn, STACK)).StackStatus).toBe('CREATE_COMPLETE');
    const before = await lambda.send(new GetFunctionCommand({ FunctionName: FUNCTION }));
    expect(before.Configuration?.Runtime).toBe('go1.x');
    expect(before.Configuration?.CodeSha256).toBe(sha256b64(oldCodeZip()));
    const physicalBefore = (
      await cfn.send(new DescribeStackResourceCommand({ StackName: STACK, LogicalResourceId: 'ScwxTdrLambdaFunction' }))
    ).StackResourceDetail?.PhysicalResourceId;
    expect(physicalBefore).toBe(FUNCTION);

    // The staging stack's BucketDeployment is a Lambda-backed custom resource moto cannot run: stage its objects with the SDK.
    await s3.send(new CreateBucketCommand({ Bucket: STAGING_BUCKET }));
    for (const f of [
      'taegis-lambda-amd64.zip',
      'taegis-cloudformation-shared-resources.yaml',
      'taegis-cloudformation-lambda-template.yaml',
    ]) {
      await s3.send(
        new PutObjectCommand({ Bucket: STAGING_BUCKET, Key: f, Body: readFileSync(path.join(EXAMPLE, f)) }),
      );
    }

    const cdkOut = path.join(work, 'cdk.out');
    const cdk = (...args: string[]) =>
      run('npx', ['cdk', ...args, '-c', `config=${configFile}`, '--output', cdkOut], { cwd: ROOT, env: moto.env });
    const boot = await cdk('bootstrap', `aws://${MOTO_ACCOUNT}/${REGION}`);
    expect(boot.code, boot.stderr).toBe(0);

    const deployOut = path.join(work, 'deploy.out');
    // WHEN the shared stack is deployed by "taegis-migrate deploy" (credentials from credentials.txt, never on a command line) ...
    const shared = await runTaegisMigrate(
      [
        'deploy',
        '--config',
        configFile,
        '--stack',
        `TaegisShared-${REGION}`,
        '--exclusively',
        '--method',
        'direct',
        '--no-previous-parameters',
        '--output',
        deployOut,
      ],
      { cwd: ROOT, env: moto.env },
    );
    expect(shared.code, shared.stderr).toBe(0);
    // Each deployed stack is named with its region (the shared stacks of all regions may share one name).
    expect(shared.stdout).toContain(`deployed taegis-shared-resources in ${REGION} (account ${MOTO_ACCOUNT})`);
    // ... and the Lambda stack by the real CDK CLI, with the flags moto needs (moto-notes.md).
    const deployed = await cdk('deploy', `TaegisLambda-${REGION}-${STACK}`, ...MOTO_CDK_DEPLOY_FLAGS);
    expect(deployed.code, deployed.stderr).toBe(0);

    // THEN the stack was updated in place ...
    const after = await stackOf(cfn, STACK);
    expect(after.StackStatus).toBe('UPDATE_COMPLETE');
    expect(after.StackId).toBe(stackId);
    const physicalAfter = (
      await cfn.send(new DescribeStackResourceCommand({ StackName: STACK, LogicalResourceId: 'ScwxTdrLambdaFunction' }))
    ).StackResourceDetail?.PhysicalResourceId;
    expect(physicalAfter).toBe(physicalBefore);
    // ... the same function now runs the new package from the staging bucket on the chosen runtime ...
    const fn = await lambda.send(new GetFunctionCommand({ FunctionName: FUNCTION }));
    expect(fn.Configuration?.FunctionArn).toBe(before.Configuration?.FunctionArn);
    expect(fn.Configuration?.Runtime).toBe('provided.al2023');
    expect(fn.Configuration?.Handler).toBe('bootstrap');
    expect(fn.Configuration?.CodeSha256).toBe(sha256b64(readFileSync(path.join(EXAMPLE, 'taegis-lambda-amd64.zip'))));
    expect(fn.Code?.Location).toContain('taegis-lambda-amd64.zip');
    expect(fn.Configuration?.Environment?.Variables?.INTEGRATION_TYPE).toBe('awscloudtrail');
    // ... with the values from config baked in, not parameters left for --previous-parameters to keep.
    expect((after.Parameters ?? []).map((p) => p.ParameterKey).sort()).toEqual([
      'BootstrapVersion',
      'EnableObjectTagging',
    ]);

    // The shared stack got the credentials as its NoEcho SecretValue (moto shows NoEcho values; AWS would not) and the region.
    const sharedStack = await stackOf(cfn, 'taegis-shared-resources');
    expect(sharedStack.StackStatus).toBe('CREATE_COMPLETE');
    const secret = readFileSync(path.join(EXAMPLE, 'credentials.txt'), 'utf8').replace(/\r?\n$/, '');
    expect(sharedStack.Parameters?.find((p) => p.ParameterKey === 'SecretValue')?.ParameterValue).toBe(secret);
    // And none of it reached an output or the cloud assembly the CLI used.
    for (const out of [shared.stdout, shared.stderr, deployed.stdout, deployed.stderr])
      expect(out).not.toContain('SYNTHETIC-EXAMPLE-CLIENT-SECRET-0000');
    // Both assemblies: the CLI's and the one taegis-migrate deploy synthesized before it read the credentials.
    const scanned = [...listFiles(cdkOut), ...listFiles(deployOut)];
    expect(scanned.some((f) => f.endsWith('.template.json') && f.startsWith(deployOut))).toBe(true);
    const leaks = scanned.filter((f) => readFileSync(f).includes('SYNTHETIC-EXAMPLE-CLIENT-SECRET-0000'));
    expect(leaks).toEqual([]);
  }, 420_000);

  // The whole procedure, step 5: after the deploy above, `taegis-migrate verify` moves the trigger and proves log flow.
  it('GIVEN the migrated stack, a stale qualified trigger and a foreign queue entry WHEN taegis-migrate verify runs THEN the trigger is moved, the queue entry kept as it was, and the run passes', async () => {
    const clients = moto.clients();
    const foreign = await createForeignStack(clients, REGION);
    const fnArn = `arn:aws:lambda:${REGION}:${MOTO_ACCOUNT}:function:${FUNCTION}`;
    const queueEntry: QueueConfiguration = {
      Id: 'siem-queue',
      QueueArn: foreign.queueArn,
      Events: ['s3:ObjectCreated:*'],
      Filter: { Key: { FilterRules: [{ Name: 'prefix', Value: 'siem/' }] } },
    };
    await putNotifications(clients, REGION, 'lab-cloudtrail-logs', {
      QueueConfigurations: [queueEntry],
      LambdaFunctionConfigurations: [
        {
          Id: 'console-trigger',
          LambdaFunctionArn: `${fnArn}:$LATEST`,
          Events: ['s3:ObjectCreated:*'],
          Filter: { Key: { FilterRules: [{ Name: 'prefix', Value: 'AWSLogs/' }] } },
        },
      ],
    });
    // moto cannot run the function: the line the new package logs once it ships a batch is written for it.
    await putLogLines(clients, REGION, FUNCTION, ['level=info msg="Uploading data to s3" records=42']);

    const report = path.join(work, 'verify.json');
    const verify = await runTaegisMigrate(
      [
        'verify',
        '--config',
        configFile,
        '--json',
        report,
        '--backup-dir',
        path.join(work, 'backups'),
        '--log-timeout',
        '20',
      ],
      { cwd: ROOT, env: moto.env },
    );
    expect(verify.code, `${verify.stdout}\n${verify.stderr}`).toBe(0);

    const after = await getNotifications(clients, REGION, 'lab-cloudtrail-logs');
    expect(after.QueueConfigurations).toEqual([queueEntry]);
    expect(after.LambdaFunctionConfigurations).toHaveLength(1);
    expect(after.LambdaFunctionConfigurations?.[0]).toMatchObject({
      LambdaFunctionArn: fnArn,
      Events: ['s3:ObjectCreated:*'],
      Filter: { Key: { FilterRules: [{ Name: 'prefix', Value: 'AWSLogs/' }] } },
    });
    const policy = JSON.parse(
      (await clients.lambda(REGION).send(new GetPolicyCommand({ FunctionName: FUNCTION }))).Policy ?? '{}',
    ) as { Statement?: { Principal?: { Service?: string }; Condition?: unknown }[] };
    const s3Statements = (policy.Statement ?? []).filter((st) => st.Principal?.Service === 's3.amazonaws.com');
    expect(s3Statements).toHaveLength(1);
    expect(JSON.stringify(s3Statements[0]?.Condition)).toContain('arn:aws:s3:::lab-cloudtrail-logs');
    const json = readFileSync(report, 'utf8');
    expect(json).toContain('Uploading data to s3');
    expect(json).not.toContain('SYNTHETIC-EXAMPLE-CLIENT-SECRET-0000');
  }, 180_000);
});
