import { createRequire } from 'node:module';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { CfnInclude } from 'aws-cdk-lib/cloudformation-include';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp, type TaegisApp } from '../../lib/app/app.js';
import { runtimeDeprecationMessage } from '../../lib/facts/lambda-runtimes.js';
import { templateParseCount } from '../../lib/artifacts/cfn-yaml.js';
import { contextList } from '../../lib/cli/context.js';
import { writePlainSubs } from '../../lib/stacks/plain-subs.js';
import { lambdaParameterValues } from '../../lib/stacks/lambda-stack.js';
import { FUNCTION_ARN_OUTPUT } from '../../lib/stacks/marker.js';
import { EXAMPLE_DIR, exampleConfig } from '../support/example.js';

const outdirs: string[] = [];
const freshOutdir = (): string => {
  const d = mkdtempSync(path.join(tmpdir(), 'taegis-app-test-'));
  outdirs.push(d);
  return d;
};
afterAll(() => outdirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

const resourceIds = (t: Template): string[] =>
  Object.entries(t.toJSON().Resources as Record<string, { Type: string }>)
    .filter(([, r]) => r.Type !== 'AWS::CDK::Metadata')
    .map(([id]) => id)
    .sort();

// The runtime default depends on the date: pin it where the vendor's provided.al2 is still the default.
const TODAY = new Date('2026-11-27T12:00:00Z');

const build = (mutate?: (raw: Record<string, unknown>) => void, regions?: string[]) =>
  buildApp(exampleConfig(mutate, { now: TODAY }), {
    appProps: { outdir: freshOutdir(), builtinCloudFormationValidation: false },
    ...(regions ? { regions } : {}),
  });

describe('the CDK app built from the example config', () => {
  let built: TaegisApp;
  let useast: TaegisApp['regions'][number];
  beforeAll(async () => {
    built = await build();
    useast = built.regions.find((r) => r.region === 'us-east-1')!;
  });

  it('GIVEN two configured regions WHEN built THEN each gets one staging, one shared and its Lambda stacks, with the agreed ids, names and env', () => {
    const ids = built.app.node.children.map((c) => c.node.id).sort();
    expect(ids).toEqual([
      'TaegisLambda-eu-west-1-lab-vpc-lambda',
      'TaegisLambda-us-east-1-lab-alb-lambda',
      'TaegisLambda-us-east-1-lab-network-lambda',
      'TaegisShared-eu-west-1',
      'TaegisShared-us-east-1',
      'TaegisStaging-eu-west-1',
      'TaegisStaging-us-east-1',
    ]);
    const eu = built.regions.find((r) => r.region === 'eu-west-1')!;
    expect(useast.shared.stackName).toBe('taegis-shared-resources');
    expect(eu.shared.stackName).toBe('scwx-tdr-shared');
    expect(useast.lambdas.map((l) => l.stackName)).toEqual(['lab-network-lambda', 'lab-alb-lambda']);
    for (const s of [eu.staging, eu.shared, ...eu.lambdas]) {
      expect(s.region).toBe('eu-west-1');
      expect(s.account).toBe('123456789012');
    }
  });

  it('GIVEN -c region=eu-west-1 WHEN built THEN only that region is in the app', async () => {
    const only = await build(undefined, ['eu-west-1']);
    expect(only.regions.map((r) => r.region)).toEqual(['eu-west-1']);
    expect(only.app.node.children.map((c) => c.node.id).filter((id) => id.includes('us-east-1'))).toEqual([]);
  });

  it('GIVEN the staging stack THEN its bucket blocks public access, requires TLS, is encrypted and outlives the stack', () => {
    const t = Template.fromStack(useast.staging);
    t.hasResource('AWS::S3::Bucket', {
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
      Properties: Match.objectLike({
        BucketName: 'taegis-staging-123456789012-us-east-1',
        PublicAccessBlockConfiguration: {
          BlockPublicAcls: true,
          BlockPublicPolicy: true,
          IgnorePublicAcls: true,
          RestrictPublicBuckets: true,
        },
        BucketEncryption: {
          ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
        },
      }),
    });
    t.hasResourceProperties('AWS::S3::BucketPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
    const eu = built.regions.find((r) => r.region === 'eu-west-1')!;
    Template.fromStack(eu.staging).hasResourceProperties('AWS::S3::Bucket', {
      BucketName: 'lab-taegis-staging-eu-west-1',
    });
  });

  it('GIVEN the staging stack THEN one deployment puts exactly the zip (whole) and the two templates at the bucket root and never deletes', () => {
    const t = Template.fromStack(useast.staging);
    const deployments = t.findResources('Custom::CDKBucketDeployment');
    expect(Object.keys(deployments)).toHaveLength(1);
    const props = Object.values(deployments)[0]!.Properties as Record<string, unknown>;
    expect(props).toMatchObject({ Extract: true, Prune: false, RetainOnDelete: true });
    expect(props.DestinationKeyPrefix).toBeUndefined();
    // The one source is a folder asset: after synthesis it holds exactly the three files, the zip byte for byte.
    const keys = props.SourceObjectKeys as string[];
    expect(keys).toHaveLength(1);
    const assetDir = path.join(built.app.outdir, `asset.${keys[0]!.replace(/\.zip$/, '')}`);
    built.app.synth();
    expect(readdirSync(assetDir).sort()).toEqual([
      'taegis-cloudformation-lambda-template.yaml',
      'taegis-cloudformation-shared-resources.yaml',
      'taegis-lambda-amd64.zip',
    ]);
    expect(
      readFileSync(path.join(assetDir, 'taegis-lambda-amd64.zip')).equals(
        readFileSync(path.join(EXAMPLE_DIR, 'taegis-lambda-amd64.zip')),
      ),
    ).toBe(true);
    expect(existsSync(path.join(assetDir, 'bootstrap'))).toBe(false);
  });

  it('GIVEN the shared stack THEN the vendor template is included with its logical IDs, TaegisRegion baked and SecretValue a NoEcho parameter', () => {
    const t = Template.fromStack(useast.shared);
    expect(resourceIds(t)).toEqual(['ScwxTdrCredentials', 'ScwxTdrRegion']);
    t.hasParameter('SecretValue', { Type: 'String', NoEcho: true });
    expect(Object.keys(t.toJSON().Parameters as object)).not.toContain('TaegisRegion');
    t.hasResourceProperties('AWS::SSM::Parameter', { Value: 'ctpx' });
    t.hasResourceProperties('AWS::SecretsManager::Secret', { SecretString: { Ref: 'SecretValue' } });
    t.hasOutput('CredentialsSecretArn', { Value: { Ref: 'ScwxTdrCredentials' } });
  });

  it('GIVEN a Lambda stack THEN it keeps the existing name and logical IDs and bakes every value from config, the staging bucket included', () => {
    const network = useast.lambdas.find((l) => l.stackName === 'lab-network-lambda')!;
    const t = Template.fromStack(network);
    // The vendor's logical IDs; the SNS pair exists only under HasSnsTopic (false here: no snsNotificationArn).
    expect(resourceIds(t)).toEqual([
      'ScwxTdrLambdaFunction',
      'ScwxTdrLambdaRole',
      'ScwxTdrLambdaSnsInvokePermission',
      'ScwxTdrLambdaSnsSubscription',
    ]);
    expect((t.toJSON().Conditions as Record<string, unknown>).HasSnsTopic).toEqual({
      'Fn::Not': [{ 'Fn::Equals': ['', ''] }],
    });
    // Only the vendor-defaulted parameter (and CDK's own) remain: --previous-parameters has nothing of ours to keep.
    expect(Object.keys(t.toJSON().Parameters as object).sort()).toEqual(['BootstrapVersion', 'EnableObjectTagging']);
    t.hasResourceProperties('AWS::Lambda::Function', {
      FunctionName: { 'Fn::Sub': '${AWS::StackName}-scwx-tdr-lambda-awscloudtrail' },
      Code: { S3Bucket: 'taegis-staging-123456789012-us-east-1', S3Key: 'taegis-lambda-amd64.zip' },
      Handler: 'bootstrap',
      Runtime: 'provided.al2',
      Role: { 'Fn::GetAtt': 'ScwxTdrLambdaRole.Arn' },
      Environment: { Variables: Match.objectLike({ INTEGRATION_TYPE: 'awscloudtrail' }) },
    });
    // Unset optional values get the template's default (''), not whatever the old stack had.
    t.hasResourceProperties('AWS::Lambda::Function', {
      KmsKeyArn: { 'Fn::If': ['HasEnvKey', '', { Ref: 'AWS::NoValue' }] },
    });
    expect(t.toJSON().Description).toMatch(/^This CloudFormation template deploys SecureWorks TDR Lambda function/);

    const alb = Template.fromStack(useast.lambdas.find((l) => l.stackName === 'lab-alb-lambda')!);
    alb.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          SNS_TOPIC_ARN: {
            'Fn::If': ['HasSnsTopic', 'arn:aws:sns:us-east-1:123456789012:lab-alb-logs-events', 'none'],
          },
        }),
      },
    });
    // snsNotificationArn set: the function is subscribed to the topic, and SNS may invoke it for that topic only.
    const albTopic = 'arn:aws:sns:us-east-1:123456789012:lab-alb-logs-events';
    expect((alb.toJSON().Resources as Record<string, unknown>).ScwxTdrLambdaSnsSubscription).toEqual({
      Type: 'AWS::SNS::Subscription',
      Condition: 'HasSnsTopic',
      DependsOn: ['ScwxTdrLambdaSnsInvokePermission'],
      Properties: {
        TopicArn: albTopic,
        Protocol: 'lambda',
        Endpoint: { 'Fn::GetAtt': 'ScwxTdrLambdaFunction.Arn' },
      },
    });
    alb.hasResource('AWS::Lambda::Permission', {
      Condition: 'HasSnsTopic',
      Properties: Match.objectLike({ Principal: 'sns.amazonaws.com', SourceArn: albTopic }),
    });
    expect((alb.toJSON().Conditions as Record<string, unknown>).HasSnsTopic).toEqual({
      'Fn::Not': [{ 'Fn::Equals': [albTopic, ''] }],
    });
    const vpc = Template.fromStack(built.regions.find((r) => r.region === 'eu-west-1')!.lambdas[0]!);
    vpc.hasResourceProperties('AWS::Lambda::Function', {
      Code: { S3Bucket: 'lab-taegis-staging-eu-west-1', S3Key: 'taegis-lambda-amd64.zip' },
    });
  });

  it("GIVEN a Lambda stack THEN it depends on its region's staging and shared stacks only", () => {
    for (const r of built.regions) {
      for (const l of r.lambdas) {
        expect(l.dependencies.map((d) => d.node.id).sort()).toEqual([r.shared.node.id, r.staging.node.id].sort());
      }
      expect(r.staging.dependencies).toEqual([]);
      expect(r.shared.dependencies).toEqual([]);
    }
  });

  it('GIVEN no lambdaRuntime before 2027-03-03 THEN the template runtime stays and no stack carries a runtime annotation (the notice is said once, by the build)', () => {
    for (const l of useast.lambdas) {
      const warnings = l.node.metadata.filter((m) => m.type === 'aws:cdk:warning').map((m) => String(m.data));
      expect(warnings.filter((w) => w.includes('provided.al2'))).toEqual([]);
    }
  });

  it('GIVEN a Lambda stack THEN its template Metadata carries the taegis-migrate marker and its resources are exactly those of the vendor template alone (no tags, no new logical IDs)', () => {
    const network = useast.lambdas.find((l) => l.stackName === 'lab-network-lambda')!;
    const entry = built.config.regions
      .find((r) => r.region === 'us-east-1')!
      .lambdaStacks.find((s) => s.stackName === 'lab-network-lambda')!;
    const t = Template.fromStack(network).toJSON() as { Metadata?: Record<string, unknown>; Resources: object };
    expect(t.Metadata?.TaegisMigrate).toEqual({
      deployedBy: 'taegis-migrate',
      markerVersion: 1,
      integrationType: entry.integrationType,
      notificationBucket: entry.notificationBucket,
    });
    // The same vendor template included on its own, with the same values: the marker adds nothing to any resource.
    const bare = new Stack(new App({ builtinCloudFormationValidation: false }), 'Bare', {
      env: { account: '123456789012', region: 'us-east-1' },
    });
    const parameters = lambdaParameterValues(built.artifacts.lambda, entry, 'taegis-staging-123456789012-us-east-1');
    const include = new CfnInclude(bare, 'VendorTemplate', {
      templateFile: built.artifacts.lambda.file,
      preserveLogicalIds: true,
      parameters,
    });
    // A Sub left without a variable by the baking is written as its plain string (W1020): nothing else changes.
    writePlainSubs(include, built.artifacts.lambda.template, parameters);
    const withoutCdkMetadata = (r: object) =>
      Object.fromEntries(Object.entries(r).filter(([, v]) => (v as { Type: string }).Type !== 'AWS::CDK::Metadata'));
    expect(withoutCdkMetadata(t.Resources)).toEqual(
      withoutCdkMetadata(Template.fromStack(bare).toJSON().Resources as object),
    );
    expect(JSON.stringify(t.Resources)).not.toContain('Tags');
  });

  it("GIVEN a Lambda stack THEN it outputs its vendor function's ARN for verify, next to the vendor template's own outputs", () => {
    const network = useast.lambdas.find((l) => l.stackName === 'lab-network-lambda')!;
    const t = Template.fromStack(network);
    t.hasOutput(FUNCTION_ARN_OUTPUT, {
      Value: { 'Fn::GetAtt': [built.artifacts.lambda.functionLogicalId, 'Arn'] },
    });
    expect(Object.keys(t.findOutputs('*')).sort()).toEqual([FUNCTION_ARN_OUTPUT, 'LambdaFunctionArn'].sort());
  });

  it("GIVEN cdk-nag AwsSolutions THEN our own stacks have no unacknowledged finding and the vendor templates' findings are reported", () => {
    expect(built.nag?.own).toEqual([]);
    const vendorRules = new Set(built.nag!.vendor.map((f) => f.ruleId.replace(/\[.*$/, '')));
    expect(vendorRules).toEqual(new Set(['AwsSolutions-IAM4', 'AwsSolutions-IAM5', 'AwsSolutions-SMG4']));
    const sharedWarnings = useast.shared.node.metadata
      .filter((m) => m.type === 'aws:cdk:warning')
      .map((m) => String(m.data));
    expect(sharedWarnings.some((w) => w.includes('AwsSolutions-SMG4') && w.includes('vendor template'))).toBe(true);
  });
});

