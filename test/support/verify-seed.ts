import { CreateStackCommand, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { CreateLogGroupCommand, CreateLogStreamCommand, PutLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import {
  GetBucketNotificationConfigurationCommand,
  PutBucketNotificationConfigurationCommand,
  type NotificationConfiguration,
} from '@aws-sdk/client-s3';
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import type { AwsClientFactory } from '../../lib/aws/clients.js';
import { createBucket as createS3Bucket } from '../../lib/demo/seed.js';
import { FUNCTION_ARN_OUTPUT } from '../../lib/stacks/marker.js';
import { defaultLambdaRuntime } from '../../lib/facts/lambda-runtimes.js';
import type { BucketNotifications } from '../../lib/verify/notifications.js';
import { MOTO_ACCOUNT } from './moto.js';

/**
 * Seeds moto with what a migrated account looks like: Lambda stacks made through CloudFormation (the list form of
 * Fn::GetAtt and every parameter passed, see moto-notes.md), log buckets, and log groups with or without the
 * success line (moto cannot run Lambda code, so the events are put directly).
 */

/** A small stand-in for the vendor's Lambda template: one role, one function named by the Taegis convention. */
export const LAMBDA_TEMPLATE = JSON.stringify({
  AWSTemplateFormatVersion: '2010-09-09',
  Parameters: {
    IntegrationType: { Type: 'String' },
    NotificationBucket: { Type: 'String' },
    Runtime: { Type: 'String' },
  },
  Resources: {
    Role: {
      Type: 'AWS::IAM::Role',
      Properties: {
        AssumeRolePolicyDocument: {
          Version: '2012-10-17',
          Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }],
        },
      },
    },
    TaegisFunction: {
      Type: 'AWS::Lambda::Function',
      Properties: {
        FunctionName: { 'Fn::Sub': '${AWS::StackName}-scwx-tdr-lambda-${IntegrationType}' },
        Runtime: { Ref: 'Runtime' },
        Handler: 'bootstrap',
        Role: { 'Fn::GetAtt': ['Role', 'Arn'] },
        Code: { ZipFile: 'not run by moto' },
      },
    },
  },
});

/**
 * LAMBDA_TEMPLATE as `taegis-migrate deploy` leaves it: the same resources plus the output in which the app names the
 * function (lib/stacks/lambda-stack.ts), which verify reads instead of listing the stack's resources.
 */
export const MIGRATED_LAMBDA_TEMPLATE = JSON.stringify({
  ...(JSON.parse(LAMBDA_TEMPLATE) as object),
  Outputs: { [FUNCTION_ARN_OUTPUT]: { Value: { 'Fn::GetAtt': ['TaegisFunction', 'Arn'] } } },
});

/** Foreign destinations: a queue, a topic and someone else's function, as a bucket's other notification targets. */
export const FOREIGN_TEMPLATE = JSON.stringify({
  AWSTemplateFormatVersion: '2010-09-09',
  Resources: {
    Queue: { Type: 'AWS::SQS::Queue', Properties: { QueueName: 'foreign-queue' } },
    Topic: { Type: 'AWS::SNS::Topic', Properties: { TopicName: 'foreign-topic' } },
    Role: {
      Type: 'AWS::IAM::Role',
      Properties: {
        AssumeRolePolicyDocument: {
          Version: '2012-10-17',
          Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }],
        },
      },
    },
    Fn: {
      Type: 'AWS::Lambda::Function',
      Properties: {
        FunctionName: 'foreign-indexer',
        Runtime: 'python3.12',
        Handler: 'index.handler',
        Role: { 'Fn::GetAtt': ['Role', 'Arn'] },
        Code: { ZipFile: 'def handler(e, c): pass' },
      },
    },
  },
});

export const functionName = (stackName: string, integration = 'awscloudtrail'): string =>
  `${stackName}-scwx-tdr-lambda-${integration}`;
export const functionArn = (region: string, name: string): string =>
  `arn:aws:lambda:${region}:${MOTO_ACCOUNT}:function:${name}`;

export async function createBucket(clients: AwsClientFactory, region: string, bucket: string): Promise<void> {
  await createS3Bucket(clients.s3(region), region, bucket);
}

