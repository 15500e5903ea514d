import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { CreateStackCommand, DescribeStacksCommand, type CloudFormationClient } from '@aws-sdk/client-cloudformation';
import {
  CreateBucketCommand,
  PutBucketNotificationConfigurationCommand,
  PutObjectCommand,
  type BucketLocationConstraint,
  type NotificationConfiguration,
  type S3Client,
} from '@aws-sdk/client-s3';
import type { AwsClientFactory } from '../aws/clients.js';
import { vendorFunctionName } from '../facts/taegis.js';

/** What the demo seeds in one region: console-made Taegis stacks and the log buckets that notify them. */
export interface DemoRegion {
  readonly region: string;
  readonly stacks: readonly { readonly stackName: string; readonly integration: string; readonly bucket: string }[];
}

/** Two regions, three console-made Taegis stacks: the shape of a small real estate. */
export const DEMO_REGIONS: readonly DemoRegion[] = [
  {
    region: 'us-east-1',
    stacks: [
      { stackName: 'lab-cloudtrail-lambda', integration: 'awscloudtrail', bucket: 'demo-cloudtrail-logs' },
      { stackName: 'lab-alb-lambda', integration: 'awsalb', bucket: 'demo-alb-logs' },
    ],
  },
  {
    region: 'eu-west-1',
    stacks: [{ stackName: 'lab-waf-lambda', integration: 'awswaf', bucket: 'demo-waf-logs' }],
  },
];

/** The template of a console-made Taegis Lambda stack: the one copy, seeded by the demo and by the tests. */
export const CONSOLE_STACK_TEMPLATE = path.join(
  import.meta.dirname,
  '..',
  '..',
  'assets',
  'demo',
  'console-lambda-stack.yaml',
);

/** The key the console-made stacks read their old package from (the template's S3ObjectKey default). */
const OLD_PACKAGE_KEY = 'scwx-tdr-lambda-go.zip';

/** One console-made Taegis stack, as the console made it before the vendor's new package. */
export interface ConsoleStack {
  readonly stackName: string;
  /** Its IntegrationType parameter (part of the function's name). */
  readonly integration: string;
  /** The log bucket that notifies the function; created with the stack. */
  readonly bucket: string;
  /** The bucket holding the old go1.x package (putOldPackage). */
  readonly codeBucket: string;
}

/** A queue that is not ours, notified by the same log bucket: the demo shows it survives the trigger move. */
const FOREIGN_QUEUE_TEMPLATE = JSON.stringify({
  AWSTemplateFormatVersion: '2010-09-09',
  Description: 'DEMO: a SIEM queue that is not Taegis',
  Resources: { Queue: { Type: 'AWS::SQS::Queue', Properties: { QueueName: 'demo-siem-queue' } } },
});

/** Creates a bucket in `region` (us-east-1 takes no location constraint). */
export async function createBucket(s3: S3Client, region: string, bucket: string): Promise<void> {
  await s3.send(
    new CreateBucketCommand({
      Bucket: bucket,
      ...(region === 'us-east-1'
        ? {}
        : { CreateBucketConfiguration: { LocationConstraint: region as BucketLocationConstraint } }),
    }),
  );
}

/** Creates a stack and waits for CREATE_COMPLETE. @returns the stack's id */
async function createStack(
  cfn: CloudFormationClient,
  input: { StackName: string; TemplateBody: string; Parameters?: { ParameterKey: string; ParameterValue: string }[] },
): Promise<string> {
  await cfn.send(new CreateStackCommand({ ...input, Capabilities: ['CAPABILITY_IAM'] }));
  for (let i = 0; i < 300; i++) {
    const s = (await cfn.send(new DescribeStacksCommand({ StackName: input.StackName }))).Stacks?.[0];
    // DescribeStacks always gives the id; the name would do wherever an id does.
    if (s?.StackStatus === 'CREATE_COMPLETE') return s.StackId ?? input.StackName;
    if (s?.StackStatus?.endsWith('_COMPLETE') || s?.StackStatus?.endsWith('_FAILED'))
      throw new Error(`${input.StackName}: ${s.StackStatus} ${s.StackStatusReason ?? ''}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${input.StackName} did not complete`);
}

/**
 * Creates the bucket of the old go1.x package that console-made stacks read their code from.
 * @param body the package's bytes (moto stores them; it never runs them) @default a placeholder text
 */
export async function putOldPackage(
  s3: S3Client,
  region: string,
  bucket: string,
  body: Uint8Array | string = 'old go1.x package (synthetic)',
): Promise<void> {
  await createBucket(s3, region, bucket);
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: OLD_PACKAGE_KEY, Body: body }));
}

