import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import {
  CloudFormationClient,
  CreateChangeSetCommand,
  DeleteChangeSetCommand,
  DescribeChangeSetCommand,
  DescribeStacksCommand,
  GetTemplateCommand,
} from '@aws-sdk/client-cloudformation';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { findStack, readAssembly } from '../../lib/plan/assembly.js';
import { changeSetName, changeSetParameters, planStack } from '../../lib/plan/changeset.js';

const cfnMock = mockClient(CloudFormationClient);
const dir = mkdtempSync(path.join(tmpdir(), 'taegis-plan-unit-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const SYNTHESIZED = {
  Parameters: {
    BootstrapVersion: { Type: 'AWS::SSM::Parameter::Value<String>', Default: '/cdk-bootstrap/hnb659fds/version' },
    EnableObjectTagging: { Type: 'String', Default: 'false' },
  },
  Resources: { F: { Type: 'AWS::Lambda::Function', Properties: {} } },
  Rules: { CheckBootstrapVersion: { Assertions: [] } },
};

function templateFile(name: string, body: unknown): string {
  const file = path.join(dir, name);
  writeFileSync(file, typeof body === 'string' ? body : JSON.stringify(body));
  return file;
}

const input = (templateFile: string) => ({
  region: 'us-east-1',
  stackName: 'lab',
  account: '123456789012',
  templateFile,
});
const FAST = { pollMs: 1, timeoutMs: 1000 };

describe('planStack with a mocked CloudFormation', () => {
  beforeEach(() => {
    cfnMock.reset();
    cfnMock.on(DescribeStacksCommand).resolves({
      Stacks: [{ StackName: 'lab', StackStatus: 'UPDATE_COMPLETE', CreationTime: new Date(), Parameters: [] }],
    });
    cfnMock.on(GetTemplateCommand).resolves({ TemplateBody: '{}' });
    cfnMock.on(DeleteChangeSetCommand).resolves({});
  });

  it('GIVEN an unbootstrapped region WHEN the change set is created THEN the error names cdk bootstrap, and cleanup is attempted', async () => {
    cfnMock
      .on(CreateChangeSetCommand)
      .rejects(
        Object.assign(
          new Error(
            'Unable to fetch parameters [/cdk-bootstrap/hnb659fds/version] from parameter store for this account.',
          ),
          { name: 'ValidationError' },
        ),
      );
    cfnMock
      .on(DeleteChangeSetCommand)
      .rejects(Object.assign(new Error('ChangeSet [x] does not exist'), { name: 'ChangeSetNotFoundException' }));
    const result = await planStack(
      new CloudFormationClient({ region: 'us-east-1' }),
      input(templateFile('b.json', SYNTHESIZED)),
      FAST,
    );
    expect(result).toMatchObject({ state: 'error', changeSetDeleted: true });
    expect(result.fix).toContain('npx cdk bootstrap aws://123456789012/us-east-1');
    expect(cfnMock.commandCalls(DeleteChangeSetCommand)).toHaveLength(1);
  });

  it('GIVEN a change set that fails with "no changes" WHEN planned THEN it is no-changes (pass) and deleted', async () => {
    cfnMock.on(CreateChangeSetCommand).resolves({ Id: 'arn:cs' });
    cfnMock.on(DescribeChangeSetCommand).resolvesOnce({ Status: 'CREATE_PENDING' }).resolves({
      Status: 'FAILED',
      StatusReason:
        "The submitted information didn't contain changes. Submit different information to create a change set.",
    });
    const result = await planStack(
      new CloudFormationClient({ region: 'us-east-1' }),
      input(templateFile('n.json', SYNTHESIZED)),
      FAST,
    );
    expect(result).toMatchObject({ state: 'no-changes', changeSetDeleted: true, findings: [] });
    const create = cfnMock.commandCalls(CreateChangeSetCommand)[0]?.args[0].input;
    expect(create?.ChangeSetType).toBe('UPDATE');
    // Parameters the stack does not have yet get the template's default, passed explicitly.
    expect(create?.Parameters).toEqual([
      { ParameterKey: 'BootstrapVersion', ParameterValue: '/cdk-bootstrap/hnb659fds/version' },
      { ParameterKey: 'EnableObjectTagging', ParameterValue: 'false' },
    ]);
    expect(cfnMock.commandCalls(DeleteChangeSetCommand)[0]?.args[0].input).toEqual({
      StackName: 'lab',
      ChangeSetName: create?.ChangeSetName,
    });
  });

  it('GIVEN a change set whose changes span three pages WHEN planned THEN every page is read, each from the token of the one before', async () => {
    cfnMock.on(CreateChangeSetCommand).resolves({ Id: 'arn:cs' });
    const change = (id: string) => ({
      Type: 'Resource' as const,
      ResourceChange: { Action: 'Modify' as const, LogicalResourceId: id, ResourceType: 'AWS::Lambda::Function' },
    });
    // Recorded at call time: the SDK paginator reuses one input object from page to page.
    const tokens: (string | undefined)[] = [];
    cfnMock.on(DescribeChangeSetCommand).callsFake((req: { NextToken?: string }) => {
      tokens.push(req.NextToken);
      if (req.NextToken === undefined) return { Status: 'CREATE_COMPLETE', Changes: [change('A')], NextToken: 't2' };
      if (req.NextToken === 't2') return { Status: 'CREATE_COMPLETE', Changes: [change('B')], NextToken: 't3' };
      return { Status: 'CREATE_COMPLETE', Changes: [change('C')] };
    });
    const result = await planStack(
      new CloudFormationClient({ region: 'us-east-1' }),
      input(templateFile('p.json', SYNTHESIZED)),
      FAST,
    );
    expect(tokens).toEqual([undefined, 't2', 't3']);
    expect(result.changes.map((c) => c.logicalResourceId)).toEqual(['A', 'B', 'C']);
  });

  it('GIVEN a stack that set a defaulted vendor parameter WHEN planned THEN its value is kept as the deploy keeps it; with previousParameters false THEN the default', async () => {
    // A console-made stack with EnableObjectTagging=true: cdk deploy and npm run deploy keep "true" (previous
    // parameters are their default), so a plan that sent the default "false" would show a change the deploy never makes.
    cfnMock.on(DescribeStacksCommand).resolves({
      Stacks: [
        {
          StackName: 'lab',
          StackStatus: 'CREATE_COMPLETE',
          CreationTime: new Date(),
          Parameters: [
            { ParameterKey: 'EnableObjectTagging', ParameterValue: 'true' },
            { ParameterKey: 'S3BucketName', ParameterValue: 'old-code' },
          ],
        },
      ],
    });
    cfnMock.on(CreateChangeSetCommand).resolves({ Id: 'arn:cs' });
    cfnMock.on(DescribeChangeSetCommand).resolves({ Status: 'CREATE_COMPLETE', Changes: [] });
    const cfn = new CloudFormationClient({ region: 'us-east-1' });
    const file = templateFile('prev.json', SYNTHESIZED);

    await planStack(cfn, input(file), FAST);
    expect(cfnMock.commandCalls(CreateChangeSetCommand)[0]?.args[0].input.Parameters).toEqual([
      { ParameterKey: 'BootstrapVersion', ParameterValue: '/cdk-bootstrap/hnb659fds/version' },
      { ParameterKey: 'EnableObjectTagging', UsePreviousValue: true },
    ]);

    await planStack(cfn, input(file), { ...FAST, previousParameters: false });
    expect(cfnMock.commandCalls(CreateChangeSetCommand)[1]?.args[0].input.Parameters).toEqual([
      { ParameterKey: 'BootstrapVersion', ParameterValue: '/cdk-bootstrap/hnb659fds/version' },
      { ParameterKey: 'EnableObjectTagging', ParameterValue: 'false' },
    ]);
  });

  it('GIVEN a template over 51,200 bytes WHEN planned THEN a clear error and no change set', async () => {
    const big = { ...SYNTHESIZED, Metadata: { padding: 'x'.repeat(52_000) } };
    const result = await planStack(
      new CloudFormationClient({ region: 'us-east-1' }),
      input(templateFile('big.json', big)),
      FAST,
    );
    expect(result.state).toBe('error');
    expect(result.error).toMatch(
      /is \d+ bytes \(without whitespace\); CloudFormation takes at most 51200 bytes inline/,
    );
    expect(result.fix).toContain('cdk diff');
    expect(cfnMock.commandCalls(CreateChangeSetCommand)).toHaveLength(0);
  });

  it('GIVEN an indented template over the limit that fits without whitespace WHEN planned THEN it is sent minified', async () => {
    cfnMock.on(CreateChangeSetCommand).resolves({ Id: 'arn:cs' });
    cfnMock.on(DescribeChangeSetCommand).resolves({ Status: 'CREATE_COMPLETE', Changes: [] });
    const wide = { ...SYNTHESIZED, Metadata: { padding: Array.from({ length: 3000 }, (_, i) => i) } };
    const file = templateFile('wide.json', JSON.stringify(wide, null, 8));
    expect(readFileSync(file).length).toBeGreaterThan(51_200);
    const result = await planStack(new CloudFormationClient({ region: 'us-east-1' }), input(file), FAST);
    expect(result.state).toBe('no-changes');
    expect(cfnMock.commandCalls(CreateChangeSetCommand)[0]?.args[0].input.TemplateBody).toBe(JSON.stringify(wide));
  });

  it('GIVEN the change set cannot be deleted WHEN planned THEN the stack fails with the command to delete it', async () => {
    cfnMock.on(CreateChangeSetCommand).resolves({ Id: 'arn:cs' });
    cfnMock.on(DescribeChangeSetCommand).resolves({ Status: 'CREATE_COMPLETE', Changes: [] });
    cfnMock.on(DeleteChangeSetCommand).rejects(Object.assign(new Error('denied'), { name: 'AccessDenied' }));
    const result = await planStack(
      new CloudFormationClient({ region: 'us-east-1' }),
      input(templateFile('d.json', SYNTHESIZED)),
      FAST,
    );
    expect(result).toMatchObject({ state: 'error', changeSetDeleted: false });
    expect(result.fix).toMatch(
      /aws cloudformation delete-change-set --stack-name lab --change-set-name taegis-plan-\S+ --region us-east-1/,
    );
  });

  it('GIVEN a parameter without default WHEN the stack has it THEN the previous value is kept; WHEN not THEN it is reported', () => {
    const t = {
      Parameters: {
        A: { Type: 'String' },
        B: { Type: 'String' },
        C: { Type: 'CommaDelimitedList', Default: ['x', 'y'] },
      },
    };
    expect(changeSetParameters(t, new Set(['A']))).toEqual({
      parameters: [
        { ParameterKey: 'A', UsePreviousValue: true },
        { ParameterKey: 'C', ParameterValue: 'x,y' },
      ],
      missing: ['B'],
    });
    expect(changeSetParameters(t, new Set(['A', 'C']), false)).toEqual({
      parameters: [{ ParameterKey: 'C', ParameterValue: 'x,y' }],
      missing: ['A', 'B'],
    });
    expect(changeSetName(new Date('2026-11-23T12:34:56Z'))).toMatch(/^taegis-plan-20261123123456-[0-9a-f]{6}$/);
  });
});

describe('reading a cloud assembly', () => {
  it('GIVEN stacks in nested and top-level assemblies WHEN read THEN each maps to its stack name, region and template', () => {
    const asm = path.join(dir, 'asm');
    mkdirSync(path.join(asm, 'assembly-Stage'), { recursive: true });
    writeFileSync(
      path.join(asm, 'manifest.json'),
      JSON.stringify({
        version: '48.0.0',
        artifacts: {
          'TaegisLambda-us-east-1-lab': {
            type: 'aws:cloudformation:stack',
            environment: 'aws://123456789012/us-east-1',
            properties: { templateFile: 'a.template.json', stackName: 'lab' },
          },
          Agnostic: {
            type: 'aws:cloudformation:stack',
            environment: 'aws://unknown-account/unknown-region',
            properties: { templateFile: 'g.template.json', stackName: 'other' },
          },
          Stage: { type: 'cdk:cloud-assembly', properties: { directoryName: 'assembly-Stage' } },
          Tree: { type: 'cdk:tree', properties: { file: 'tree.json' } },
        },
      }),
    );
    writeFileSync(
      path.join(asm, 'assembly-Stage', 'manifest.json'),
      JSON.stringify({
        // Every manifest the CDK writes carries its schema version; the CDK's reader requires it.
        version: '48.0.0',
        artifacts: {
          S: {
            type: 'aws:cloudformation:stack',
            environment: 'aws://123456789012/eu-west-1',
            properties: { templateFile: 's.template.json', stackName: 'lab' },
          },
        },
      }),
    );
    const stacks = readAssembly(asm);
    expect(stacks.map((s) => [s.stackName, s.region, path.relative(asm, s.templateFile)])).toEqual([
      ['lab', 'us-east-1', 'a.template.json'],
      ['other', undefined, 'g.template.json'],
      ['lab', 'eu-west-1', path.join('assembly-Stage', 's.template.json')],
    ]);
    expect(findStack(stacks, 'eu-west-1', 'lab')?.artifactId).toBe('S');
    expect(findStack(stacks, 'ap-south-1', 'other')?.artifactId).toBe('Agnostic');
    expect(findStack(stacks, 'ap-south-1', 'lab')).toBeUndefined();
    expect(() => readAssembly(path.join(dir, 'nope'))).toThrow(/is not a cloud assembly/);
  });
});

describe('plan input validation (before any AWS call)', () => {
  it('GIVEN a missing config, a bad config or an unconfigured region WHEN planning THEN exit-2 errors and no AWS call', async () => {
    const { planMain } = await import('../../lib/commands/plan.js');
    const { AwsClientFactory } = await import('../../lib/aws/clients.js');
    const calls: string[] = [];
    const deps = { clients: new AwsClientFactory({ onRequest: (r) => calls.push(r.operation) }), out: () => {} };
    await expect(planMain(['--config', path.join(dir, 'absent.json')], deps)).rejects.toMatchObject({
      code: 'CONFIG_NOT_FOUND',
      exitCode: 2,
    });
    const bad = templateFile('bad-config.json', {
      taegisRegion: 'ctpx',
      regions: [{ region: 'us-east-1', account: '12', lambdaStacks: [] }],
    });
    await expect(planMain(['--config', bad], deps)).rejects.toMatchObject({ code: 'CONFIG_INVALID', exitCode: 2 });
    const good = templateFile('good-config.json', {
      taegisRegion: 'ctpx',
      regions: [{ region: 'us-east-1', account: '123456789012', lambdaStacks: [] }],
    });
    await expect(planMain(['--config', good, '--region', 'eu-west-1'], deps)).rejects.toMatchObject({
      code: 'INPUT_INVALID',
      exitCode: 2,
    });
    await expect(planMain(['--config', good, '--bogus'], deps)).rejects.toMatchObject({
      code: 'INPUT_INVALID',
      exitCode: 2,
    });
    await expect(planMain(['--config', good, '--assembly', path.join(dir, 'no-such-dir')], deps)).rejects.toMatchObject(
      { code: 'INPUT_INVALID' },
    );
    expect(calls).toEqual([]);
  });

  it('GIVEN vendor files the app rejects WHEN planning THEN the app own bad-input error (exit 2) names them, and no AWS call', async () => {
    const { planMain } = await import('../../lib/commands/plan.js');
    const { AwsClientFactory } = await import('../../lib/aws/clients.js');
    const calls: string[] = [];
    // Schema-valid, so plan's own check passes; the app then finds no vendor files in artifactsDir.
    const good = templateFile('synth-config.json', {
      taegisRegion: 'ctpx',
      artifactsDir: './no-vendor-files-here',
      regions: [
        {
          region: 'us-east-1',
          account: '123456789012',
          lambdaStacks: [{ stackName: 'lab', integrationType: 'awscloudtrail', notificationBucket: 'lab-logs' }],
        },
      ],
    });
    await expect(
      planMain(['--config', good], {
        clients: new AwsClientFactory({ onRequest: (r) => calls.push(r.operation) }),
        out: () => {},
        env: { ...process.env, CDK_DISABLE_VERSION_CHECK: '1', CDK_DISABLE_CLI_TELEMETRY: '1' },
      }),
    ).rejects.toMatchObject({
      code: 'ARTIFACT_INVALID',
      exitCode: 2,
      message: expect.stringContaining('nothing was changed') as unknown,
    });
    expect(calls).toEqual([]);
  });
});
