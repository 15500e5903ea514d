import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import { afterAll, describe, expect, it } from 'vitest';
import { buildApp, createApp } from '../../lib/app/app.js';
import { runAwsSolutionsChecks } from '../../lib/app/nag.js';
import { GitHubOidcStack } from '../../lib/stacks/github-oidc-stack.js';
import { parseConfig } from '../../lib/config/load.js';
import { TaegisError } from '../../lib/util/errors.js';
import { functionLogGroup } from '../../lib/monitoring/names.js';
import { EXAMPLE_CONFIG, exampleConfig, exampleRawConfig } from '../support/example.js';
import { pipelineRaw } from '../support/pipeline.js';

const outdirs: string[] = [];
afterAll(() => outdirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
const outdir = (): string => {
  const d = mkdtempSync(path.join(tmpdir(), 'taegis-github-oidc-'));
  outdirs.push(d);
  return d;
};

type Raw = Record<string, unknown>;
const github = (raw: Raw): Raw => {
  const pc = raw.pipeline as Raw;
  pc.github ??= {};
  return pc.github as Raw;
};
/** The pipeline example (123456789012: us-east-1, eu-west-1; 222222222222: us-west-2; waves canary, rest+approval). */
const withPipeline = (mutate: (raw: Raw) => void = () => {}) =>
  exampleConfig((raw) => {
    pipelineRaw(raw);
    mutate(raw);
  });
const build = (cfg: ReturnType<typeof exampleConfig>, nag = true) =>
  buildApp(cfg, { appProps: { outdir: outdir(), builtinCloudFormationValidation: false }, pipeline: false, nag });

const PROVIDER = 'token.actions.githubusercontent.com';

describe('pipeline.github.deployOidcRole: the GitHub OIDC provider and role, one stack per account', () => {
  it('GIVEN no deployOidcRole (the default) WHEN built THEN there is no TaegisGitHubOidc stack', async () => {
    const cfg = withPipeline();
    expect(cfg.pipeline?.github?.deployOidcRole ?? false).toBe(false);
    const built = await build(cfg, false);
    expect(built.githubOidc).toEqual([]);
    expect(built.app.node.children.map((c) => c.node.id).filter((id) => id.startsWith('TaegisGitHubOidc'))).toEqual([]);
  });

  it('GIVEN deployOidcRole WHEN built THEN one stack per account in its first region, trusted only by the branch and the approval wave environment, cdk-nag clean', async () => {
    const built = await build(withPipeline((raw) => (github(raw).deployOidcRole = true)));
    expect(built.githubOidc.map((s) => `${s.stackName}@${s.account}/${s.region}`)).toEqual([
      'TaegisGitHubOidc-123456789012@123456789012/us-east-1',
      'TaegisGitHubOidc-222222222222@222222222222/us-west-2',
      // The pipeline account (no target there): the deploy workflow's role, in the pipeline's region.
      'TaegisGitHubOidc-111111111111@111111111111/us-east-1',
    ]);
    expect(built.nag?.own).toEqual([]);
    const t = Template.fromStack(built.githubOidc[1]!);
    t.resourceCountIs('AWS::IAM::OIDCProvider', 1);
    t.hasResourceProperties('AWS::IAM::OIDCProvider', {
      Url: `https://${PROVIDER}`,
      ClientIdList: ['sts.amazonaws.com'],
    });
    // No Lambda-backed custom resource (the L2 provider's): nothing but the provider and the role.
    expect(
      Object.values(t.toJSON().Resources as Record<string, { Type: string }>)
        .map((r) => r.Type)
        .sort(),
    ).toEqual(['AWS::IAM::OIDCProvider', 'AWS::IAM::Role']);
    const roles = t.findResources('AWS::IAM::Role');
    const role = Object.values(roles)[0]!.Properties as {
      RoleName: string;
      AssumeRolePolicyDocument: { Statement: unknown[] };
      ManagedPolicyArns?: unknown;
      Policies: { PolicyDocument: { Statement: { Action: unknown; Resource: unknown; Sid: string }[] } }[];
    };
    expect(role.RoleName).toBe('taegis-migrate-github');
    expect(role.AssumeRolePolicyDocument.Statement).toEqual([
      {
        Effect: 'Allow',
        Action: 'sts:AssumeRoleWithWebIdentity',
        Principal: { Federated: { 'Fn::GetAtt': ['GitHubProvider', 'Arn'] } },
        Condition: {
          StringEquals: {
            [`${PROVIDER}:aud`]: 'sts.amazonaws.com',
            [`${PROVIDER}:sub`]: [
              'repo:acme/taegis-migration:ref:refs/heads/main',
              'repo:acme/taegis-migration:environment:taegis-rest',
            ],
          },
        },
      },
    ]);
    expect(role.ManagedPolicyArns).toBeUndefined();
    const partition = { Ref: 'AWS::Partition' };
    expect(role.Policies.flatMap((p) => p.PolicyDocument.Statement)).toEqual([
      {
        Sid: 'AssumeCdkBootstrapRoles',
        Effect: 'Allow',
        Action: 'sts:AssumeRole',
        Resource: {
          'Fn::Join': ['', ['arn:', partition, ':iam::222222222222:role/cdk-hnb659fds-*-222222222222-*']],
        },
      },
      {
        Sid: 'AssumeVerifyRole',
        Effect: 'Allow',
        Action: 'sts:AssumeRole',
        Resource: { 'Fn::Join': ['', ['arn:', partition, ':iam::222222222222:role/taegis-migrate-verify']] },
      },
    ]);
    const text = JSON.stringify(t.toJSON());
    expect(text).not.toMatch(/"Action":"\*"|"Action":\["\*"\]|AdministratorAccess|"Resource":"\*"/);
  });

  it('GIVEN deployOidcRole WHEN built THEN the pipeline account’s role may assume, in any account, only the tagged CDK bootstrap roles and the verify role, for 6 h sessions; a target account’s role reaches its own roles only', async () => {
    const built = await build(withPipeline((raw) => (github(raw).deployOidcRole = true)));
    expect(built.nag?.own).toEqual([]);
    const roleOf = (i: number) =>
      Object.values(Template.fromStack(built.githubOidc[i]!).findResources('AWS::IAM::Role'))[0]!.Properties as {
        MaxSessionDuration?: number;
        Policies: { PolicyDocument: { Statement: unknown[] } }[];
      };
    const pipelineRole = roleOf(2);
    expect(built.githubOidc[2]!.account).toBe('111111111111');
    expect(pipelineRole.MaxSessionDuration).toBe(21600);
    const partition = { Ref: 'AWS::Partition' };
    expect(pipelineRole.Policies.flatMap((p) => p.PolicyDocument.Statement)).toEqual([
      {
        Sid: 'AssumeCdkBootstrapRoles',
        Effect: 'Allow',
        Action: 'sts:AssumeRole',
        Resource: { 'Fn::Join': ['', ['arn:', partition, ':iam::*:role/cdk-hnb659fds-*']] },
        Condition: {
          'ForAnyValue:StringEquals': {
            'iam:ResourceTag/aws-cdk:bootstrap-role': ['deploy', 'file-publishing', 'lookup'],
          },
        },
      },
      {
        Sid: 'AssumeVerifyRole',
        Effect: 'Allow',
        Action: 'sts:AssumeRole',
        Resource: { 'Fn::Join': ['', ['arn:', partition, ':iam::*:role/taegis-migrate-verify']] },
      },
    ]);
    // The target accounts' roles (the drift workflow's) keep the 1 h default and their own account's roles.
    expect(roleOf(1).MaxSessionDuration).toBeUndefined();
    expect(JSON.stringify(roleOf(1).Policies)).not.toContain(':iam::*:');
  });

  it('GIVEN the bootstrap qualifier in the context, accessRole and a role name WHEN built THEN the role assumes that qualifier’s roles and the verify role, which trusts it back', async () => {
    const cfg = withPipeline((raw) => {
      Object.assign(github(raw), { deployOidcRole: true, roleName: 'gh-deployer' });
      raw.accessRole = { trustedPrincipalArn: 'arn:aws:iam::111111111111:role/ops' };
    });
    const app = createApp({
      outdir: outdir(),
      builtinCloudFormationValidation: false,
      context: { '@aws-cdk/core:bootstrapQualifier': 'acme12345' },
    });
    const built = await buildApp(cfg, { app, pipeline: false });
    expect(built.nag?.own).toEqual([]);
    const t = Template.fromStack(built.githubOidc[0]!);
    const text = JSON.stringify(t.toJSON());
    expect(text).toContain(':iam::123456789012:role/cdk-acme12345-*-123456789012-*');
    expect(text).toContain(':iam::123456789012:role/TaegisMigrateVerify"');
    t.hasResourceProperties('AWS::IAM::Role', { RoleName: 'gh-deployer' });
    const access = Template.fromStack(built.access[0]!);
    access.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            // cdk.json's @aws-cdk/aws-iam:minimizePolicies merges the trusted principals into one statement.
            Principal: {
              AWS: Match.arrayWith([
                { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::123456789012:role/gh-deployer']] },
              ]),
            },
          }),
        ]),
      },
    });
    // ... and the pipeline account's GitHub role, which runs the deploy workflow's verify steps.
    access.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Principal: {
              AWS: Match.arrayWith([
                { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::111111111111:role/gh-deployer']] },
              ]),
            },
          }),
        ]),
      },
    });
    // The GitHub roles must exist before a trust policy may name them.
    expect(built.access[0]!.dependencies).toContain(built.githubOidc[0]);
    expect(built.githubOidc[2]!.account).toBe('111111111111');
    expect(built.access[0]!.dependencies).toContain(built.githubOidc[2]);
  });

  it('GIVEN oidcProviderArn WHEN built THEN no provider is created and each account trusts its own provider of that URL', async () => {
    const built = await build(
      withPipeline((raw) =>
        Object.assign(github(raw), {
          deployOidcRole: true,
          oidcProviderArn: `arn:aws:iam::123456789012:oidc-provider/${PROVIDER}`,
        }),
      ),
    );
    expect(built.nag?.own).toEqual([]);
    for (const [stack, account] of [
      [built.githubOidc[0]!, '123456789012'],
      [built.githubOidc[1]!, '222222222222'],
    ] as const) {
      const t = Template.fromStack(stack);
      t.resourceCountIs('AWS::IAM::OIDCProvider', 0);
      t.hasResourceProperties('AWS::IAM::Role', {
        AssumeRolePolicyDocument: {
          Statement: [
            Match.objectLike({ Principal: { Federated: `arn:aws:iam::${account}:oidc-provider/${PROVIDER}` } }),
          ],
        },
      });
    }
  });

  it('GIVEN artifactsSource WHEN built THEN the role may also read exactly the vendor files', async () => {
    const sha = {
      'taegis-lambda-amd64.zip': 'a',
      'taegis-cloudformation-shared-resources.yaml': 'b',
      'taegis-cloudformation-lambda-template.yaml': 'c',
    };
    const built = await build(
      withPipeline((raw) => {
        github(raw).deployOidcRole = true;
        (raw.pipeline as Raw).artifactsSource = {
          bucket: 'vendor-drop',
          prefix: 'taegis/',
          sha256: Object.fromEntries(Object.entries(sha).map(([f, c]) => [f, c.repeat(64)])),
        };
      }),
    );
    expect(built.nag?.own).toEqual([]);
    const t = Template.fromStack(built.githubOidc[0]!);
    t.hasResourceProperties('AWS::IAM::Role', {
      Policies: [
        {
          PolicyDocument: {
            Statement: Match.arrayWith([
              {
                Sid: 'ReadVendorFiles',
                Effect: 'Allow',
                Action: 's3:GetObject',
                Resource: Object.keys(sha)
                  .sort()
                  .map((f) => `arn:aws:s3:::vendor-drop/taegis/${f}`),
              },
            ]),
          },
        },
      ],
    });
  });

  it('GIVEN monitoring WHEN built THEN the role may also create exactly the log groups deploy makes for the monitored functions', async () => {
    const built = await build(
      withPipeline((raw) => {
        github(raw).deployOidcRole = true;
        raw.monitoring = {};
      }),
    );
    expect(built.nag?.own).toEqual([]);
    const t = Template.fromStack(built.githubOidc[1]!);
    const statements = (
      Object.values(t.findResources('AWS::IAM::Role'))[0]!.Properties as {
        Policies: { PolicyDocument: { Statement: { Sid: string; Action: unknown; Resource: unknown }[] } }[];
      }
    ).Policies[0]!.PolicyDocument.Statement;
    const logs = statements.find((st) => st.Sid === 'CreateMonitoredFunctionLogGroups')!;
    expect(logs.Action).toBe('logs:CreateLogGroup');
    const resources = JSON.stringify(logs.Resource);
    expect(resources).toBe(
      JSON.stringify({
        'Fn::Join': [
          '',
          [
            'arn:',
            { Ref: 'AWS::Partition' },
            ':logs:us-west-2:222222222222:log-group:/aws/lambda/w2-trail-lambda-scwx-tdr-lambda-*',
          ],
        ],
      }),
    );
    // Every log group deploy would create in this account matches the grant.
    const monitored = built.regions
      .filter((r) => r.account === '222222222222')
      .flatMap((r) => r.monitoring!.functions.map((f) => functionLogGroup(f.functionName)));
    expect(monitored.length).toBeGreaterThan(0);
    for (const g of monitored) expect(g).toMatch(/^\/aws\/lambda\/w2-trail-lambda-scwx-tdr-lambda-.+/);
  });

  it('GIVEN the stack with a wider grant added WHEN cdk-nag runs THEN it finds it: the acknowledgement covers only the bootstrap roles', () => {
    const app = createApp({ outdir: outdir() });
    const stack = new GitHubOidcStack(app, 'TaegisGitHubOidc-123456789012', {
      env: { account: '123456789012', region: 'us-east-1' },
      repository: 'acme/x',
      branch: 'main',
      environments: [],
      roleName: 'gh',
      verifyRoleName: 'verify',
    });
    expect(runAwsSolutionsChecks([stack]).own).toEqual([]);
    const app2 = createApp({ outdir: outdir() });
    const wider = new GitHubOidcStack(app2, 'TaegisGitHubOidc-123456789012', {
      env: { account: '123456789012', region: 'us-east-1' },
      repository: 'acme/x',
      branch: 'main',
      environments: [],
      roleName: 'gh',
      verifyRoleName: 'verify',
    });
    wider.role.addToPolicy(
      new iam.PolicyStatement({ actions: ['sts:AssumeRole'], resources: ['arn:aws:iam::123456789012:role/*'] }),
    );
    expect(runAwsSolutionsChecks([wider]).own.map((f) => f.ruleId)).toEqual([
      'AwsSolutions-IAM5[Resource::arn:aws:iam::123456789012:role/*]',
    ]);
  });
});

