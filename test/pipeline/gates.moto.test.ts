import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../lib/app/app.js';
import { loadConfig } from '../../lib/config/load.js';
import { assumeRoleProfile, REPORTS_DIR, targetSlug, verifyCommand } from '../../lib/pipeline/commands.js';
import { GATE_PROFILE } from '../../lib/pipeline/pipeline-stack.js';
import { ROOT } from '../support/example.js';
import { MOTO_ACCOUNT, startMoto, type Moto } from '../support/moto.js';
import { vendorArtifacts } from '../support/real-app.js';
import { run } from '../support/run.js';
import { seedMixed } from '../support/verify-seed.js';

// plan and verify for one target as a CI step runs them (verify: the drift watch's exact line from
// lib/pipeline/commands.ts), in a shell, from a checkout of the repository, with an AWS profile that assumes the target
// account's role (moto's STS answers the AssumeRole). Only credential_source differs: CodeBuild's container
// credentials become the environment's.

type Target = { readonly account: string; readonly region: string };

/** `npm run plan` for one target, as `ci shard` plans it. */
const planCommand = (configFile: string, t: Target, extra: readonly string[] = []): string =>
  [
    'npm run plan --',
    `--config ${configFile}`,
    `--account ${t.account}`,
    `--region ${t.region}`,
    `--json ${REPORTS_DIR}/plan-${targetSlug(t)}.json`,
    ...extra,
  ].join(' ');

/** The step fails with the command's own exit code, after the shell went on to the end (its reports are kept). */
const keepExitCode = (command: string): string => `rc=0; ${command} || rc=$?; echo "gate exit code: $rc"; exit $rc`;

const WEST = { account: MOTO_ACCOUNT, region: 'us-west-2' };
const EAST = { account: MOTO_ACCOUNT, region: 'us-east-1' };

