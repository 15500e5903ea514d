import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { afterAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../lib/app/app.js';
import { defaultStackPatterns } from '../../lib/deploy/engine.js';
import { deployMain } from '../../lib/commands/deploy.js';
import { exampleConfig } from '../support/example.js';

const outdirs: string[] = [];
afterAll(() => outdirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
const outdir = (): string => {
  const d = mkdtempSync(path.join(tmpdir(), 'taegis-app-accounts-'));
  outdirs.push(d);
  return d;
};

/** The example config with its us-east-1 entry copied into a second account. */
const twoAccounts = () =>
  exampleConfig((raw) => {
    const regions = raw.regions as Record<string, unknown>[];
    regions.push({ ...regions[0]!, account: '222222222222' });
    raw.access = { roleName: 'TaegisMigrateVerify' };
  });

describe('a config that spans several accounts', () => {
  it('GIVEN us-east-1 in two accounts WHEN built THEN every id carries the account and each stack has its env', async () => {
    const built = await buildApp(twoAccounts(), { appProps: { outdir: outdir() }, nag: false });
    const ids = built.app.node.children.map((c) => c.node.id).sort();
    expect(ids).toEqual([
      'TaegisLambda-123456789012-eu-west-1-lab-vpc-lambda',
      'TaegisLambda-123456789012-us-east-1-lab-alb-lambda',
      'TaegisLambda-123456789012-us-east-1-lab-network-lambda',
      'TaegisLambda-222222222222-us-east-1-lab-alb-lambda',
      'TaegisLambda-222222222222-us-east-1-lab-network-lambda',
      'TaegisShared-123456789012-eu-west-1',
      'TaegisShared-123456789012-us-east-1',
      'TaegisShared-222222222222-us-east-1',
      'TaegisStaging-123456789012-eu-west-1',
      'TaegisStaging-123456789012-us-east-1',
      'TaegisStaging-222222222222-us-east-1',
    ]);
    const member = built.regions.find((r) => r.account === '222222222222')!;
    for (const s of [member.staging, member.shared, ...member.lambdas]) expect(s.account).toBe('222222222222');
    // CloudFormation names stay what they are in every account.
    expect(member.staging.stackName).toBe('TaegisStaging-us-east-1');
    expect(member.lambdas.map((l) => l.stackName)).toEqual(['lab-network-lambda', 'lab-alb-lambda']);
  });

  it('GIVEN -c account=222222222222 WHEN built THEN only that account is in the app, with the same ids as unfiltered', async () => {
    const built = await buildApp(twoAccounts(), {
      appProps: { outdir: outdir() },
      nag: false,
      accounts: ['222222222222'],
    });
    expect(built.app.node.children.map((c) => c.node.id).sort()).toEqual([
      'TaegisLambda-222222222222-us-east-1-lab-alb-lambda',
      'TaegisLambda-222222222222-us-east-1-lab-network-lambda',
      'TaegisShared-222222222222-us-east-1',
      'TaegisStaging-222222222222-us-east-1',
    ]);
  });

  it('GIVEN -c account= with an unknown account WHEN built THEN bad input naming it and the configured ones', async () => {
    await expect(
      buildApp(twoAccounts(), { appProps: { outdir: outdir() }, nag: false, accounts: ['123456789012,999999999999'] }),
    ).rejects.toMatchObject({
      code: 'INPUT_INVALID',
      exitCode: 2,
      message: expect.stringContaining('account 999999999999 is not in') as unknown,
    });
  });

  it('GIVEN a single-account config WHEN built THEN the ids are the ones of today', async () => {
    const built = await buildApp(exampleConfig(), { appProps: { outdir: outdir() }, nag: false });
    expect(built.app.node.children.map((c) => c.node.id)).toContain('TaegisLambda-us-east-1-lab-alb-lambda');
    expect(built.app.node.children.map((c) => c.node.id)).toContain('TaegisStaging-us-east-1');
  });

  it('GIVEN accessRole WHEN built THEN exactly one TaegisAccess-<account> per account, trusted by the named principal, scoped to the configured stacks, and cdk-nag clean', async () => {
    const cfg = exampleConfig((raw) => {
      const regions = raw.regions as Record<string, unknown>[];
      regions.push({ ...regions[0]!, account: '222222222222' });
      raw.access = { roleName: 'TaegisMigrateVerify', externalId: 'ext-42' };
      raw.accessRole = { trustedPrincipalArn: 'arn:aws:iam::123456789012:role/ci-deployer' };
    });
    const built = await buildApp(cfg, { appProps: { outdir: outdir(), builtinCloudFormationValidation: false } });
    expect(built.access.map((s) => `${s.node.id}@${s.region}`)).toEqual([
      'TaegisAccess-123456789012@us-east-1',
      'TaegisAccess-222222222222@us-east-1',
    ]);
    expect(built.nag?.own).toEqual([]);
    const t = Template.fromStack(built.access[1]!);
    t.resourceCountIs('AWS::IAM::Role', 1);
    t.hasResourceProperties('AWS::IAM::Role', {
      RoleName: 'TaegisMigrateVerify',
      AssumeRolePolicyDocument: {
        Statement: [
          Match.objectLike({
            Principal: { AWS: 'arn:aws:iam::123456789012:role/ci-deployer' },
            Condition: { StringEquals: { 'sts:ExternalId': 'ext-42' } },
          }),
        ],
      },
    });
    const policy = JSON.stringify(t.toJSON());
    // Only the member's own stacks and buckets; never a bare "*".
    expect(policy).toContain('stack/lab-network-lambda/*');
    expect(policy).toContain('arn:",{"Ref":"AWS::Partition"},":s3:::lab-cloudtrail-logs');
    expect(policy).not.toContain('lab-vpc-lambda');
    expect(policy).not.toMatch(/"Resource":"\*"/);
    expect(policy).toContain(':222222222222:');
    expect(policy).not.toContain(':123456789012:stack');
    // The SNS topic of lab-alb-lambda is in 123456789012: its own account's role reads it, not this one.
    expect(policy).not.toContain(':sns:');
    const own = JSON.stringify(Template.fromStack(built.access[0]!).toJSON());
    expect(own).toContain(
      '"Action":["sns:GetTopicAttributes","sns:ListSubscriptionsByTopic","sns:Subscribe"],"Effect":"Allow","Resource":"arn:aws:sns:us-east-1:123456789012:lab-alb-logs-events","Sid":"CheckAndSubscribeConfiguredTopics"',
    );
  });
});

describe('deploy --account-stacks: the per-account stacks in the default selection', () => {
  it('GIVEN accessRole and a selection of one region WHEN include or skip THEN the regional stacks either way, TaegisAccess only with include', async () => {
    const cfg = exampleConfig((raw) => {
      raw.accessRole = { trustedPrincipalArn: 'arn:aws:iam::123456789012:role/ci-deployer' };
    });
    const built = await buildApp(cfg, { appProps: { outdir: outdir() }, nag: false, regions: ['eu-west-1'] });
    const regional = ['TaegisStaging-eu-west-1', 'TaegisShared-eu-west-1', 'TaegisLambda-eu-west-1-lab-vpc-lambda'];
    expect(defaultStackPatterns(built)).toEqual([...regional, 'TaegisAccess-123456789012']);
    expect(defaultStackPatterns(built, 'include')).toEqual(defaultStackPatterns(built));
    expect(defaultStackPatterns(built, 'skip')).toEqual(regional);
  });

  it.each([
    [['--account-stacks', 'sometimes'], /"sometimes" is not one of include, skip/],
    [['--account-stacks', 'skip', '--stack', 'TaegisShared-*'], /--stack replaces that selection/],
  ])('GIVEN deploy %j THEN exit 2 before the config is even read', async (args, message) => {
    const err = await deployMain(['--config', '/nonexistent/taegis.config.json', ...args], {
      out: () => undefined,
    }).catch((e: unknown) => e);
    expect(err).toMatchObject({ exitCode: 2 });
    expect(((err as { problems?: { message: string }[] }).problems ?? []).map((p) => p.message).join('\n')).toMatch(
      message,
    );
  });
});
