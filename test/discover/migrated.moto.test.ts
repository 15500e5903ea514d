import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import {
  DescribeStacksCommand,
  UpdateStackCommand,
  waitUntilStackUpdateComplete,
} from '@aws-sdk/client-cloudformation';
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../lib/config/load.js';
import { discoverMain } from '../../lib/commands/discover.js';
import { discover } from '../../lib/discover/discover.js';
import { MOTO_ACCOUNT, startMoto, type Moto } from '../support/moto.js';
import { synthApp, vendorArtifacts } from '../support/real-app.js';
import { createCodeBucket, createStack, currentLambdaTemplate } from '../support/taegis-fixtures.js';

const REGION = 'us-east-1';
const STAGING = `taegis-staging-${MOTO_ACCOUNT}-${REGION}`;
const TOPIC = `arn:aws:sns:${REGION}:${MOTO_ACCOUNT}:trail-topic`;
// The example vendor template's wording: a description that names no integration.
const SELECTED =
  'This CloudFormation template deploys SecureWorks TDR Lambda function for the selected integration logs stored in S3 bucket';

/** The vendor template as the console used it, with the description that names no integration. */
function vendorTemplate(): Record<string, unknown> {
  const t = currentLambdaTemplate();
  t.Description = SELECTED;
  return t;
}

describe('discover after a partial migration, against moto', () => {
  let moto: Moto;
  let dir: string;

  beforeAll(async () => {
    moto = await startMoto();
    dir = mkdtempSync(path.join(tmpdir(), 'taegis-discover-migrated-'));
    const c = moto.clients();
    const cfn = c.cloudFormation(REGION);
    await createCodeBucket(c.s3(REGION), REGION, 'old-code');
    await createCodeBucket(c.s3(REGION), REGION, STAGING);
    for (const b of ['lab-cloudtrail-logs', 'lab-vpc-logs'])
      await c.s3(REGION).send(new CreateBucketCommand({ Bucket: b }));
    // What `cdk bootstrap` leaves: the synthesized template's BootstrapVersion parameter reads it from SSM.
    await createStack(cfn, 'bootstrap-version', {
      Resources: {
        Version: {
          Type: 'AWS::SSM::Parameter',
          Properties: { Name: '/cdk-bootstrap/hnb659fds/version', Type: 'String', Value: '30' },
        },
      },
    });
    // GIVEN two console-made stacks from the vendor template ...
    const common = { NotificationBucketCustomerManagedKMSarn: '', LambdaEnvKMSarn: '', EnableObjectTagging: 'false' };
    await createStack(cfn, 'lab-network-lambda', vendorTemplate(), {
      ...common,
      IntegrationType: 'awscloudtrail',
      NotificationBucket: 'lab-cloudtrail-logs',
      SNSNotificationarn: TOPIC,
      TaegisLambdaS3BucketName: 'old-code',
    });
    await createStack(cfn, 'lab-vpc-lambda', vendorTemplate(), {
      ...common,
      IntegrationType: 'generic',
      NotificationBucket: 'lab-vpc-logs',
      SNSNotificationarn: '',
      TaegisLambdaS3BucketName: 'old-code',
    });
    // ... AND only the first migrated: the app's synthesized template, applied in place as the deploy does.
    vendorArtifacts(path.join(dir, 'artifacts'), vendorTemplate());
    const config = parseConfig(
      {
        taegisRegion: 'ctpx',
        artifactsDir: './artifacts',
        lambdaRuntime: 'provided.al2023',
        regions: [
          {
            region: REGION,
            account: MOTO_ACCOUNT,
            lambdaStacks: [
              {
                stackName: 'lab-network-lambda',
                integrationType: 'awscloudtrail',
                notificationBucket: 'lab-cloudtrail-logs',
                snsNotificationArn: TOPIC,
              },
            ],
          },
        ],
      },
      path.join(dir, 'migrate.json'),
    );
    const asm = await synthApp(config, path.join(dir, 'cdk.out'));
    const body = readFileSync(path.join(asm, `TaegisLambda-${REGION}-lab-network-lambda.template.json`), 'utf8');
    await cfn.send(
      new UpdateStackCommand({ StackName: 'lab-network-lambda', TemplateBody: body, Capabilities: ['CAPABILITY_IAM'] }),
    );
    await waitUntilStackUpdateComplete(
      { client: cfn, maxWaitTime: 60, minDelay: 1, maxDelay: 2 },
      {
        StackName: 'lab-network-lambda',
      },
    );
  });
  afterAll(async () => {
    await moto?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('GIVEN one migrated and one unmigrated stack WHEN discovering THEN both are found with their real values, not "theselectedintegration"', async () => {
    const cfn = moto.clients().cloudFormation(REGION);
    const migrated = (await cfn.send(new DescribeStacksCommand({ StackName: 'lab-network-lambda' }))).Stacks![0]!;
    // The case under test: the deploy baked the vendor parameters in, so the stack has no IntegrationType to read.
    expect((migrated.Parameters ?? []).map((p) => p.ParameterKey).sort()).toEqual([
      'BootstrapVersion',
      'EnableObjectTagging',
    ]);

    const report = await discover(moto.clients(), { regions: [REGION] });
    const stacks = report.regions[0]!.lambdaStacks;
    expect(stacks.map((s) => s.stackName)).toEqual(['lab-network-lambda', 'lab-vpc-lambda']);
    expect(stacks[0]).toMatchObject({
      template: 'migrated',
      integrationType: 'awscloudtrail',
      integrationSource: 'marker',
      notificationBucket: 'lab-cloudtrail-logs',
      snsNotificationArn: TOPIC,
      functionName: 'lab-network-lambda-scwx-tdr-lambda-awscloudtrail',
      runtime: 'provided.al2023',
      problems: [],
    });
    expect(stacks[0]!.recognizedBy).toContain('marker');
    expect(stacks[1]).toMatchObject({
      template: 'current',
      integrationType: 'generic',
      integrationSource: 'parameter',
      notificationBucket: 'lab-vpc-logs',
    });
    expect(JSON.stringify(report)).not.toContain('theselectedintegration');
  });

  it('GIVEN the partial migration WHEN discover --write runs THEN the config lists both stacks with their real values', async () => {
    const file = path.join(dir, 'taegis.config.json');
    const lines: string[] = [];
    const code = await discoverMain(['--regions', REGION, '--write', file, '--taegis-region', 'ctpx'], {
      clients: moto.clients(),
      out: (t) => lines.push(t),
      now: () => new Date('2026-11-27T12:00:00Z'),
    });
    expect(code, lines.join('\n')).toBe(0);
    const written = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    expect(written.lambdaRuntime).toBe('provided.al2');
    const cfg = parseConfig(written, file, { now: new Date('2026-11-27T12:00:00Z') });
    expect(cfg.regions[0]?.lambdaStacks).toEqual([
      {
        stackName: 'lab-network-lambda',
        integrationType: 'awscloudtrail',
        notificationBucket: 'lab-cloudtrail-logs',
        snsNotificationArn: TOPIC,
      },
      { stackName: 'lab-vpc-lambda', integrationType: 'generic', notificationBucket: 'lab-vpc-logs' },
    ]);
    expect(lines.join('\n')).not.toContain('not written');
  });
});