describe('the pipeline gates (plan, verify for one target) against moto: exit codes end to end', () => {
  let moto: Moto;
  let dir: string;
  let checkout: string;
  let env: NodeJS.ProcessEnv;

  /** Runs one gate command line in the checkout like the CodeBuild step: profile, then the command keeping its code. */
  const gate = (command: string, role = 'taegis-migrate-verify') =>
    run(
      'bash',
      [
        '-c',
        [
          assumeRoleProfile(GATE_PROFILE, `arn:aws:iam::${MOTO_ACCOUNT}:role/${role}`).replace(
            'credential_source = EcsContainer',
            'credential_source = Environment',
          ),
          `mkdir -p ${REPORTS_DIR}`,
          keepExitCode(command),
        ].join(' && '),
      ],
      { cwd: checkout, env, timeoutMs: 180_000 },
    );

  beforeAll(async () => {
    moto = await startMoto();
    dir = mkdtempSync(path.join(tmpdir(), 'taegis-gates-'));
    await seedMixed(moto.clients(), dir);
    // A stand-in for the pipeline's checkout: the repository's files, its own HOME for ~/.aws/config and reports/.
    checkout = path.join(dir, 'checkout');
    mkdirp(checkout);
    for (const f of ['package.json', 'tsconfig.json', 'node_modules', 'scripts', 'lib', 'bin', 'cdk.json'])
      symlinkSync(path.join(ROOT, f), path.join(checkout, f));
    env = { ...moto.env, HOME: path.join(dir, 'home'), AWS_CONFIG_FILE: path.join(dir, 'home', '.aws', 'config') };
    mkdirp(path.join(dir, 'home'));
  });
  afterAll(async () => {
    await moto?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  function writeConfig(name: string, mutate: (raw: Record<string, unknown>) => void): string {
    const raw = JSON.parse(readFileSync(path.join(dir, 'taegis.config.json'), 'utf8')) as Record<string, unknown>;
    raw.credentialsSecret = { name: 'taegis-migrate/credentials' };
    raw.pipeline = {
      account: MOTO_ACCOUNT,
      region: 'us-east-1',
      source: {
        connectionArn: `arn:aws:codeconnections:us-east-1:${MOTO_ACCOUNT}:connection/abc`,
        repository: 'acme/taegis-migration',
        branch: 'main',
      },
      waves: [
        { name: 'canary', targets: [`${MOTO_ACCOUNT}/us-west-2`] },
        { name: 'rest', targets: ['*'], approval: true },
      ],
    };
    mutate(raw);
    const file = path.join(dir, name);
    writeFileSync(file, JSON.stringify(raw, null, 2));
    loadConfig(file); // the config is valid, pipeline section included
    return file;
  }

  it('GIVEN a migrated target WHEN its verify gate runs with the assumed role THEN exit 0 and both reports are written', async () => {
    const config = writeConfig('ok.config.json', () => {});
    const r = await gate(verifyCommand(config, WEST, ['--log-timeout 0', `--profile ${GATE_PROFILE}`]));
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
    expect(r.stdout).toContain('gate exit code: 0');
    const junit = readFileSync(path.join(checkout, REPORTS_DIR, `verify-${targetSlug(WEST)}.xml`), 'utf8');
    expect(junit).toContain('<testsuite');
    expect(junit).not.toContain('<failure');
    const json = JSON.parse(
      readFileSync(path.join(checkout, REPORTS_DIR, `verify-${targetSlug(WEST)}.json`), 'utf8'),
    ) as unknown;
    expect(json).toMatchObject({ exitCode: 0 });
    // The profile really was used: the role the step assumes shows in the AWS config the step wrote.
    expect(readFileSync(env.AWS_CONFIG_FILE!, 'utf8')).toContain(`role/taegis-migrate-verify`);
  }, 300_000);

  it('GIVEN a target whose stack is missing WHEN its verify gate runs THEN exit 1 stops the pipeline, and the JUnit and JSON reports still name the failure', async () => {
    const config = writeConfig('ghost.config.json', (raw) => {
      const regions = raw.regions as { region: string; lambdaStacks: Record<string, string>[] }[];
      regions
        .find((x) => x.region === 'us-east-1')!
        .lambdaStacks.push({ stackName: 'ghost', integrationType: 'awscloudtrail', notificationBucket: 'logs-east' });
    });
    const r = await gate(verifyCommand(config, EAST, ['--log-timeout 0', `--profile ${GATE_PROFILE}`]));
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(1);
    expect(r.stdout).toContain('gate exit code: 1');
    const junit = readFileSync(path.join(checkout, REPORTS_DIR, `verify-${targetSlug(EAST)}.xml`), 'utf8');
    expect(junit).toMatch(/<failure[^>]*>[\s\S]*ghost/);
    const json = JSON.parse(
      readFileSync(path.join(checkout, REPORTS_DIR, `verify-${targetSlug(EAST)}.json`), 'utf8'),
    ) as unknown;
    expect(json).toMatchObject({ exitCode: 1 });
  }, 300_000);

  it('GIVEN a bad config WHEN a gate runs THEN exit 2 before any AWS call', async () => {
    const bad = path.join(dir, 'bad.config.json');
    const raw = JSON.parse(
      readFileSync(
        writeConfig('base.config.json', () => {}),
        'utf8',
      ),
    ) as Record<string, unknown>;
    (raw.pipeline as { waves: unknown[] }).waves.push({ name: 'again', targets: [`${MOTO_ACCOUNT}/us-west-2`] });
    writeFileSync(bad, JSON.stringify(raw));
    const v = await gate(verifyCommand(bad, WEST, [`--profile ${GATE_PROFILE}`]));
    expect(v.code).toBe(2);
    expect(v.stderr).toContain(`target "${MOTO_ACCOUNT}/us-west-2" is in two waves`);
    const p = await gate(planCommand(bad, WEST, [`--profile ${GATE_PROFILE}`]));
    expect(p.code).toBe(2);
  }, 300_000);

  it('GIVEN the synthesized assembly and a target whose Lambda stack does not exist WHEN its plan gate runs THEN exit 1 names the stack, and the JSON report is written', async () => {
    const artifacts = vendorArtifacts(path.join(dir, 'artifacts'));
    const config = writeConfig('plan.config.json', (raw) => {
      raw.artifactsDir = path.relative(dir, artifacts);
      const regions = raw.regions as { region: string; lambdaStacks: Record<string, string>[] }[];
      raw.regions = regions.filter((x) => x.region === 'us-west-2');
      (raw.pipeline as { waves: unknown[] }).waves = [{ name: 'all', targets: ['*'] }];
      (raw.regions as typeof regions)[0]!.lambdaStacks = [
        { stackName: 'never-made', integrationType: 'awscloudtrail', notificationBucket: 'logs-west' },
      ];
    });
    // What the pipeline's synth step hands the plan step: cdk.out of the same app.
    const built = await buildApp(loadConfig(config), {
      appProps: { outdir: path.join(checkout, 'cdk.out'), builtinCloudFormationValidation: false },
      nag: false,
      pipelineConfigFile: config,
    });
    built.app.synth();
    expect(built.pipeline).toBeDefined();
    const r = await gate(
      planCommand(config, WEST, ['--assembly cdk.out', `--profile ${GATE_PROFILE}`]),
      'cdk-hnb659fds-deploy-role',
    );
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(1);
    expect(r.stdout).toContain('never-made');
    const json = JSON.parse(
      readFileSync(path.join(checkout, REPORTS_DIR, `plan-${targetSlug(WEST)}.json`), 'utf8'),
    ) as unknown;
    expect(json).toMatchObject({ result: 'fail' });
    expect(existsSync(path.join(checkout, 'cdk.out', 'manifest.json'))).toBe(true);
  }, 300_000);
});

function mkdirp(d: string): void {
  rmSync(d, { recursive: true, force: true });
  mkdirSync(d, { recursive: true });
}
