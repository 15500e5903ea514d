import {
  CreateStackCommand,
  waitUntilStackCreateComplete,
  type CloudFormationClient,
  type Parameter,
} from '@aws-sdk/client-cloudformation';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { createBucket } from '../../lib/demo/seed.js';

/** The vendor's description for the current Lambda template, as the docs quote it. */
export const vendorDescription = (integration: string): string =>
  `This CloudFormation template deploys SecureWorks TDR Lambda function for ${integration} logs stored in S3 bucket`;

type Json = Record<string, unknown>;

/** A role a Lambda function can assume; moto needs one for every function. */
const role: Json = {
  Type: 'AWS::IAM::Role',
  Properties: {
    AssumeRolePolicyDocument: {
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }],
    },
  },
};

/**
 * A Taegis-like current Lambda template (synthetic: modelled on what the vendor docs say).
 * Fn::GetAtt in its list form: moto misreads the string form.
 */
export function currentLambdaTemplate(options: { runtime?: string; functionLogicalId?: string } = {}): Json {
  const fn = options.functionLogicalId ?? 'TaegisLambdaFunction';
  return {
    AWSTemplateFormatVersion: '2010-09-09',
    Description: vendorDescription('awscloudtrail'),
    Parameters: {
      IntegrationType: { Type: 'String', AllowedValues: ['awscloudtrail', 'generic'] },
      NotificationBucket: { Type: 'String' },
      SNSNotificationarn: { Type: 'String', Default: '' },
      NotificationBucketCustomerManagedKMSarn: { Type: 'String', Default: '' },
      TaegisLambdaS3BucketName: { Type: 'String' },
      LambdaEnvKMSarn: { Type: 'String', Default: '' },
      EnableObjectTagging: { Type: 'String', Default: 'false', AllowedValues: ['true', 'false'] },
    },
    Resources: {
      TaegisLambdaRole: role,
      [fn]: {
        Type: 'AWS::Lambda::Function',
        Properties: {
          FunctionName: { 'Fn::Sub': '${AWS::StackName}-scwx-tdr-lambda-${IntegrationType}' },
          Runtime: options.runtime ?? 'go1.x',
          Handler: 'bootstrap',
          Role: { 'Fn::GetAtt': ['TaegisLambdaRole', 'Arn'] },
          Code: { S3Bucket: { Ref: 'TaegisLambdaS3BucketName' }, S3Key: 'taegis-lambda-amd64.zip' },
          Environment: { Variables: { OBJECT_TAGGING: { Ref: 'EnableObjectTagging' } } },
        },
      },
      TaegisLambdaPermission: {
        Type: 'AWS::Lambda::Permission',
        Properties: {
          Action: 'lambda:InvokeFunction',
          FunctionName: { 'Fn::GetAtt': [fn, 'Arn'] },
          Principal: 's3.amazonaws.com',
          SourceArn: { 'Fn::Sub': 'arn:${AWS::Partition}:s3:::${NotificationBucket}' },
        },
      },
    },
  };
}

/** An older per-integration template: no IntegrationType, another description, the integration in the function name. */
export function olderLambdaTemplate(integration: string): Json {
  return {
    AWSTemplateFormatVersion: '2010-09-09',
    Description: `Secureworks Taegis ${integration} forwarder (legacy)`,
    Parameters: {
      NotificationBucket: { Type: 'String' },
      SNSNotificationarn: { Type: 'String', Default: '' },
      TaegisLambdaS3BucketName: { Type: 'String' },
    },
    Resources: {
      Role: role,
      Function: {
        Type: 'AWS::Lambda::Function',
        Properties: {
          FunctionName: { 'Fn::Sub': `\${AWS::StackName}-scwx-tdr-lambda-${integration}` },
          Runtime: 'go1.x',
          Handler: 'bootstrap',
          Role: { 'Fn::GetAtt': ['Role', 'Arn'] },
          Code: { S3Bucket: { Ref: 'TaegisLambdaS3BucketName' }, S3Key: 'taegis-lambda-amd64.zip' },
        },
      },
    },
  };
}

/** A stack recognisable only by its function's name. */
export function functionNameOnlyTemplate(integration: string): Json {
  return {
    AWSTemplateFormatVersion: '2010-09-09',
    Description: 'hand-made log forwarder',
    Parameters: { CodeBucket: { Type: 'String' } },
    Resources: {
      Role: role,
      Function: {
        Type: 'AWS::Lambda::Function',
        Properties: {
          FunctionName: { 'Fn::Sub': `\${AWS::StackName}-scwx-tdr-lambda-${integration}` },
          Runtime: 'go1.x',
          Handler: 'bootstrap',
          Role: { 'Fn::GetAtt': ['Role', 'Arn'] },
          Code: { S3Bucket: { Ref: 'CodeBucket' }, S3Key: 'taegis-lambda-amd64.zip' },
        },
      },
    },
  };
}

/** A shared-resources-like template: SecretValue (NoEcho) and TaegisRegion. */
export function sharedTemplate(): Json {
  return {
    AWSTemplateFormatVersion: '2010-09-09',
    Description: 'SecureWorks TDR shared resources',
    Parameters: {
      SecretValue: { Type: 'String', NoEcho: true },
      TaegisRegion: { Type: 'String', AllowedValues: ['ctpx', 'delta', 'echo', 'foxtrot'] },
    },
    Resources: {
      // moto skips secrets in templates; the stack still completes, as on AWS.
      TaegisSecret: { Type: 'AWS::SecretsManager::Secret', Properties: { SecretString: { Ref: 'SecretValue' } } },
      TaegisTopic: { Type: 'AWS::SNS::Topic' },
    },
  };
}

/** An unrelated stack (not Taegis), with a parameter named like one of ours to catch loose matching. */
export function unrelatedTemplate(): Json {
  return {
    AWSTemplateFormatVersion: '2010-09-09',
    Description: 'team web app',
    Parameters: { NotificationBucket: { Type: 'String', Default: 'x' } },
    Resources: { Topic: { Type: 'AWS::SNS::Topic' } },
  };
}

export async function createStack(
  cfn: CloudFormationClient,
  stackName: string,
  template: Json,
  parameters: Record<string, string> = {},
): Promise<void> {
  const Parameters: Parameter[] = Object.entries(parameters).map(([ParameterKey, ParameterValue]) => ({
    ParameterKey,
    ParameterValue,
  }));
  await cfn.send(
    new CreateStackCommand({
      StackName: stackName,
      TemplateBody: JSON.stringify(template),
      Parameters,
      Capabilities: ['CAPABILITY_IAM', 'CAPABILITY_NAMED_IAM'],
    }),
  );
  await waitUntilStackCreateComplete(
    { client: cfn, maxWaitTime: 60, minDelay: 1, maxDelay: 2 },
    { StackName: stackName },
  );
}

/** A bucket holding a placeholder zip for the functions' code (moto never runs it). */
export async function createCodeBucket(s3: S3Client, region: string, bucket: string): Promise<void> {
  await createBucket(s3, region, bucket);
  await s3.send(
    new PutObjectCommand({
      Bucket: bucket,
      Key: 'taegis-lambda-amd64.zip',
      Body: Buffer.from('PK\u0005\u0006' + '\0'.repeat(18)),
    }),
  );
}