/**
 * Creates a console-made Taegis stack and its log bucket: the console's template (go1.x, code in `codeBucket`, the
 * parameters the new template drops, the short `!GetAtt` form), waited for until CREATE_COMPLETE.
 * @returns the stack's id
 */
export async function createConsoleStack(
  clients: AwsClientFactory,
  region: string,
  stack: ConsoleStack,
): Promise<string> {
  await createBucket(clients.s3(region), region, stack.bucket);
  return createStack(clients.cloudFormation(region), {
    StackName: stack.stackName,
    TemplateBody: readFileSync(CONSOLE_STACK_TEMPLATE, 'utf8'),
    Parameters: [
      { ParameterKey: 'IntegrationType', ParameterValue: stack.integration },
      { ParameterKey: 'NotificationBucket', ParameterValue: stack.bucket },
      { ParameterKey: 'S3BucketName', ParameterValue: stack.codeBucket },
    ],
  });
}

/**
 * Seeds an emulated account as the console left it before the migration: in each region a bucket with the old
 * go1.x package, the console-made Taegis stacks (parameters the new template drops, short `!GetAtt`), and log buckets
 * whose notification configuration holds a stale Taegis trigger (a qualified ARN of the old function, or a function
 * that no longer exists) next to a foreign SQS entry that must survive byte for byte.
 * @returns one line per thing seeded, for the demo's output
 */
export async function seedDemoAccount(
  clients: AwsClientFactory,
  account: string,
  regions: readonly DemoRegion[] = DEMO_REGIONS,
): Promise<string[]> {
  const said: string[] = [];
  for (const r of regions) {
    const s3 = clients.s3(r.region);
    const cfn = clients.cloudFormation(r.region);
    const oldCode = `demo-old-taegis-code-${r.region}`;
    await putOldPackage(s3, r.region, oldCode);
    await createStack(cfn, { StackName: 'demo-siem', TemplateBody: FOREIGN_QUEUE_TEMPLATE });
    const queueArn = `arn:aws:sqs:${r.region}:${account}:demo-siem-queue`;
    for (const [i, s] of r.stacks.entries()) {
      await createConsoleStack(clients, r.region, { ...s, codeBucket: oldCode });
      const fnArn = `arn:aws:lambda:${r.region}:${account}:function:${vendorFunctionName(s.stackName, s.integration)}`;
      // Alternate the two kinds of stale entry the console and older tools leave behind.
      const stale =
        i % 2 === 0
          ? { Id: 'console-trigger', LambdaFunctionArn: `${fnArn}:$LATEST` }
          : {
              Id: 'old-taegis-function',
              LambdaFunctionArn: `arn:aws:lambda:${r.region}:${account}:function:${s.stackName}-scwx-tdr-lambda-old`,
            };
      const notifications: NotificationConfiguration = {
        QueueConfigurations: [
          {
            Id: 'siem-queue',
            QueueArn: queueArn,
            Events: ['s3:ObjectCreated:*'],
            Filter: { Key: { FilterRules: [{ Name: 'prefix', Value: 'siem/' }] } },
          },
        ],
        LambdaFunctionConfigurations: [
          {
            ...stale,
            Events: ['s3:ObjectCreated:*'],
            Filter: { Key: { FilterRules: [{ Name: 'prefix', Value: 'AWSLogs/' }] } },
          },
        ],
      };
      await s3.send(
        new PutBucketNotificationConfigurationCommand({ Bucket: s.bucket, NotificationConfiguration: notifications }),
      );
      said.push(
        `${r.region}: console-made stack ${s.stackName} (${s.integration}, go1.x); bucket ${s.bucket} notifies a stale ` +
          `trigger (${stale.Id}) and a foreign SQS queue (siem/)`,
      );
    }
  }
  return said;
}