export async function createLambdaStack(
  clients: AwsClientFactory,
  region: string,
  stackName: string,
  bucket: string,
  options: {
    integration?: string;
    runtime?: string;
    /** Seed the stack as the app's deploy leaves it (MIGRATED_LAMBDA_TEMPLATE). @default false (console-made) */
    migrated?: boolean;
  } = {},
): Promise<string> {
  const cfn = clients.cloudFormation(region);
  const integration = options.integration ?? 'awscloudtrail';
  // Under load a retried CreateStack can find its own first attempt done: that is success, not a clash.
  await cfn
    .send(
      new CreateStackCommand({
        StackName: stackName,
        TemplateBody: options.migrated ? MIGRATED_LAMBDA_TEMPLATE : LAMBDA_TEMPLATE,
        Capabilities: ['CAPABILITY_IAM'],
        Parameters: [
          { ParameterKey: 'IntegrationType', ParameterValue: integration },
          { ParameterKey: 'NotificationBucket', ParameterValue: bucket },
          // The runtime verify expects by default on the day the test runs, so the suite does not change verdict on
          // AWS's block-update date (lib/facts/lambda-runtimes.ts).
          { ParameterKey: 'Runtime', ParameterValue: options.runtime ?? defaultLambdaRuntime(new Date()) },
        ],
      }),
    )
    .catch((err: unknown) => {
      if (
        (err as Error).name !== 'AlreadyExistsException' ||
        ((err as { $metadata?: { attempts?: number } }).$metadata?.attempts ?? 1) < 2
      )
        throw err;
    });
  await waitComplete(clients, region, stackName);
  return functionName(stackName, integration);
}

export async function createForeignStack(
  clients: AwsClientFactory,
  region: string,
): Promise<{ queueArn: string; topicArn: string; fnArn: string }> {
  await clients.cloudFormation(region).send(
    new CreateStackCommand({
      StackName: 'foreign',
      TemplateBody: FOREIGN_TEMPLATE,
      Capabilities: ['CAPABILITY_IAM'],
    }),
  );
  await waitComplete(clients, region, 'foreign');
  return {
    queueArn: `arn:aws:sqs:${region}:${MOTO_ACCOUNT}:foreign-queue`,
    topicArn: `arn:aws:sns:${region}:${MOTO_ACCOUNT}:foreign-topic`,
    fnArn: functionArn(region, 'foreign-indexer'),
  };
}