describe('choices and invariants', () => {
  it('GIVEN lambdaRuntime provided.al2023 WHEN built THEN the function runtime is overridden and no deprecation warning is emitted', async () => {
    const warned: string[] = [];
    const b = await buildApp(
      exampleConfig((raw) => (raw.lambdaRuntime = 'provided.al2023')),
      { appProps: { outdir: freshOutdir(), builtinCloudFormationValidation: false }, warn: (m) => warned.push(m) },
    );
    for (const l of b.regions.flatMap((r) => r.lambdas)) {
      Template.fromStack(l).hasResourceProperties('AWS::Lambda::Function', {
        Runtime: 'provided.al2023',
        Handler: 'bootstrap',
      });
    }
    expect(warned).toEqual([]);
  });

  it('GIVEN provided.al2 by default WHEN built with two regions and several stacks THEN the warn hook gets the notice exactly once', async () => {
    const warned: string[] = [];
    const b = await buildApp(exampleConfig(undefined, { now: TODAY }), {
      appProps: { outdir: freshOutdir() },
      nag: false,
      warn: (m) => warned.push(m),
      now: TODAY,
    });
    expect(b.regions.flatMap((r) => r.lambdas).length).toBeGreaterThan(1);
    expect(warned).toEqual([runtimeDeprecationMessage('provided.al2', TODAY, 'default')]);
    expect(warned[0]).toContain('updating functions on it fails from 2027-03-03');
    expect(warned[0]).not.toContain('2026-08-31');
  });

  it('GIVEN no lambdaRuntime from 2027-03-03 WHEN built THEN the function runs on provided.al2023 and nothing is warned', async () => {
    const warned: string[] = [];
    const now = new Date('2027-03-03T00:00:00Z');
    const b = await buildApp(exampleConfig(undefined, { now }), {
      appProps: { outdir: freshOutdir(), builtinCloudFormationValidation: false },
      nag: false,
      warn: (m) => warned.push(m),
      now,
    });
    for (const l of b.regions.flatMap((r) => r.lambdas)) {
      Template.fromStack(l).hasResourceProperties('AWS::Lambda::Function', { Runtime: 'provided.al2023' });
    }
    expect(warned).toEqual([]);
  });

  it('GIVEN many stacks WHEN built THEN each vendor template is parsed once per synth, not once per stack', async () => {
    // Count aws-cdk-lib's own YAML reader, which CfnInclude would call per stack if our hook were bypassed.
    const cdkRequire = createRequire(import.meta.url);
    const yamlCfn = cdkRequire(
      path.join(
        path.dirname(cdkRequire.resolve('aws-cdk-lib/package.json')),
        'cloudformation-include/lib/private/yaml-cfn.js',
      ),
    ) as { deserialize: (text: string) => unknown };
    const original = yamlCfn.deserialize;
    let deserialized = 0;
    yamlCfn.deserialize = (text: string) => {
      deserialized += 1;
      return original(text);
    };
    const before = templateParseCount();
    const b = await build((raw) => {
      const regions = raw.regions as { lambdaStacks: unknown[] }[];
      regions[0]!.lambdaStacks.push({
        stackName: 'lab-waf-lambda',
        integrationType: 'awswaf',
        notificationBucket: 'lab-waf-logs',
      });
    });
    expect(b.regions.flatMap((r) => r.lambdas)).toHaveLength(4);
    yamlCfn.deserialize = original;
    expect(templateParseCount() - before).toBe(2);
    expect(deserialized).toBe(2);
  });

  it('GIVEN -c region given once, repeated or as a comma list THEN contextList reads all forms', () => {
    expect(contextList(undefined)).toEqual([]);
    expect(contextList('us-east-1')).toEqual(['us-east-1']);
    expect(contextList('us-east-1, eu-west-1')).toEqual(['us-east-1', 'eu-west-1']);
    expect(contextList(['us-east-1', 'eu-west-1,ap-south-1'])).toEqual(['us-east-1', 'eu-west-1', 'ap-south-1']);
  });
});
