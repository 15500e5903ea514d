import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import {
  DescribeStackResourcesCommand,
  DescribeStacksCommand,
  GetTemplateCommand,
} from '@aws-sdk/client-cloudformation';
import {
  GetSecretValueCommand,
  ListSecretsCommand,
  ListSecretVersionIdsCommand,
} from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyExample, ROOT, writeJson } from '../support/example.js';
import { listFiles } from '../support/files.js';
import { MOTO_ACCOUNT, startMoto, type Moto } from '../support/moto.js';
import { run, runTaegisMigrate } from '../support/run.js';

const REGION = 'us-east-1';
const SECRET = 'taegis-migrate/credentials';
const DYNAMIC_REF = `{{resolve:secretsmanager:${SECRET}:SecretString:::}}`;

describe('credentials in Secrets Manager: taegis-migrate secret put, then taegis-migrate deploy without credentials.txt (moto)', () => {
  let moto: Moto;
  const example = copyExample();
  const marker = `TAEGIS-SM-MARKER-${Date.now()}`;
  const credentials = path.join(example.dir, 'credentials.txt');
  const cli = (command: string, args: string[]) =>
    runTaegisMigrate([command, ...args], { cwd: ROOT, env: moto.env, timeoutMs: 240_000 });
  const secrets = () => moto.clients().secretsManager(REGION);

  beforeAll(async () => {
    moto = await startMoto();
    const raw = JSON.parse(readFileSync(example.config, 'utf8')) as { regions: { region: string }[] } & Record<
      string,
      unknown
    >;
    raw.regions = raw.regions.filter((r) => r.region === REGION);
    raw.credentialsSecret = { name: SECRET };
    writeJson(example.config, raw);
    writeFileSync(credentials, `client_id=abc\nclient_secret=${marker}\n`);
  });
  afterAll(async () => {
    await moto?.stop();
    rmSync(example.dir, { recursive: true, force: true });
  });

  it('GIVEN credentials.txt WHEN put runs twice and after a change THEN the secret is created, left alone, then updated; the value never shows in its output', async () => {
    const first = await cli('secret', ['put', '--config', example.config]);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toContain(`created   ${SECRET} in ${MOTO_ACCOUNT}/${REGION} (for ${MOTO_ACCOUNT}/${REGION})`);
    const stored = await secrets().send(new GetSecretValueCommand({ SecretId: SECRET }));
    expect(stored.SecretString).toBe(`client_id=abc\nclient_secret=${marker}`);

    const second = await cli('secret', ['put', '--config', example.config]);
    expect(second.stdout).toContain(`unchanged ${SECRET}`);
    const versions = await secrets().send(new ListSecretVersionIdsCommand({ SecretId: SECRET }));
    expect(versions.Versions).toHaveLength(1);

    writeFileSync(credentials, `client_id=abc\nclient_secret=${marker}-rotated\n`);
    const third = await cli('secret', ['put', '--config', example.config]);
    expect(third.stdout).toContain(`updated   ${SECRET}`);
    expect((await secrets().send(new GetSecretValueCommand({ SecretId: SECRET }))).SecretString).toContain(
      `${marker}-rotated`,
    );
    for (const r of [first, second, third]) expect(`${r.stdout}${r.stderr}`).not.toContain(marker);
  }, 300_000);

  it('GIVEN no credentials secret in the config, or no credentials.txt WHEN put runs THEN exit 2 and no secret is written', async () => {
    const other = path.join(example.dir, 'no-secret.config.json');
    const raw = JSON.parse(readFileSync(example.config, 'utf8')) as Record<string, unknown>;
    delete raw.credentialsSecret;
    writeJson(other, raw);
    const noSecret = await cli('secret', ['put', '--config', other]);
    expect(noSecret.code).toBe(2);
    expect(noSecret.stderr).toContain('names no credentials secret');

    const missing = path.join(example.dir, 'missing.config.json');
    const raw2 = JSON.parse(readFileSync(example.config, 'utf8')) as Record<string, unknown>;
    raw2.credentialsSecret = { name: 'taegis-migrate/other' };
    raw2.artifacts = { credentials: 'not-there.txt' };
    writeJson(missing, raw2);
    const noFile = await cli('secret', ['put', '--config', missing]);
    expect(noFile.code).toBe(2);
    expect(noFile.stderr).toContain('error CREDENTIALS_MISSING');
    const names = ((await secrets().send(new ListSecretsCommand({}))).SecretList ?? []).map((s) => s.Name);
    expect(names).toEqual([SECRET]);
  }, 300_000);

  it('GIVEN the secret WHEN taegis-migrate deploy deploys the shared stack with credentials.txt gone THEN the template carries the dynamic reference, no SecretValue parameter, and the assembly no credential', async () => {
    rmSync(credentials);
    const boot = await run(
      'npx',
      [
        'cdk',
        'bootstrap',
        `aws://${MOTO_ACCOUNT}/${REGION}`,
        '-c',
        `config=${example.config}`,
        '-c',
        `region=${REGION}`,
        // Its own --output: another CDK CLI run on the project's cdk.out (another test file's) would refuse this one.
        '--output',
        path.join(example.dir, 'boot.out'),
      ],
      { cwd: ROOT, env: moto.env, timeoutMs: 240_000 },
    );
    expect(boot.code, boot.stderr).toBe(0);
    const out = path.join(example.dir, 'deploy.out');
    const deployed = await cli('deploy', [
      '--config',
      example.config,
      '--stack',
      `TaegisShared-${REGION}`,
      '--exclusively',
      '--method',
      'direct',
      '--no-previous-parameters',
      '--output',
      out,
    ]);
    expect(deployed.code, `${deployed.stdout}\n${deployed.stderr}`).toBe(0);
    expect(existsSync(credentials)).toBe(false);
    const cfn = moto.clients().cloudFormation(REGION);
    const body = (await cfn.send(new GetTemplateCommand({ StackName: 'taegis-shared-resources' }))).TemplateBody ?? '';
    expect(body).toContain(DYNAMIC_REF);
    const stack = (await cfn.send(new DescribeStacksCommand({ StackName: 'taegis-shared-resources' }))).Stacks?.[0];
    expect(stack?.StackStatus).toBe('CREATE_COMPLETE');
    expect((stack?.Parameters ?? []).map((p) => p.ParameterKey)).not.toContain('SecretValue');
    // The rest of the vendor template was deployed (moto skips the AWS::SecretsManager::Secret and does not resolve
    // dynamic references; CloudFormation resolves {{resolve:secretsmanager:...}} at deploy time).
    const resources = await cfn.send(new DescribeStackResourcesCommand({ StackName: 'taegis-shared-resources' }));
    expect((resources.StackResources ?? []).map((r) => r.LogicalResourceId)).toContain('ScwxTdrRegion');
    expect(listFiles(out).filter((f) => readFileSync(f).includes(marker))).toEqual([]);
    expect(`${deployed.stdout}${deployed.stderr}`).not.toContain(marker);
  }, 300_000);
});