describe('pipeline.github bad input: exit 2 naming the field', () => {
  it.each([
    ['a user ARN', 'arn:aws:iam::123456789012:user/someone'],
    ['another URL’s provider', 'arn:aws:iam::123456789012:oidc-provider/gitlab.com'],
    ['no account', `arn:aws:iam:::oidc-provider/${PROVIDER}`],
  ])('GIVEN oidcProviderArn as %s THEN parseConfig rejects it with the fix', (_name, arn) => {
    const raw = exampleRawConfig();
    pipelineRaw(raw);
    Object.assign(github(raw), { deployOidcRole: true, oidcProviderArn: arn });
    let error: unknown;
    try {
      parseConfig(raw, EXAMPLE_CONFIG);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(TaegisError);
    expect((error as TaegisError).exitCode).toBe(2);
    const problems = (error as TaegisError).problems.map((p) => `${p.path}: ${p.message}`);
    expect(problems).toEqual([
      expect.stringMatching(/^pipeline\.github\.oidcProviderArn: is not the ARN of a GitHub OIDC provider/),
    ]);
    expect(String((error as TaegisError).problems[0]!.fix ?? (error as Error).message)).toContain(
      'oidc-provider/token.actions.githubusercontent.com',
    );
  });

  it('GIVEN deployOidcRole as a string THEN parseConfig rejects it', () => {
    const raw = exampleRawConfig();
    pipelineRaw(raw);
    github(raw).deployOidcRole = 'yes';
    expect(() => parseConfig(raw, EXAMPLE_CONFIG)).toThrow(TaegisError);
  });
});
