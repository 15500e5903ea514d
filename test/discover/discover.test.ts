import {
  CloudFormationClient,
  DescribeStacksCommand,
  ListStackResourcesCommand,
  ListStacksCommand,
  type StackSummary,
} from '@aws-sdk/client-cloudformation';
import { GetFunctionConfigurationCommand, LambdaClient, ListFunctionsCommand } from '@aws-sdk/client-lambda';
import { GetBucketNotificationConfigurationCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { AwsClientFactory } from '../../lib/aws/clients.js';
import { draftConfig } from '../../lib/discover/config.js';
import { discover, type DiscoveredLambdaStack, type RegionReport } from '../../lib/discover/discover.js';
import { formatDiscoverReport } from '../../lib/discover/report.js';
import { migrationMarker, readMigrationMarker } from '../../lib/stacks/marker.js';
import {
  integrationFromDescription,
  isSharedResourcesStack,
  matchesDescription,
  parseVendorFunctionName,
  recognizeLambdaStack,
  resolveIntegration,
} from '../../lib/discover/recognize.js';
import { vendorDescription } from '../support/taegis-fixtures.js';

const denied = (what: string) =>
  Object.assign(new Error(`User: arn:aws:iam::123456789012:user/ro is not authorized to perform: ${what}`), {
    name: 'AccessDenied',
    $metadata: { httpStatusCode: 403 },
  });

describe('recognising Taegis stacks', () => {
  it.each([
    ['vendor description', { description: vendorDescription('awscloudtrail') }, ['description']],
    ['current parameters', { parameters: { NotificationBucket: 'b', IntegrationType: 'generic' } }, ['parameters']],
    ['older parameters', { parameters: { NotificationBucket: 'b', TaegisLambdaS3BucketName: 'c' } }, ['parameters']],
    ['vendor function name', { functionNames: ['x-scwx-tdr-lambda-generic'] }, ['function-name']],
    ['NotificationBucket alone', { parameters: { NotificationBucket: 'b' } }, undefined],
    ['another description', { description: 'SecureWorks TDR shared resources' }, undefined],
    ['a similar function name', { functionNames: ['x-scwx-tdr-lambda'] }, undefined],
  ])('GIVEN %s THEN %j', (_name, facts, reasons) => {
    expect(recognizeLambdaStack(facts)?.reasons).toEqual(reasons);
  });

  it('GIVEN description texts and function names THEN the integration is read in the documented order', () => {
    expect(integrationFromDescription(vendorDescription('AWS CloudTrail'))).toBe('awscloudtrail');
    expect(integrationFromDescription('anything else')).toBeUndefined();
    expect(parseVendorFunctionName('arn:aws:lambda:us-east-1:123456789012:function:lab-scwx-tdr-lambda-alb:3')).toEqual(
      { prefix: 'lab', integration: 'alb' },
    );
    expect(
      resolveIntegration({
        parameters: { IntegrationType: 'generic' },
        description: vendorDescription('awscloudtrail'),
      }),
    ).toEqual({ value: 'generic', source: 'parameter' });
    expect(
      resolveIntegration({ description: vendorDescription('awscloudtrail'), functionNames: ['s-scwx-tdr-lambda-waf'] }),
    ).toEqual({ value: 'awscloudtrail', source: 'description' });
    expect(resolveIntegration({ functionNames: ['s-scwx-tdr-lambda-waf'] })).toEqual({
      value: 'waf',
      source: 'function-name',
    });
    expect(isSharedResourcesStack({ SecretValue: '****', TaegisRegion: 'ctpx' })).toBe(true);
    expect(isSharedResourcesStack({ TaegisRegion: 'ctpx' })).toBe(false);
  });
});

describe('recognising stacks taegis-migrate already migrated', () => {
  const SELECTED =
    'This CloudFormation template deploys SecureWorks TDR Lambda function for the selected integration logs stored in S3 bucket';
  const marker = migrationMarker({
    stackName: 'lab',
    integrationType: 'awscloudtrail',
    notificationBucket: 'lab-logs',
    snsNotificationArn: 'arn:aws:sns:us-east-1:123456789012:t',
  });

  it('GIVEN the vendor description that names no integration THEN it yields no integration name', () => {
    expect(integrationFromDescription(SELECTED)).toBeUndefined();
    expect(integrationFromDescription(vendorDescription('the chosen integration'))).toBeUndefined();
    expect(integrationFromDescription(vendorDescription('AWS CloudTrail'))).toBe('awscloudtrail');
    expect(matchesDescription(SELECTED)).toBe(true);
  });

  it('GIVEN a migrated stack (parameters baked in, marker in the template) THEN it is recognised with the marked values', () => {
    const facts = {
      description: SELECTED,
      parameters: { BootstrapVersion: '30', EnableObjectTagging: 'false' },
      functionNames: ['lab-scwx-tdr-lambda-awscloudtrail'],
      marker,
    };
    expect(recognizeLambdaStack(facts)).toEqual({
      reasons: ['marker', 'description', 'function-name'],
      template: 'migrated',
    });
    expect(resolveIntegration(facts)).toEqual({ value: 'awscloudtrail', source: 'marker' });
    // Without the marker the function name is the best there is, never the description's placeholder.
    expect(resolveIntegration({ ...facts, marker: undefined })).toEqual({
      value: 'awscloudtrail',
      source: 'function-name',
    });
    expect(resolveIntegration({ description: SELECTED, environmentIntegration: 'generic' })).toEqual({
      value: 'generic',
      source: 'environment',
    });
  });

  it('GIVEN template bodies THEN only our own JSON marker is read back', () => {
    const body = (metadata: unknown) => JSON.stringify({ Metadata: metadata, Resources: {} });
    expect(readMigrationMarker(body({ TaegisMigrate: marker }))).toEqual(marker);
    expect(readMigrationMarker(body({ TaegisMigrate: { ...marker, deployedBy: 'someone-else' } }))).toBeUndefined();
    expect(readMigrationMarker(body({ TaegisMigrate: { ...marker, markerVersion: 2 } }))).toBeUndefined();
    expect(readMigrationMarker(body({ TaegisMigrate: { ...marker, notificationBucket: '' } }))).toBeUndefined();
    expect(readMigrationMarker(body(undefined))).toBeUndefined();
    expect(readMigrationMarker('Resources:\n  X: !Ref Y\n')).toBeUndefined();
    expect(readMigrationMarker(undefined)).toBeUndefined();
  });
});

const lambdaStack = (over: Partial<DiscoveredLambdaStack> = {}): DiscoveredLambdaStack => ({
  region: 'us-east-1',
  account: '123456789012',
  stackName: 'lab',
  status: 'UPDATE_COMPLETE',
  recognizedBy: ['description'],
  template: 'current',
  integrationType: 'awscloudtrail',
  integrationSource: 'parameter',
  notificationBucket: 'logs',
  notified: { state: 'yes' },
  problems: [],
  ...over,
});
const region = (over: Partial<RegionReport> & { region: string }): RegionReport => ({
  lambdaStacks: [],
  sharedStacks: [],
  unreadable: [],
  otherStacks: 0,
  warnings: [],
  ...over,
});

describe('drafting the config', () => {
  it.each([
    ['2027-03-02T23:59:59Z', 'provided.al2'],
    ['2027-03-03T00:00:00Z', 'provided.al2023'],
  ])('GIVEN today is %s WHEN drafted THEN lambdaRuntime is what the default chooses that day (%s)', (iso, runtime) => {
    const draft = draftConfig(
      { regions: [region({ region: 'us-east-1', lambdaStacks: [lambdaStack()] })] },
      { taegisRegion: 'ctpx', now: new Date(iso) },
    );
    expect(draft.config.lambdaRuntime).toBe(runtime);
  });

  it('GIVEN regions with different shared stacks and unwritable stacks WHEN drafted THEN per-region names and a warning per left-out stack', () => {
    const draft = draftConfig(
      {
        regions: [
          region({
            region: 'us-east-1',
            lambdaStacks: [
              lambdaStack(),
              lambdaStack({ stackName: 'broken', status: 'ROLLBACK_COMPLETE' }),
              lambdaStack({ stackName: 'nob', notificationBucket: undefined }),
            ],
            sharedStacks: [{ region: 'us-east-1', stackName: 'shared-a', status: 'CREATE_COMPLETE' }],
          }),
          region({
            region: 'eu-west-1',
            lambdaStacks: [lambdaStack({ region: 'eu-west-1', stackName: 'eu', snsNotificationArn: 'not-an-arn' })],
          }),
          region({
            region: 'ap-south-1',
            lambdaStacks: [lambdaStack({ region: 'ap-south-1', stackName: 'ap' })],
            sharedStacks: [{ region: 'ap-south-1', stackName: 'shared-b', status: 'CREATE_COMPLETE' }],
            unreadable: [{ region: 'ap-south-1', stackName: 'hidden', reason: 'AccessDenied', looksLikeTaegis: true }],
          }),
        ],
      },
      { taegisRegion: 'echo', now: new Date('2026-11-27T00:00:00Z') },
    );
    expect(draft.config).toEqual({
      taegisRegion: 'echo',
      artifactsDir: './artifacts',
      lambdaRuntime: 'provided.al2',
      regions: [
        {
          region: 'ap-south-1',
          account: '123456789012',
          sharedStackName: 'shared-b',
          lambdaStacks: [{ stackName: 'ap', integrationType: 'awscloudtrail', notificationBucket: 'logs' }],
        },
        {
          region: 'us-east-1',
          account: '123456789012',
          sharedStackName: 'shared-a',
          lambdaStacks: [{ stackName: 'lab', integrationType: 'awscloudtrail', notificationBucket: 'logs' }],
        },
      ],
    });
    expect(draft.warnings.join('\n')).toMatch(/us-east-1\/broken not written: its status ROLLBACK_COMPLETE/);
    expect(draft.warnings.join('\n')).toMatch(/us-east-1\/nob not written: it has no NotificationBucket/);
    expect(draft.warnings.join('\n')).toMatch(
      /eu-west-1\/eu not written: its values do not fit the config schema \(snsNotificationArn is not an SNS topic ARN\)/,
    );
    expect(draft.warnings.join('\n')).toMatch(
      /ap-south-1\/hidden not written: its description says Taegis but it cannot be read \(AccessDenied\)/,
    );
  });

  it('GIVEN an organization WHEN a stack is not written THEN its warning names the account with the region', () => {
    const member = '222222222222';
    const draft = draftConfig(
      {
        regions: [
          region({ region: 'us-east-1', account: '123456789012', lambdaStacks: [lambdaStack()] }),
          region({
            region: 'us-east-1',
            account: member,
            lambdaStacks: [
              lambdaStack({ account: member }),
              lambdaStack({ account: member, stackName: 'broken', status: 'ROLLBACK_COMPLETE' }),
            ],
          }),
        ],
      },
      { taegisRegion: 'ctpx' },
    );
    expect(draft.warnings).toContain(`${member}/us-east-1: no shared-resources stack found; the app will create one`);
    expect(draft.warnings.join('\n')).toMatch(
      new RegExp(`^${member}/us-east-1/broken not written: its status ROLLBACK_COMPLETE`, 'm'),
    );
  });

  it('GIVEN nothing writable WHEN drafted THEN a check failure (exit 1)', () => {
    expect(() => draftConfig({ regions: [region({ region: 'us-east-1' })] }, { taegisRegion: 'ctpx' })).toThrow(
      expect.objectContaining({ code: 'CHECK_FAILED' }) as Error,
    );
  });
});

describe('discover with denied reads (mocked AWS)', () => {
  const cfn = mockClient(CloudFormationClient);
  const lambda = mockClient(LambdaClient);
  const s3 = mockClient(S3Client);
  const summaries: StackSummary[] = [
    {
      StackName: 'lab',
      StackId: 'arn:aws:cloudformation:us-east-1:123456789012:stack/lab/1',
      StackStatus: 'UPDATE_COMPLETE',
      CreationTime: new Date(),
      TemplateDescription: vendorDescription('awscloudtrail'),
    },
    {
      StackName: 'secret-team',
      StackId: 'arn:aws:cloudformation:us-east-1:123456789012:stack/secret-team/2',
      StackStatus: 'CREATE_COMPLETE',
      CreationTime: new Date(),
    },
  ];
  beforeEach(() => {
    cfn.reset();
    lambda.reset();
    s3.reset();
  });

  it('GIVEN DescribeStacks denied on one stack, functions and bucket unreadable WHEN discovering THEN each is listed with its reason', async () => {
    cfn.on(ListStacksCommand).resolves({ StackSummaries: summaries });
    cfn.on(DescribeStacksCommand).callsFake((input: { StackName?: string }) => {
      if (input.StackName === undefined) throw denied('cloudformation:DescribeStacks on resource *');
      if (input.StackName.includes('secret-team')) throw denied('cloudformation:DescribeStacks');
      return {
        Stacks: [
          {
            StackName: 'lab',
            StackId: summaries[0]?.StackId,
            StackStatus: 'UPDATE_COMPLETE',
            CreationTime: new Date(),
            Parameters: [
              { ParameterKey: 'IntegrationType', ParameterValue: 'awscloudtrail' },
              { ParameterKey: 'NotificationBucket', ParameterValue: 'logs' },
            ],
          },
        ],
      };
    });
    cfn.on(ListStackResourcesCommand).resolves({
      StackResourceSummaries: [
        {
          LogicalResourceId: 'F',
          ResourceType: 'AWS::Lambda::Function',
          PhysicalResourceId: 'lab-scwx-tdr-lambda-awscloudtrail',
          ResourceStatus: 'UPDATE_COMPLETE',
          LastUpdatedTimestamp: new Date(),
        },
      ],
    });
    lambda.on(ListFunctionsCommand).rejects(denied('lambda:ListFunctions'));
    lambda.on(GetFunctionConfigurationCommand).rejects(denied('lambda:GetFunctionConfiguration'));
    s3.on(GetBucketNotificationConfigurationCommand).rejects(denied('s3:GetBucketNotification'));

    const report = await discover(new AwsClientFactory({ credentials: { accessKeyId: 'x', secretAccessKey: 'y' } }), {
      regions: ['us-east-1'],
    });
    const r = report.regions[0];
    expect(r?.unreadable).toEqual([
      {
        region: 'us-east-1',
        stackName: 'secret-team',
        reason: expect.stringMatching(/^AccessDenied: .*not authorized/) as unknown,
        looksLikeTaegis: false,
      },
    ]);
    expect(r?.lambdaStacks[0]).toMatchObject({
      stackName: 'lab',
      functionName: 'lab-scwx-tdr-lambda-awscloudtrail',
      notified: { state: 'unknown' },
    });
    expect(r?.lambdaStacks[0]?.runtime).toBeUndefined();
    expect(r?.lambdaStacks[0]?.problems.join()).toContain(
      'cannot read function lab-scwx-tdr-lambda-awscloudtrail: AccessDenied',
    );
    expect(r?.warnings.join()).toContain('cannot list Lambda functions');
    const text = formatDiscoverReport(report);
    expect(text).toMatch(/Stacks that could not be read: 1\n.*\n.*\nus-east-1\s+secret-team\s+unknown\s+AccessDenied/);
    expect(text).toContain(
      'us-east-1/lab: notified unknown: cannot read the notifications of bucket logs: AccessDenied',
    );
  });

  it('GIVEN ListStacks denied in a region WHEN discovering THEN the region is reported with the reason, others still read', async () => {
    cfn.on(ListStacksCommand).callsFake(async function (
      this: unknown,
      _input: unknown,
      getClient: () => CloudFormationClient,
    ) {
      const region = await getClient().config.region();
      if (region === 'eu-west-1') throw denied('cloudformation:ListStacks');
      return { StackSummaries: [] };
    });
    cfn.on(DescribeStacksCommand).resolves({ Stacks: [] });
    lambda.on(ListFunctionsCommand).resolves({ Functions: [] });
    const report = await discover(new AwsClientFactory({ credentials: { accessKeyId: 'x', secretAccessKey: 'y' } }), {
      regions: ['eu-west-1', 'us-east-1'],
    });
    expect(report.regions.map((x) => [x.region, x.error?.split(':')[0]])).toEqual([
      ['eu-west-1', 'AccessDenied'],
      ['us-east-1', undefined],
    ]);
    expect(formatDiscoverReport(report)).toMatch(/Regions that could not be read: 1/);
  });
});
