import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { planMain } from '../../lib/commands/plan.js';
import { parseConfig } from '../../lib/config/load.js';
import { MOTO_ACCOUNT, startMoto, type Moto } from '../support/moto.js';
import { synthApp, vendorArtifacts } from '../support/real-app.js';
import { createCodeBucket, createStack, currentLambdaTemplate } from '../support/taegis-fixtures.js';

const REGION = 'us-east-1';
const STACK = { stackName: 'lab-network-lambda', integrationType: 'awscloudtrail', notificationBucket: 'lab-logs' };

describe('plan shows the failed-event destination (moto)', () => {
  let moto: Moto;
  let dir: string;
  let artifacts: string;

  beforeAll(async () => {
    moto = await startMoto();
    dir = mkdtempSync(path.join(tmpdir(), 'taegis-failed-plan-'));
    artifacts = vendorArtifacts(path.join(dir, 'artifacts'), currentLambdaTemplate());
    const c = moto.clients();
    await createCodeBucket(c.s3(REGION), REGION, `old-code-${REGION}`);
    await createCodeBucket(c.s3(REGION), REGION, `taegis-staging-${MOTO_ACCOUNT}-${REGION}`);
    await c.s3(REGION).send(new CreateBucketCommand({ Bucket: STACK.notificationBucket }));
    await createStack(c.cloudFormation(REGION), STACK.stackName, currentLambdaTemplate(), {
      IntegrationType: STACK.integrationType,
      NotificationBucket: STACK.notificationBucket,
      SNSNotificationarn: '',
      NotificationBucketCustomerManagedKMSarn: '',
      TaegisLambdaS3BucketName: `old-code-${REGION}`,
      LambdaEnvKMSarn: '',
      EnableObjectTagging: 'false',
    });
  });
  afterAll(async () => {
    await moto?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('GIVEN failedEvents keep WHEN planning the existing stack THEN the change set adds the queue, its policy and the EventInvokeConfig, and replaces nothing', async () => {
    const cfg = {
      taegisRegion: 'ctpx',
      artifactsDir: artifacts,
      failedEvents: { keep: true, retentionDays: 3 },
      regions: [{ region: REGION, account: MOTO_ACCOUNT, lambdaStacks: [STACK] }],
    };
    const configFile = path.join(dir, 'cfg.json');
    writeFileSync(configFile, JSON.stringify(cfg));
    const asm = await synthApp(parseConfig(cfg, path.join(dir, 'x.json')), path.join(dir, 'asm.out'));
    const jsonFile = path.join(dir, 'plan.json');
    const lines: string[] = [];
    const code = await planMain(['--config', configFile, '--assembly', asm, '--json', jsonFile], {
      clients: moto.clients(),
      out: (t) => lines.push(t),
      planOptions: { pollMs: 100, timeoutMs: 30_000 },
    });
    expect(code, lines.join('\n')).toBe(0);
    const json = JSON.parse(readFileSync(jsonFile, 'utf8')) as {
      stacks: { changes: { action: string; resourceType: string }[] }[];
    };
    const adds = json.stacks[0]!.changes.filter((c) => c.action === 'Add').map((c) => c.resourceType);
    expect(adds).toEqual(
      expect.arrayContaining(['AWS::SQS::Queue', 'AWS::SQS::QueuePolicy', 'AWS::Lambda::EventInvokeConfig']),
    );
    expect(json.stacks[0]!.changes.filter((c) => c.action === 'Remove')).toEqual([]);
  });
});
