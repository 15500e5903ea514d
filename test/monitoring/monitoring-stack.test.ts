import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp, type TaegisApp } from '../../lib/app/app.js';
import { exampleConfig } from '../support/example.js';

const outdirs: string[] = [];
afterAll(() => outdirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
const build = (monitoring: Record<string, unknown> | undefined): Promise<TaegisApp> => {
  const outdir = mkdtempSync(path.join(tmpdir(), 'taegis-mon-test-'));
  outdirs.push(outdir);
  return buildApp(
    exampleConfig((raw) => {
      if (monitoring) raw.monitoring = monitoring;
    }),
    { appProps: { outdir, builtinCloudFormationValidation: false } },
  );
};

// The example's vendor template names the function `${AWS::StackName}-scwx-tdr-lambda-${IntegrationType}`.
const NETWORK_FN = 'lab-network-lambda-scwx-tdr-lambda-awscloudtrail';
const ALB_FN = 'lab-alb-lambda-scwx-tdr-lambda-awsalb';

describe('TaegisMonitoring-<region> stacks', () => {
  let built: TaegisApp;
  let t: Template;
  beforeAll(async () => {
    built = await build({ silenceMinutes: 120, emails: ['secops@example.com'] });
    t = Template.fromStack(built.regions.find((r) => r.region === 'us-east-1')!.monitoring!);
  });

  it('GIVEN no monitoring section WHEN built THEN no monitoring stack exists', async () => {
    const plain = await build(undefined);
    expect(plain.regions.every((r) => r.monitoring === undefined)).toBe(true);
    expect(plain.app.node.children.some((c) => c.node.id.startsWith('TaegisMonitoring-'))).toBe(false);
  });

  it("GIVEN monitoring WHEN built THEN one stack per target, after that region's Lambda stacks, nag-clean", () => {
    expect(built.regions.map((r) => r.monitoring?.node.id).sort()).toEqual([
      'TaegisMonitoring-eu-west-1',
      'TaegisMonitoring-us-east-1',
    ]);
    const us = built.regions.find((r) => r.region === 'us-east-1')!;
    const deps = us.monitoring!.dependencies.map((d) => d.node.id).sort();
    expect(deps).toEqual(us.lambdas.map((l) => l.node.id).sort());
    expect(built.nag?.own).toEqual([]);
  });

  it('GIVEN two functions WHEN synthesized THEN each has an upload filter and an error-line filter on /aws/lambda/<fn>', () => {
    t.resourceCountIs('AWS::Logs::MetricFilter', 4);
    for (const fn of [NETWORK_FN, ALB_FN]) {
      t.hasResourceProperties('AWS::Logs::MetricFilter', {
        LogGroupName: `/aws/lambda/${fn}`,
        FilterPattern: '"Uploading data to s3"',
        MetricTransformations: [
          { MetricNamespace: 'TaegisMigrate', MetricName: `${fn}-UploadsToS3`, MetricValue: '1', DefaultValue: 0 },
        ],
      });
      t.hasResourceProperties('AWS::Logs::MetricFilter', {
        LogGroupName: `/aws/lambda/${fn}`,
        FilterPattern: Match.stringLikeRegexp('ERROR.*FATAL'),
        MetricTransformations: [Match.objectLike({ MetricName: `${fn}-ErrorLines` })],
      });
    }
    // The stack neither creates nor owns the groups (see lib/monitoring/log-groups.ts).
    t.resourceCountIs('AWS::Logs::LogGroup', 0);
  });

  it('GIVEN silenceMinutes 120 WHEN synthesized THEN the silence alarm fires below 1 upload in 7200 s, missing data breaching', () => {
    t.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: `taegis-migrate-${NETWORK_FN}-uploads-silent`,
      Namespace: 'TaegisMigrate',
      MetricName: `${NETWORK_FN}-UploadsToS3`,
      Statistic: 'Sum',
      Period: 7200,
      EvaluationPeriods: 1,
      Threshold: 1,
      ComparisonOperator: 'LessThanThreshold',
      TreatMissingData: 'breaching',
      AlarmActions: [Match.anyValue()],
      OKActions: [Match.anyValue()],
    });
  });

  it('GIVEN a function WHEN synthesized THEN Errors and Throttles alarms watch AWS/Lambda for it', () => {
    for (const [metric, suffix] of [
      ['Errors', 'errors'],
      ['Throttles', 'throttles'],
    ] as const) {
      t.hasResourceProperties('AWS::CloudWatch::Alarm', {
        AlarmName: `taegis-migrate-${ALB_FN}-${suffix}`,
        Namespace: 'AWS/Lambda',
        MetricName: metric,
        Dimensions: [{ Name: 'FunctionName', Value: ALB_FN }],
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        TreatMissingData: 'notBreaching',
      });
    }
    t.resourceCountIs('AWS::CloudWatch::Alarm', 6);
  });

  it('GIVEN no topic ARN WHEN synthesized THEN a KMS-encrypted topic with a TLS-only policy and the e-mail subscription', () => {
    t.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: Match.anyValue() });
    t.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
    t.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
    t.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'secops@example.com' });
  });

  it('GIVEN two functions WHEN synthesized THEN the dashboard has per function its graphs and alarm status', () => {
    const dash = t.findResources('AWS::CloudWatch::Dashboard');
    expect(Object.keys(dash)).toHaveLength(1);
    const body = JSON.stringify(Object.values(dash)[0]);
    for (const fn of [NETWORK_FN, ALB_FN]) {
      expect(body).toContain(`${fn}: uploads and error lines`);
      expect(body).toContain(`${fn}: Errors and Throttles`);
      expect(body).toContain(`${fn}: alarms`);
    }
  });

  it('GIVEN an existing topic ARN WHEN synthesized THEN no topic or key is made and alarms notify that ARN', async () => {
    const arn = 'arn:aws:sns:us-east-1:123456789012:secops-alarms';
    const b = await build({ alarmTopicArn: arn });
    const tt = Template.fromStack(b.regions.find((r) => r.region === 'us-east-1')!.monitoring!);
    tt.resourceCountIs('AWS::SNS::Topic', 0);
    tt.resourceCountIs('AWS::KMS::Key', 0);
    tt.hasResourceProperties('AWS::CloudWatch::Alarm', { AlarmActions: [arn] });
  });
});
