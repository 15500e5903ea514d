import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import type { DescribeChangeSetOutput } from '@aws-sdk/client-cloudformation';
import { describe, expect, it } from 'vitest';
import { assessChanges, changeRows, triggerPath } from '../../lib/plan/rule.js';
import { parseCfnTemplate } from '../../lib/artifacts/cfn-yaml.js';
import { currentLambdaTemplate } from '../support/taegis-fixtures.js';

const answer = (name: string): DescribeChangeSetOutput =>
  JSON.parse(
    readFileSync(path.join(import.meta.dirname, '..', 'fixtures', 'changesets', `${name}.json`), 'utf8'),
  ) as DescribeChangeSetOutput;

const fails = (name: string, template?: object) =>
  assessChanges(changeRows(answer(name).Changes ?? []), template ? { template } : {})
    .filter((f) => f.severity === 'fail')
    .map((f) => `${f.logicalResourceId}: ${f.message}`);

/** A vendor-like template whose S3 wiring is a custom resource pointing at the function. */
const customWiring = {
  Resources: {
    Fn: { Type: 'AWS::Lambda::Function', Properties: { Role: { 'Fn::GetAtt': ['Role', 'Arn'] } } },
    Role: { Type: 'AWS::IAM::Role', Properties: {} },
    BucketNotificationWiring: {
      Type: 'Custom::S3BucketNotification',
      Properties: {
        ServiceToken: 'arn:aws:lambda:us-east-1:123456789012:function:helper',
        FunctionArn: { 'Fn::GetAtt': ['Fn', 'Arn'] },
      },
    },
    OldDashboard: { Type: 'AWS::CloudWatch::Dashboard', Properties: {} },
  },
};

describe('plan replacement rule on recorded DescribeChangeSet answers', () => {
  it('GIVEN an in-place code/runtime update (Replacement False) WHEN assessed THEN nothing fails and the rows are kept in order', () => {
    const rows = changeRows(answer('function-code-update').Changes ?? []);
    expect(rows.map((r) => [r.action, r.logicalResourceId, r.resourceType, r.replacement])).toEqual([
      ['Modify', 'TaegisLambdaFunction', 'AWS::Lambda::Function', 'False'],
      ['Add', 'CDKMetadata', 'AWS::CDK::Metadata', undefined],
    ]);
    expect(assessChanges(rows)).toEqual([]);
  });

  it('GIVEN a FunctionName change WHEN assessed THEN the function and its permission fail as replaced', () => {
    expect(fails('function-renamed')).toEqual([
      'TaegisLambdaFunction: would be replaced (the S3 trigger depends on it)',
      'TaegisLambdaPermission: would be replaced (the S3 trigger depends on it)',
    ]);
  });

  it('GIVEN the role may be replaced (Conditional) WHEN assessed THEN it fails', () => {
    expect(fails('role-conditional')).toEqual([
      'TaegisLambdaRole: may be replaced (Replacement: Conditional) (the S3 trigger depends on it)',
    ]);
  });

  it('GIVEN a removed permission and a Dynamic function WHEN assessed THEN both fail', () => {
    expect(fails('permission-removed')).toEqual([
      'S3InvokePermission: would be removed (the S3 trigger depends on it)',
      'TaegisLambdaFunction: CloudFormation can only decide at deploy time what happens to it (Dynamic) (the S3 trigger depends on it)',
    ]);
  });

  it('GIVEN a custom resource wiring the function is replaced WHEN the template is known THEN it fails; an unrelated removal only warns', () => {
    const rows = changeRows(answer('notification-custom-resource-replaced').Changes ?? []);
    const findings = assessChanges(rows, { template: customWiring });
    expect(findings.map((f) => [f.severity, f.logicalResourceId])).toEqual([
      ['fail', 'BucketNotificationWiring'],
      ['warn', 'OldDashboard'],
    ]);
    // Without the template the custom type is unknown to the rule: a warning, not silence.
    expect(assessChanges(rows).map((f) => f.severity)).toEqual(['warn', 'warn']);
  });

  it('GIVEN a Modify without Replacement (moto) on the function WHEN assessed THEN a warning says so', () => {
    const findings = assessChanges([
      { action: 'Modify', logicalResourceId: 'F', resourceType: 'AWS::Lambda::Function' },
    ]);
    expect(findings).toEqual([
      expect.objectContaining({ severity: 'warn', message: expect.stringContaining('did not report') as unknown }),
    ]);
  });

  it('GIVEN the vendor-like template WHEN its trigger path is derived THEN it has the function, its role and its permission', () => {
    expect([...triggerPath(currentLambdaTemplate())].sort()).toEqual([
      'TaegisLambdaFunction',
      'TaegisLambdaPermission',
      'TaegisLambdaRole',
    ]);
    expect([...triggerPath(customWiring)].sort()).toEqual(['BucketNotificationWiring', 'Fn', 'Role']);
  });

  it('GIVEN a YAML template with short-form intrinsics WHEN parsed THEN references resolve as in JSON', () => {
    const yaml = [
      'Resources:',
      '  Role: { Type: AWS::IAM::Role }',
      '  Fn:',
      '    Type: AWS::Lambda::Function',
      '    Properties:',
      '      Role: !GetAtt Role.Arn',
      '  Perm:',
      '    Type: AWS::Lambda::Permission',
      '    Properties:',
      '      FunctionName: !Sub "${Fn.Arn}"',
    ].join('\n');
    expect([...triggerPath(parseCfnTemplate(yaml))].sort()).toEqual(['Fn', 'Perm', 'Role']);
  });
});
