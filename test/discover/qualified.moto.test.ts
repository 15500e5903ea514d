import {
  CreateBucketCommand,
  GetBucketNotificationConfigurationCommand,
  PutBucketNotificationConfigurationCommand,
  type LambdaFunctionConfiguration,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { discover } from '../../lib/discover/discover.js';
import { formatDiscoverReport } from '../../lib/discover/report.js';
import { planBucketNotifications } from '../../lib/verify/notifications.js';
import { MOTO_ACCOUNT, startMoto, type Moto } from '../support/moto.js';
import { createCodeBucket, createStack, currentLambdaTemplate } from '../support/taegis-fixtures.js';

const REGION = 'us-east-1';
const fnArn = (stack: string) =>
  `arn:aws:lambda:${REGION}:${MOTO_ACCOUNT}:function:${stack}-scwx-tdr-lambda-awscloudtrail`;

/** Each stack's bucket notifies its function the way the name says. */
const CASES = [
  { stack: 'latest-lambda', bucket: 'latest-logs', entries: (arn: string) => [`${arn}:$LATEST`] },
  { stack: 'alias-lambda', bucket: 'alias-logs', entries: (arn: string) => [`${arn}:live`] },
  { stack: 'plain-lambda', bucket: 'plain-logs', entries: (arn: string) => [arn] },
] as const;

describe('discover and verify read a qualified notification entry the same way (moto)', () => {
  let moto: Moto;
  beforeAll(async () => {
    moto = await startMoto();
    const c = moto.clients();
    await createCodeBucket(c.s3(REGION), REGION, 'old-code');
    for (const k of CASES) {
      await c.s3(REGION).send(new CreateBucketCommand({ Bucket: k.bucket }));
      await createStack(c.cloudFormation(REGION), k.stack, currentLambdaTemplate(), {
        SNSNotificationarn: '',
        NotificationBucketCustomerManagedKMSarn: '',
        LambdaEnvKMSarn: '',
        EnableObjectTagging: 'false',
        IntegrationType: 'awscloudtrail',
        NotificationBucket: k.bucket,
        TaegisLambdaS3BucketName: 'old-code',
      });
      await c.s3(REGION).send(
        new PutBucketNotificationConfigurationCommand({
          Bucket: k.bucket,
          NotificationConfiguration: {
            LambdaFunctionConfigurations: k.entries(fnArn(k.stack)).map((arn, i): LambdaFunctionConfiguration => ({
              Id: `console-${i}`,
              LambdaFunctionArn: arn,
              Events: ['s3:ObjectCreated:*'],
            })),
          },
        }),
      );
    }
  });
  afterAll(async () => {
    await moto?.stop();
  });

  it('GIVEN entries for $LATEST, an alias and the function itself WHEN discover and verify\'s plan read them THEN discover says "qualified" exactly where verify replaces the entry as stale', async () => {
    const c = moto.clients();
    const report = await discover(c, { regions: [REGION] });
    const stacks = report.regions.flatMap((r) => r.lambdaStacks);
    for (const k of CASES) {
      const found = stacks.find((s) => s.stackName === k.stack);
      expect(found?.functionName, k.stack).toBe(`${k.stack}-scwx-tdr-lambda-awscloudtrail`);
      const current = await c
        .s3(REGION)
        .send(new GetBucketNotificationConfigurationCommand({ Bucket: k.bucket, ExpectedBucketOwner: MOTO_ACCOUNT }));
      const plan = planBucketNotifications({
        current,
        targets: [{ stackName: k.stack, functionArn: fnArn(k.stack) }],
        goneFunctions: new Set(),
      });
      const verifyRewrites = plan.removed.length > 0;
      expect(found?.notified.state, k.stack).toBe(verifyRewrites ? 'qualified' : 'yes');
      expect(verifyRewrites, k.stack).toBe(k.stack !== 'plain-lambda');
    }
    const text = formatDiscoverReport(report);
    expect(text).toContain(
      'latest-lambda: notified qualified: only a version or alias of the function is notified (console-0 -> latest-lambda-scwx-tdr-lambda-awscloudtrail:$LATEST)',
    );
    expect(text).toContain('alias-lambda-scwx-tdr-lambda-awscloudtrail:live');
  });
});
