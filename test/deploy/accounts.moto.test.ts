import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { GetFunctionCommand } from '@aws-sdk/client-lambda';
import { CreateBucketCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createConsoleStack, putOldPackage } from '../../lib/demo/seed.js';
import { clientsIn, MEMBER_A } from '../support/accounts.js';
import { MOTO_ACCOUNT, MOTO_CREDENTIALS, startMoto, type Moto } from '../support/moto.js';
import { run, runTaegisMigrate } from '../support/run.js';
import { makeZip } from '../support/zip.js';

const ROOT = path.join(import.meta.dirname, '..', '..');
const EXAMPLE = path.join(ROOT, 'assets', 'example');
const REGION = 'us-east-1';
const STACK = 'lab-network-lambda';
const FUNCTION = `${STACK}-scwx-tdr-lambda-awscloudtrail`;

describe('deploy into a member account the standard CDK way (bootstrap --trust, the toolkit assumes the deploy role)', () => {
  let moto: Moto;
  let work: string;

  beforeAll(async () => {
    moto = await startMoto();
    work = mkdtempSync(path.join(tmpdir(), 'taegis-deploy-accounts-'));
  });
  afterAll(async () => {
    await moto?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it("GIVEN a member's console-made stack and its account bootstrapped with --trust <caller> WHEN taegis-migrate deploy runs from the caller THEN the member's stack is updated in place and nothing lands in the caller's account", async () => {
    const member = await clientsIn(moto.endpoint, MEMBER_A);
    const s3 = member.s3(REGION);
    await putOldPackage(s3, REGION, 'lab-old-taegis-code', makeZip([{ name: 'main', content: 'old', mode: 0o100755 }]));
    const stackId = await createConsoleStack(member, REGION, {
      stackName: STACK,
      integration: 'awscloudtrail',
      bucket: 'lab-cloudtrail-logs',
      codeBucket: 'lab-old-taegis-code',
    });
    expect(stackId).toContain(`:${MEMBER_A}:`);
    // BucketDeployment cannot run on moto: stage the member's objects with the SDK (moto-notes.md).
    const staging = `taegis-staging-${MEMBER_A}-${REGION}`;
    await s3.send(new CreateBucketCommand({ Bucket: staging }));
    for (const f of [
      'taegis-lambda-amd64.zip',
      'taegis-cloudformation-shared-resources.yaml',
      'taegis-cloudformation-lambda-template.yaml',
    ])
      await s3.send(new PutObjectCommand({ Bucket: staging, Key: f, Body: readFileSync(path.join(EXAMPLE, f)) }));

    // A config spanning two accounts (ids carry the account); the caller's own entry is not deployed here.
    const configFile = path.join(work, 'taegis.config.json');
    const entry = (account: string) => ({
      region: REGION,
      account,
      lambdaStacks: [{ stackName: STACK, integrationType: 'awscloudtrail', notificationBucket: 'lab-cloudtrail-logs' }],
    });
    writeFileSync(
      configFile,
      JSON.stringify({
        taegisRegion: 'ctpx',
        artifactsDir: EXAMPLE,
        lambdaRuntime: 'provided.al2023',
        access: { roleName: 'TaegisMigrateVerify' },
        regions: [entry(MOTO_ACCOUNT), entry(MEMBER_A)],
      }),
    );

    // The member's administrator bootstraps it, trusting the deploying (caller's) account.
    const sts = new STSClient({ region: REGION, endpoint: moto.endpoint, credentials: MOTO_CREDENTIALS });
    const { Credentials: admin } = await sts.send(
      new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${MEMBER_A}:role/admin`, RoleSessionName: 'bootstrap' }),
    );
    sts.destroy();
    const memberEnv = {
      ...moto.env,
      AWS_ACCESS_KEY_ID: admin!.AccessKeyId!,
      AWS_SECRET_ACCESS_KEY: admin!.SecretAccessKey!,
      AWS_SESSION_TOKEN: admin!.SessionToken!,
    };
    const boot = await run(
      'npx',
      [
        'cdk',
        'bootstrap',
        `aws://${MEMBER_A}/${REGION}`,
        '--trust',
        MOTO_ACCOUNT,
        '--cloudformation-execution-policies',
        'arn:aws:iam::aws:policy/PowerUserAccess',
        '-c',
        `config=${configFile}`,
        '--output',
        path.join(work, 'boot.out'),
      ],
      { cwd: ROOT, env: memberEnv },
    );
    expect(boot.code, boot.stderr).toBe(0);

    // WHEN the caller deploys the member's Lambda stack with taegis-migrate deploy (caller's credentials only).
    const deployed = await runTaegisMigrate(
      [
        'deploy',
        '--config',
        configFile,
        '--account',
        MEMBER_A,
        '--stack',
        `TaegisLambda-${MEMBER_A}-${REGION}-${STACK}`,
        '--exclusively',
        '--method',
        'direct',
        '--no-previous-parameters',
      ],
      { cwd: ROOT, env: moto.env },
    );
    expect(deployed.code, `${deployed.stdout}\n${deployed.stderr}`).toBe(0);

    // THEN the member's stack was updated in place, the same function now on the new package and runtime ...
    const after = (await member.cloudFormation(REGION).send(new DescribeStacksCommand({ StackName: STACK })))
      .Stacks![0]!;
    expect(after.StackStatus).toBe('UPDATE_COMPLETE');
    expect(after.StackId).toBe(stackId);
    const fn = await member.lambda(REGION).send(new GetFunctionCommand({ FunctionName: FUNCTION }));
    expect(fn.Configuration?.Runtime).toBe('provided.al2023');
    expect(fn.Configuration?.FunctionArn).toContain(`:${MEMBER_A}:`);
    // ... and nothing was created in the caller's account.
    const caller = await clientsIn(moto.endpoint, MOTO_ACCOUNT);
    const mine = await caller
      .cloudFormation(REGION)
      .send(new DescribeStacksCommand({ StackName: STACK }))
      .catch((e: unknown) => e);
    expect(String(mine)).toMatch(/does not exist/);
    caller.destroy();
    member.destroy();
  }, 420_000);
});
