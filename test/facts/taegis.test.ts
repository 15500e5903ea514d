import { describe, expect, it } from 'vitest';
import {
  functionLogGroup,
  isVendorFunctionOf,
  LAMBDA_PARAMETERS,
  looksLikeVendorFunction,
  parseVendorFunctionName,
  SHARED_PARAMETERS,
  vendorFunctionName,
} from '../../lib/facts/taegis.js';
import { readFileSync } from 'node:fs';
import { CONSOLE_STACK_TEMPLATE } from '../../lib/demo/seed.js';

describe('the vendor function name', () => {
  it.each([
    ['lab', 'awscloudtrail'],
    ['lab-network-lambda', 'vpcflowlogs'],
    ['a', 'generic_v2'],
    ['stack-with-scwx', 'waf-logs'],
  ])('GIVEN stack %s and integration %s WHEN encoded and parsed back THEN both parts return', (stack, integration) => {
    const name = vendorFunctionName(stack, integration);
    expect(name).toBe(`${stack}-scwx-tdr-lambda-${integration}`);
    expect(parseVendorFunctionName(name)).toEqual({ prefix: stack, integration });
    expect(isVendorFunctionOf(name, stack)).toBe(true);
    expect(looksLikeVendorFunction(name)).toBe(true);
  });

  it('GIVEN a function ARN, qualified or not WHEN parsed THEN the name inside is split', () => {
    const arn = 'arn:aws:lambda:us-east-1:123456789012:function:lab-scwx-tdr-lambda-alb';
    expect(parseVendorFunctionName(arn)).toEqual({ prefix: 'lab', integration: 'alb' });
    expect(parseVendorFunctionName(`${arn}:3`)).toEqual({ prefix: 'lab', integration: 'alb' });
    expect(parseVendorFunctionName(`${arn}:$LATEST`)).toEqual({ prefix: 'lab', integration: 'alb' });
  });

  it.each([
    'lab-scwx-tdr-lambda',
    'lab-scwx-tdr-lambda-',
    '-scwx-tdr-lambda-alb',
    'lab-other-function',
    'lab-scwx-tdr-lambda-a.b',
    'arn:aws:lambda:us-east-1:123456789012:function:unrelated',
  ])('GIVEN %s WHEN parsed THEN it is not a vendor function name', (name) => {
    expect(parseVendorFunctionName(name)).toBeUndefined();
  });

  it('GIVEN two stacks whose names share a prefix THEN a function belongs only to its own stack', () => {
    const name = vendorFunctionName('lab-2', 'alb');
    expect(isVendorFunctionOf(name, 'lab-2')).toBe(true);
    expect(isVendorFunctionOf(name, 'lab')).toBe(false);
  });

  it('GIVEN a function name THEN its log group is where Lambda writes', () => {
    expect(functionLogGroup('f')).toBe('/aws/lambda/f');
  });
});

describe('the vendor template parameters', () => {
  it('GIVEN the function name the vendor template declares WHEN encoded from its parameters THEN our encoder agrees', () => {
    // A console-made stack's template: `!Sub ${AWS::StackName}-scwx-tdr-lambda-${IntegrationType}`.
    const yaml = readFileSync(CONSOLE_STACK_TEMPLATE, 'utf8');
    const sub = /FunctionName: !Sub (.+)/.exec(yaml)?.[1]?.trim();
    expect(sub).toBe(vendorFunctionName('${AWS::StackName}', `\${${LAMBDA_PARAMETERS.integrationType}}`));
  });

  it('GIVEN the parameter names THEN they are the ones the vendor templates declare, each once', () => {
    const names = [...Object.values(LAMBDA_PARAMETERS), ...Object.values(SHARED_PARAMETERS)];
    expect(new Set(names).size).toBe(names.length);
    expect(names).toEqual([
      'IntegrationType',
      'NotificationBucket',
      'SNSNotificationarn',
      'NotificationBucketCustomerManagedKMSarn',
      'TaegisLambdaS3BucketName',
      'LambdaEnvKMSarn',
      'SecretValue',
      'TaegisRegion',
    ]);
  });
});
