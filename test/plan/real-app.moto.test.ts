import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { GetTemplateCommand, ListChangeSetsCommand } from '@aws-sdk/client-cloudformation';
import { GetFunctionConfigurationCommand } from '@aws-sdk/client-lambda';
import { defaultLambdaRuntime } from '../../lib/facts/lambda-runtimes.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readAssembly } from '../../lib/plan/assembly.js';
import { createConsoleStack, putOldPackage } from '../../lib/demo/seed.js';
import { snapshotState } from '../support/aws-state.js';
import { EXAMPLE_DIR, ROOT } from '../support/example.js';
import { MOTO_ACCOUNT, startMoto, type Moto } from '../support/moto.js';
import { run, runTaegisMigrate } from '../support/run.js';
import { makeZip } from '../support/zip.js';

// The real flow a user follows, end to end against moto with the real app (cdk.json's), the real CDK CLI and
// taegis-migrate as processes: discover --write -> put the vendor files next to the config -> cdk synth ->
// cdk bootstrap -> plan. Plan must show the in-place update of the console-made stack and change nothing.

const REGION = 'us-east-1';
const STACK = 'lab-network-lambda';
const FUNCTION = `${STACK}-scwx-tdr-lambda-awscloudtrail`;
const VENDOR_FILES = [
  'taegis-lambda-amd64.zip',
  'taegis-cloudformation-shared-resources.yaml',
  'taegis-cloudformation-lambda-template.yaml',
  'credentials.txt',
];
const SECRET = 'SYNTHETIC-EXAMPLE-CLIENT-SECRET-0000';

