import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp, type TaegisApp } from '../../lib/app/app.js';
import { failedEventsQueueName } from '../../lib/monitoring/failed-events.js';
import { exampleConfig } from '../support/example.js';

const outdirs: string[] = [];
afterAll(() => outdirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
const build = (mutate: (raw: Record<string, unknown>) => void): Promise<TaegisApp> => {
  const outdir = mkdtempSync(path.join(tmpdir(), 'taegis-failed-events-test-'));
  outdirs.push(outdir);
  return buildApp(exampleConfig(mutate), { appProps: { outdir, builtinCloudFormationValidation: false } });
};
const regions = (raw: Record<string, unknown>) =>
  raw.regions as { region: string; lambdaStacks: Record<string, unknown>[] }[];

describe('failedEvents: the on-failure destination queue', () => {
  let on: TaegisApp;
  beforeAll(async () => {
    on = await build((raw) => {
      raw.failedEvents = { keep: true, retentionDays: 7 };
      raw.monitoring = {};
      // One stack overrides the top level (field by field), one turns it off.
      const us = regions(raw).find((r) => r.region === 'us-east-1')!;
      us.lambdaStacks[1]!.failedEvents = { maxRetryAttempts: 0, maxEventAgeSeconds: 3600 };
      regions(raw).find((r) => r.region === 'eu-west-1')!.lambdaStacks[0]!.failedEvents = { keep: false };
    });
  });
  const lambda = (app: TaegisApp, name: string) =>
    app.regions.flatMap((r) => r.lambdas).find((l) => l.stackName === name)!;

  it("GIVEN keep with 7 days WHEN synthesized THEN an SSE, TLS-only queue with that retention is the function's on-failure destination, retries left at Lambda's defaults", () => {
    const t = Template.fromStack(lambda(on, 'lab-network-lambda'));
    t.resourceCountIs('AWS::SQS::Queue', 1);
    const queueId = Object.keys(t.findResources('AWS::SQS::Queue'))[0]!;
    t.hasResourceProperties('AWS::SQS::Queue', {
      QueueName: failedEventsQueueName('lab-network-lambda'),
      MessageRetentionPeriod: 7 * 86_400,
      SqsManagedSseEnabled: true,
    });
    const cfg = t.findResources('AWS::Lambda::EventInvokeConfig');
    expect(Object.keys(cfg)).toHaveLength(1);
    const props = Object.values(cfg)[0]!.Properties as Record<string, unknown>;
    expect(props).toEqual({
      FunctionName: { Ref: 'ScwxTdrLambdaFunction' },
      Qualifier: '$LATEST',
      DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [queueId, 'Arn'] } } },
    });
  });

  it("GIVEN keep WHEN synthesized THEN the queue policy lets only the function's role send, and refuses plain HTTP", () => {
    const t = Template.fromStack(lambda(on, 'lab-network-lambda'));
    const role = { 'Fn::GetAtt': ['ScwxTdrLambdaRole', 'Arn'] };
    t.hasResourceProperties('AWS::SQS::QueuePolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          Match.objectLike({
            Sid: 'OnlyTheFunctionSends',
            Effect: 'Allow',
            Action: 'sqs:SendMessage',
            Principal: { AWS: role },
          }),
          Match.objectLike({
            Sid: 'NoOtherSender',
            Effect: 'Deny',
            Action: 'sqs:SendMessage',
            Principal: { AWS: '*' },
            Condition: { ArnNotEquals: { 'aws:PrincipalArn': role } },
          }),
        ]),
      },
    });
  });

  it('GIVEN a stack override WHEN synthesized THEN it wins field by field; keep:false on a stack leaves it without', () => {
    const alb = Template.fromStack(lambda(on, 'lab-alb-lambda'));
    alb.hasResourceProperties('AWS::SQS::Queue', { MessageRetentionPeriod: 7 * 86_400 });
    alb.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      MaximumRetryAttempts: 0,
      MaximumEventAgeInSeconds: 3600,
    });
    const vpc = Template.fromStack(lambda(on, 'lab-vpc-lambda'));
    vpc.resourceCountIs('AWS::SQS::Queue', 0);
    vpc.resourceCountIs('AWS::Lambda::EventInvokeConfig', 0);
  });

  it('GIVEN keep WHEN synthesized THEN the vendor resources keep their logical IDs and properties, and cdk-nag finds nothing of ours', async () => {
    const off = await build(() => {});
    const before = Template.fromStack(lambda(off, 'lab-network-lambda')).toJSON().Resources as Record<string, unknown>;
    const after = Template.fromStack(lambda(on, 'lab-network-lambda')).toJSON().Resources as Record<string, unknown>;
    for (const [id, r] of Object.entries(before)) expect(after[id]).toEqual(r);
    expect(on.nag?.own).toEqual([]);
  });

  it('GIVEN keep and monitoring WHEN synthesized THEN an alarm fires while the queue holds a message; none for a stack without the queue', () => {
    const t = Template.fromStack(on.regions.find((r) => r.region === 'us-east-1')!.monitoring!);
    for (const stack of ['lab-network-lambda', 'lab-alb-lambda']) {
      t.hasResourceProperties('AWS::CloudWatch::Alarm', {
        AlarmName: `taegis-migrate-${stack}-scwx-tdr-lambda-${stack === 'lab-alb-lambda' ? 'awsalb' : 'awscloudtrail'}-failed-events`,
        Namespace: 'AWS/SQS',
        MetricName: 'ApproximateNumberOfMessagesVisible',
        Dimensions: [{ Name: 'QueueName', Value: failedEventsQueueName(stack) }],
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        AlarmActions: Match.anyValue(),
      });
    }
    const eu = Template.fromStack(on.regions.find((r) => r.region === 'eu-west-1')!.monitoring!);
    expect(Object.keys(eu.findResources('AWS::CloudWatch::Alarm', { Properties: { Namespace: 'AWS/SQS' } }))).toEqual(
      [],
    );
  });

  it('GIVEN no failedEvents WHEN synthesized THEN no queue, no policy, no destination, no alarm', async () => {
    const off = await build((raw) => {
      raw.monitoring = {};
    });
    for (const r of off.regions) {
      for (const l of r.lambdas) {
        const t = Template.fromStack(l);
        t.resourceCountIs('AWS::SQS::Queue', 0);
        t.resourceCountIs('AWS::SQS::QueuePolicy', 0);
        t.resourceCountIs('AWS::Lambda::EventInvokeConfig', 0);
      }
      const m = Template.fromStack(r.monitoring!);
      expect(Object.keys(m.findResources('AWS::CloudWatch::Alarm', { Properties: { Namespace: 'AWS/SQS' } }))).toEqual(
        [],
      );
    }
  });

  it('GIVEN a stack name too long for SQS WHEN named THEN the queue name stays within 80 characters and unique', () => {
    const a = failedEventsQueueName(`a${'x'.repeat(120)}`);
    const b = failedEventsQueueName(`a${'x'.repeat(119)}y`);
    expect(a.length).toBeLessThanOrEqual(80);
    expect(a).toMatch(/^[A-Za-z0-9_-]+-failed-events$/);
    expect(a).not.toBe(b);
  });
});
