import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { planMain } from '../../lib/commands/plan.js';
import { parseConfig } from '../../lib/config/load.js';
import { MOTO_ACCOUNT, MOTO_CDK_DEPLOY_FLAGS, type Moto } from '../support/moto.js';
import { useMoto } from '../support/use-moto.js';
import { synthApp, vendorArtifacts } from '../support/real-app.js';
import { run } from '../support/run.js';
import { createCodeBucket, createStack, currentLambdaTemplate } from '../support/taegis-fixtures.js';

const ROOT = path.join(import.meta.dirname, '..', '..');
const REGION = 'us-east-1';
const STACK = 'lab-network-lambda';

/**
 * The proof that cdk.json's feature flags change nothing in the vendor stacks, the way a user would see it: the
 * Lambda stack as the app WITHOUT the flags deployed it (real CDK CLI), then `npm run plan`, which synthesizes WITH
 * cdk.json's flags: CloudFormation (moto) finds nothing to change.
 */
describe("cdk.json's feature flags, planned on moto", () => {
  const motoServer = useMoto();
  let moto: Moto;
  let dir: string;
  let configFile: string;

  beforeAll(async () => {
    moto = motoServer();
    dir = mkdtempSync(path.join(tmpdir(), 'taegis-flags-plan-'));
    const c = moto.clients();
    await createCodeBucket(c.s3(REGION), REGION, 'old-code');
    await createCodeBucket(c.s3(REGION), REGION, `taegis-staging-${MOTO_ACCOUNT}-${REGION}`);
    await c.s3(REGION).send(new CreateBucketCommand({ Bucket: 'lab-cloudtrail-logs' }));
    // The console-made stack, as in plan.moto.test.ts.
    await createStack(c.cloudFormation(REGION), STACK, currentLambdaTemplate(), {
      IntegrationType: 'awscloudtrail',
      NotificationBucket: 'lab-cloudtrail-logs',
      SNSNotificationarn: '',
      NotificationBucketCustomerManagedKMSarn: '',
      TaegisLambdaS3BucketName: 'old-code',
      LambdaEnvKMSarn: '',
      EnableObjectTagging: 'false',
    });
    const cfg = {
      taegisRegion: 'ctpx',
      artifactsDir: vendorArtifacts(path.join(dir, 'artifacts'), currentLambdaTemplate({ runtime: 'provided.al2023' })),
      regions: [
        {
          region: REGION,
          account: MOTO_ACCOUNT,
          lambdaStacks: [
            { stackName: STACK, integrationType: 'awscloudtrail', notificationBucket: 'lab-cloudtrail-logs' },
          ],
        },
      ],
    };
    configFile = path.join(dir, 'taegis.config.json');
    writeFileSync(configFile, JSON.stringify(cfg));
  });
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('GIVEN the Lambda stack deployed by the app without the flags WHEN npm run plan synthesizes with them THEN no change', async () => {
    // No context, so no feature flag: the stack as an app whose cdk.json sets none deployed it.
    const withoutFlags = await synthApp(
      parseConfig(JSON.parse(readFileSync(configFile, 'utf8')), configFile),
      path.join(dir, 'old.out'),
      'none',
    );
    const cdk = (...args: string[]) => run('npx', ['cdk', ...args], { cwd: ROOT, env: moto.env });
    // Each CDK CLI run its own --output: two runs on one cdk.out (another test file's) refuse each other.
    const boot = await cdk(
      'bootstrap',
      `aws://${MOTO_ACCOUNT}/${REGION}`,
      '-c',
      `config=${configFile}`,
      '--output',
      path.join(dir, 'boot.out'),
    );
    expect(boot.code, boot.stderr).toBe(0);
    const deployed = await cdk(
      'deploy',
      `TaegisLambda-${REGION}-${STACK}`,
      '--app',
      withoutFlags,
      ...MOTO_CDK_DEPLOY_FLAGS,
    );
    expect(deployed.code, deployed.stderr).toBe(0);
    const stack = await moto
      .clients()
      .cloudFormation(REGION)
      .send(new DescribeStacksCommand({ StackName: STACK }));
    expect(stack.Stacks?.[0]?.StackStatus).toBe('UPDATE_COMPLETE');

    // THEN plan (in-process synth with cdk.json's context, as `npm run plan` does) finds nothing to change.
    const lines: string[] = [];
    const json = path.join(dir, 'plan.json');
    const code = await planMain(['--config', configFile, '--json', json, '--no-previous-parameters'], {
      clients: moto.clients(),
      out: (t) => lines.push(t),
      planOptions: { pollMs: 100, timeoutMs: 30_000 },
    });
    expect(code, lines.join('\n')).toBe(0);
    const report = JSON.parse(readFileSync(json, 'utf8')) as {
      stacks: { stackName: string; state: string; changes: unknown[] }[];
    };
    expect(report.stacks.map((s) => [s.stackName, s.state, s.changes])).toEqual([[STACK, 'no-changes', []]]);
  }, 300_000);
});