describe('discover -> synth -> plan with the real app, against moto', () => {
  let moto: Moto;
  let work: string;
  let configFile: string;

  const npx = (args: string[]) => run('npx', args, { cwd: ROOT, env: moto.env, timeoutMs: 120_000 });
  const cli = (args: string[]) => runTaegisMigrate(args, { cwd: ROOT, env: moto.env, timeoutMs: 120_000 });

  async function changeSetsLeft(stackName: string): Promise<number> {
    const out = await moto
      .clients()
      .cloudFormation(REGION)
      .send(new ListChangeSetsCommand({ StackName: stackName }));
    // moto lists every stack's change sets whatever StackName says (cdk bootstrap leaves one on CDKToolkit).
    return (out.Summaries ?? []).filter((s) => s.StackName === stackName).length;
  }

  async function deployedTemplate(): Promise<string | undefined> {
    const out = await moto
      .clients()
      .cloudFormation(REGION)
      .send(new GetTemplateCommand({ StackName: STACK, TemplateStage: 'Original' }));
    return out.TemplateBody;
  }

  beforeAll(async () => {
    moto = await startMoto();
    work = mkdtempSync(path.join(tmpdir(), 'taegis-plan-real-'));
    configFile = path.join(work, 'taegis.config.json');
    // GIVEN the old, console-made stack: go1.x, code in another bucket, parameters the new template drops,
    // the short !GetAtt form (moto_launcher.py corrects moto for it).
    const c = moto.clients();
    const s3 = c.s3(REGION);
    await putOldPackage(
      s3,
      REGION,
      'lab-old-taegis-code',
      makeZip([{ name: 'main', content: 'old go1.x binary (synthetic)', mode: 0o100755 }]),
    );
    await createConsoleStack(c, REGION, {
      stackName: STACK,
      integration: 'awscloudtrail',
      bucket: 'lab-cloudtrail-logs',
      codeBucket: 'lab-old-taegis-code',
    });
  });
  afterAll(async () => {
    await moto?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('GIVEN a console-made stack WHEN discover writes the config, the user adds the vendor files and plans THEN the config synthesizes and plan shows the in-place update, exit 0, nothing executed or left behind', async () => {
    // discover --write, as the README says.
    const discovered = await cli([
      'discover',
      '--regions',
      REGION,
      '--write',
      configFile,
      '--xdr-login-url',
      'https://ctpx.secureworks.com/',
    ]);
    expect(discovered.code, discovered.stderr).toBe(0);
    const written = JSON.parse(readFileSync(configFile, 'utf8')) as Record<string, unknown>;
    expect(written).toEqual({
      taegisRegion: 'ctpx',
      artifactsDir: './artifacts',
      // discover writes the default of the day it runs (provided.al2023 from AWS's block-update date).
      lambdaRuntime: defaultLambdaRuntime(new Date()),
      regions: [
        {
          region: REGION,
          account: MOTO_ACCOUNT,
          lambdaStacks: [
            { stackName: STACK, integrationType: 'awscloudtrail', notificationBucket: 'lab-cloudtrail-logs' },
          ],
        },
      ],
    });

    // The vendor downloads go where the written config expects them (its artifactsDir, next to it).
    mkdirSync(path.join(work, 'artifacts'));
    for (const f of VENDOR_FILES) copyFileSync(path.join(EXAMPLE_DIR, f), path.join(work, 'artifacts', f));

    // The written config synthesizes with the real app, unchanged.
    const synthOut = path.join(work, 'synth.out');
    const synth = await npx(['cdk', 'synth', '--quiet', '-c', `config=${configFile}`, '-o', synthOut]);
    expect(synth.code, synth.stderr).toBe(0);
    const lambda = readAssembly(synthOut).find((s) => s.artifactId === `TaegisLambda-${REGION}-${STACK}`);
    expect(lambda).toMatchObject({ stackName: STACK, account: MOTO_ACCOUNT, region: REGION });

    // Its own --output: another CDK CLI run on the project's cdk.out (another test file's) would refuse this one.
    const boot = await npx([
      'cdk',
      'bootstrap',
      `aws://${MOTO_ACCOUNT}/${REGION}`,
      '-c',
      `config=${configFile}`,
      '--output',
      path.join(work, 'boot.out'),
    ]);
    expect(boot.code, boot.stderr).toBe(0);

    const before = await snapshotState(moto.clients(), [REGION]);
    const templateBefore = await deployedTemplate();

    // WHEN plan runs its default path: it synthesizes the real app itself.
    const jsonFile = path.join(work, 'plan.json');
    const planned = await cli(['plan', '--config', configFile, '--json', jsonFile]);

    // THEN exit 0 with the change set's rows for the stack ...
    expect(planned.code, `${planned.stdout}\n${planned.stderr}`).toBe(0);
    expect(planned.stdout).toMatch(
      new RegExp(`${REGION}/${STACK}: \\d+ change\\(s\\) \\(change set taegis-plan-\\S+, deleted\\) \\[ok\\]`),
    );
    expect(planned.stdout).toMatch(/Action\s+LogicalResourceId\s+ResourceType\s+Replacement/);
    expect(planned.stdout).toMatch(/Modify\s+ScwxTdrLambdaFunction\s+AWS::Lambda::Function/);
    expect(planned.stdout).toContain('Result: PASS (1 stack(s) planned');
    const json = JSON.parse(readFileSync(jsonFile, 'utf8')) as {
      result: string;
      stacks: {
        stackName: string;
        state: string;
        changeSetDeleted: boolean;
        changes: { logicalResourceId: string }[];
      }[];
    };
    expect(json.result).toBe('pass');
    expect(json.stacks.map((s) => [s.stackName, s.state, s.changeSetDeleted])).toEqual([[STACK, 'changes', true]]);
    // Only the configured Lambda stack is planned, not the staging or shared stacks the app also synthesizes.
    expect(planned.stdout).not.toMatch(/TaegisStaging|taegis-shared-resources/);

    // ... and nothing executed, nothing left behind: same stacks, parameters, functions, buckets, template.
    expect(await changeSetsLeft(STACK)).toBe(0);
    expect(await snapshotState(moto.clients(), [REGION])).toEqual(before);
    expect(await deployedTemplate()).toBe(templateBefore);
    const fn = await moto
      .clients()
      .lambda(REGION)
      .send(new GetFunctionConfigurationCommand({ FunctionName: FUNCTION }));
    expect(fn.Runtime).toBe('go1.x');

    // The credentials never reached plan's or the synth's output.
    for (const out of [
      discovered.stdout,
      discovered.stderr,
      synth.stdout,
      synth.stderr,
      planned.stdout,
      planned.stderr,
    ])
      expect(out).not.toContain(SECRET);
  });

  it('GIVEN a config naming a stack that does not exist WHEN planning from another directory THEN exit 1 names it; the existing stack is still planned and cleaned up', async () => {
    // Builds on the first test: its discovered config, vendor files and bootstrapped region.
    const ghostConfig = path.join(work, 'ghost.config.json');
    const cfg = JSON.parse(readFileSync(configFile, 'utf8')) as {
      regions: { lambdaStacks: Record<string, string>[] }[];
    };
    cfg.regions[0]!.lambdaStacks.push({
      stackName: 'ghost-lambda',
      integrationType: 'generic',
      notificationBucket: 'ghost-logs',
    });
    writeFileSync(ghostConfig, JSON.stringify(cfg));
    const before = await snapshotState(moto.clients(), [REGION]);

    // Started from another directory (the config's): plan still finds the project's cdk.json for its synth.
    const planned = await runTaegisMigrate(['plan', '--config', ghostConfig], {
      cwd: work,
      env: moto.env,
      timeoutMs: 120_000,
    });

    expect(planned.code, `${planned.stdout}\n${planned.stderr}`).toBe(1);
    expect(planned.stdout).toContain(`${REGION}/ghost-lambda: stack does not exist [FAIL]`);
    expect(planned.stdout).toMatch(new RegExp(`${REGION}/${STACK}: \\d+ change\\(s\\) .*\\[ok\\]`));
    expect(planned.stdout).toContain('Result: FAIL (1 of 2 stack(s) need attention before deploying)');
    expect(await changeSetsLeft(STACK)).toBe(0);
    expect(await snapshotState(moto.clients(), [REGION])).toEqual(before);
  });
});