async function waitComplete(clients: AwsClientFactory, region: string, stackName: string): Promise<void> {
  // Up to 30 s: a loaded machine (the fleet bench seeds hundreds of stacks) slows moto's CloudFormation down.
  for (let i = 0; i < 300; i++) {
    const s = (await clients.cloudFormation(region).send(new DescribeStacksCommand({ StackName: stackName })))
      .Stacks?.[0];
    if (s?.StackStatus?.endsWith('_COMPLETE')) {
      if (s.StackStatus !== 'CREATE_COMPLETE')
        throw new Error(`${stackName}: ${s.StackStatus} ${s.StackStatusReason ?? ''}`);
      return;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${stackName} did not complete`);
}

/** Puts log events into `/aws/lambda/<fn>` (creating the group), timestamps `msAgo` before now (default: now). */
export async function putLogLines(
  clients: AwsClientFactory,
  region: string,
  fn: string,
  lines: readonly string[],
  at: number = Date.now(),
): Promise<void> {
  const logs = clients.logs(region);
  const group = `/aws/lambda/${fn}`;
  try {
    await logs.send(new CreateLogGroupCommand({ logGroupName: group }));
  } catch (err) {
    if ((err as Error).name !== 'ResourceAlreadyExistsException') throw err;
  }
  const stream = `2026/11/23/[$LATEST]${Math.random().toString(16).slice(2)}`;
  await logs.send(new CreateLogStreamCommand({ logGroupName: group, logStreamName: stream }));
  await logs.send(
    new PutLogEventsCommand({
      logGroupName: group,
      logStreamName: stream,
      logEvents: lines.map((message, i) => ({ message, timestamp: at + i })),
    }),
  );
}

export async function putNotifications(
  clients: AwsClientFactory,
  region: string,
  bucket: string,
  cfg: NotificationConfiguration,
): Promise<void> {
  await clients
    .s3(region)
    .send(new PutBucketNotificationConfigurationCommand({ Bucket: bucket, NotificationConfiguration: cfg }));
}

export async function getNotifications(
  clients: AwsClientFactory,
  region: string,
  bucket: string,
): Promise<BucketNotifications> {
  const { $metadata: _m, ...rest } = await clients
    .s3(region)
    .send(new GetBucketNotificationConfigurationCommand({ Bucket: bucket }));
  return rest;
}

const E = 'us-east-1';
const W = 'us-west-2';

/**
 * GIVEN two regions: in us-east-1 two stacks (ct, vpc) share bucket logs-east, whose configuration mixes a stale
 * Taegis entry with a prefix filter (function gone), a qualified-ARN entry of the second stack, a gone function of
 * an unconfigured stack, a foreign Lambda, a queue, a topic and EventBridge; in us-west-2 one stack (waf) on a
 * bucket without any notification. Log groups have the success line (and an error line for ct).
 * Writes the config to `dir/taegis.config.json`.
 */
export async function seedMixed(
  c: AwsClientFactory,
  dir: string,
): Promise<{ configPath: string; seeded: NotificationConfiguration }> {
  await createBucket(c, E, 'logs-east');
  await createBucket(c, W, 'logs-west');
  const foreign = await createForeignStack(c, E);
  const ct = await createLambdaStack(c, E, 'ct', 'logs-east');
  const vpc = await createLambdaStack(c, E, 'vpc', 'logs-east', { integration: 'awsvpcflow' });
  const waf = await createLambdaStack(c, W, 'waf', 'logs-west', { integration: 'awswaf' });
  const seeded: NotificationConfiguration = {
    TopicConfigurations: [{ Id: 'audit-topic', TopicArn: foreign.topicArn, Events: ['s3:ObjectRemoved:*'] }],
    QueueConfigurations: [
      {
        Id: 'siem-queue',
        QueueArn: foreign.queueArn,
        Events: ['s3:ObjectCreated:*'],
        Filter: { Key: { FilterRules: [{ Name: 'prefix', Value: 'siem/' }] } },
      },
    ],
    LambdaFunctionConfigurations: [
      {
        Id: 'foreign-indexer',
        LambdaFunctionArn: foreign.fnArn,
        Events: ['s3:ObjectCreated:Put'],
        Filter: {
          Key: {
            FilterRules: [
              { Name: 'prefix', Value: 'exports/' },
              { Name: 'suffix', Value: '.csv' },
            ],
          },
        },
      },
      {
        Id: 'old-taegis-cloudtrail',
        LambdaFunctionArn: functionArn(E, 'ct-scwx-tdr-lambda-old'),
        Events: ['s3:ObjectCreated:Put', 's3:ObjectCreated:CompleteMultipartUpload'],
        Filter: { Key: { FilterRules: [{ Name: 'prefix', Value: 'AWSLogs/' }] } },
      },
      {
        Id: 'vpc-latest',
        LambdaFunctionArn: `${functionArn(E, vpc)}:$LATEST`,
        Events: ['s3:ObjectCreated:*'],
        Filter: { Key: { FilterRules: [{ Name: 'prefix', Value: 'vpcflow/' }] } },
      },
      {
        Id: 'legacy-waf',
        LambdaFunctionArn: functionArn(E, 'legacy-scwx-tdr-lambda-awswaf'),
        Events: ['s3:ObjectCreated:*'],
        Filter: { Key: { FilterRules: [{ Name: 'prefix', Value: 'waf/' }] } },
      },
    ],
    EventBridgeConfiguration: {},
  };
  await putNotifications(c, E, 'logs-east', seeded);
  await putLogLines(c, E, ct, [
    'START',
    'Uploading data to s3 ok',
    'ERROR transient upstream 502 (Authorization: Bearer SEEDED-LOG-TOKEN-123)',
  ]);
  await putLogLines(c, E, vpc, ['Uploading data to s3 ok']);
  await putLogLines(c, W, waf, ['Uploading data to s3 ok']);
  const configPath = path.join(dir, 'taegis.config.json');
  writeFileSync(
    configPath,
    JSON.stringify({
      taegisRegion: 'ctpx',
      // The vendor artifacts do not exist here: verify must not need them.
      artifactsDir: './nowhere',
      regions: [
        {
          region: E,
          account: MOTO_ACCOUNT,
          lambdaStacks: [
            { stackName: 'ct', integrationType: 'awscloudtrail', notificationBucket: 'logs-east' },
            { stackName: 'vpc', integrationType: 'awsvpcflow', notificationBucket: 'logs-east' },
          ],
        },
        {
          region: W,
          account: MOTO_ACCOUNT,
          lambdaStacks: [{ stackName: 'waf', integrationType: 'awswaf', notificationBucket: 'logs-west' }],
        },
      ],
    }),
  );
  return { configPath, seeded };
}
