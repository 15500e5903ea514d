import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp, type TaegisApp } from '../../lib/app.js';
import { loadConfig } from '../../lib/taegis-config.js';
import { lambdaStackId, sharedStackId, stagingStackId } from '../../lib/stacks/names.js';
import { PIPELINE_STACK_ID, VERIFY_REPORT_GROUP } from '../../lib/pipeline/pipeline-stack.js';
import { copyExample, writeJson } from '../support/example.js';
import { CANARY, pipelineRaw } from '../support/pipeline.js';
import { listFiles } from '../support/files.js';

const DYNAMIC_REF = '{{resolve:secretsmanager:taegis-migrate/credentials:SecretString:::}}';

interface Action {
  Name: string;
  RunOrder: number;
  ActionTypeId: { Category: string; Provider: string };
  Configuration?: Record<string, unknown>;
}
interface PipelineStage {
  Name: string;
  Actions: Action[];
}

describe('TaegisPipeline: two waves over three targets in two accounts', () => {
  const example = copyExample();
  const outdir = mkdtempSync(path.join(tmpdir(), 'taegis-pipeline-test-'));
  const marker = `TAEGIS-SECRET-MARKER-${randomUUID()}`;
  let built: TaegisApp;
  let template: Template;
  let stages: PipelineStage[];
  let projects: Record<string, { Properties: Record<string, unknown> }>;

  beforeAll(async () => {
    const raw = JSON.parse(readFileSync(example.config, 'utf8')) as Record<string, unknown>;
    pipelineRaw(raw);
    writeJson(example.config, raw);
    writeFileSync(path.join(example.dir, 'credentials.txt'), `client_id=x\nclient_secret=${marker}\n`);
    built = await buildApp(loadConfig(example.config), {
      appProps: { outdir, builtinCloudFormationValidation: false },
      pipelineConfigFile: 'deploy/taegis.config.json',
    });
    built.app.synth();
    template = Template.fromStack(built.pipeline!);
    const pipelines = template.findResources('AWS::CodePipeline::Pipeline');
    stages = (Object.values(pipelines)[0]!.Properties as { Stages: PipelineStage[] }).Stages;
    projects = template.findResources('AWS::CodeBuild::Project') as typeof projects;
  }, 120_000);
  afterAll(() => {
    rmSync(example.dir, { recursive: true, force: true });
    rmSync(outdir, { recursive: true, force: true });
  });

  const buildSpecOf = (actionName: string): string => {
    const entry = Object.entries(projects).find(([, p]) =>
      JSON.stringify(p.Properties.Description ?? '').includes(actionName),
    );
    expect(entry, `a CodeBuild project for ${actionName}`).toBeDefined();
    return JSON.stringify(entry![1].Properties.Source);
  };

  it('GIVEN the config WHEN synthesized THEN the pipeline lives in its account and region, with its waves in config order after synth and self-mutation', () => {
    expect(built.pipeline!.stackName).toBe(PIPELINE_STACK_ID);
    expect(built.pipeline!.account).toBe('111111111111');
    expect(built.pipeline!.region).toBe('us-east-1');
    // A wave of one target takes that Stage's name (CDK Pipelines), which starts with the wave's name.
    expect(stages.map((s) => s.Name)).toEqual([
      'Source',
      'Build',
      'UpdatePipeline',
      'Assets',
      'canary-222222222222-us-west-2',
      'rest',
    ]);
    const source = stages[0]!.Actions[0]!;
    expect(source.ActionTypeId.Provider).toBe('CodeStarSourceConnection');
    expect(source.Configuration).toMatchObject({
      ConnectionArn: 'arn:aws:codeconnections:us-east-1:111111111111:connection/abc',
      FullRepositoryId: 'acme/taegis-migration',
      BranchName: 'main',
    });
    expect(stages[2]!.Actions.map((a) => a.Name)).toEqual(['SelfMutate']);
  });

  it('GIVEN the synth step THEN it runs npm ci and the README cdk synth with the config path in the repository', () => {
    const spec = buildSpecOf('Synth');
    expect(spec).toContain('npm ci');
    expect(spec).toContain('npx cdk synth -c config=deploy/taegis.config.json');
  });

  it('GIVEN the canary wave THEN plan runs before the deploy, verify after it, no approval', () => {
    const canary = stages[4]!.Actions;
    const plan = canary.find((a) => a.Name === 'Plan-222222222222-us-west-2')!;
    expect(plan).toBeDefined();
    const verify = canary.find((a) => a.Name.endsWith('Verify-222222222222-us-west-2'))!;
    const deploys = canary.filter((a) => a.ActionTypeId.Category === 'Deploy');
    expect(deploys.map((a) => a.Name).sort()).toEqual(
      [
        'TaegisStaging-us-west-2.Prepare',
        'TaegisStaging-us-west-2.Deploy',
        'taegis-shared-resources.Prepare',
        'taegis-shared-resources.Deploy',
        'w2-trail-lambda.Prepare',
        'w2-trail-lambda.Deploy',
      ].sort(),
    );
    expect(Math.max(plan.RunOrder)).toBeLessThan(Math.min(...deploys.map((a) => a.RunOrder)));
    expect(verify.RunOrder).toBeGreaterThan(Math.max(...deploys.map((a) => a.RunOrder)));
    expect(canary.some((a) => a.ActionTypeId.Category === 'Approval')).toBe(false);
    // The deploys go to the target account's CloudFormation stacks by their non-pipeline names.
    const stackNames = deploys.map((a) => a.Configuration?.StackName);
    expect(new Set(stackNames)).toEqual(
      new Set([stagingStackId('us-west-2'), 'taegis-shared-resources', 'w2-trail-lambda']),
    );
  });

  it('GIVEN the rest wave THEN both plans, then the approval, then the two targets deploy, then each verifies', () => {
    const rest = stages[5]!.Actions;
    const plans = rest.filter((a) => a.Name.startsWith('Plan-'));
    expect(plans.map((a) => a.Name).sort()).toEqual(['Plan-123456789012-eu-west-1', 'Plan-123456789012-us-east-1']);
    const approval = rest.find((a) => a.ActionTypeId.Category === 'Approval')!;
    expect(approval.Name).toBe('Approve-rest');
    expect(approval.Configuration?.CustomData).toContain('123456789012/us-east-1, 123456789012/eu-west-1');
    const deploys = rest.filter((a) => a.ActionTypeId.Category === 'Deploy');
    expect(deploys).toHaveLength(2 * (4 + 3)); // Prepare + Deploy; us-east-1: staging, shared, 2 Lambda; eu-west-1: 3
    expect(Math.max(...plans.map((a) => a.RunOrder))).toBeLessThan(approval.RunOrder);
    expect(approval.RunOrder).toBeLessThan(Math.min(...deploys.map((a) => a.RunOrder)));
    for (const region of ['us-east-1', 'eu-west-1']) {
      const verify = rest.find((a) => a.Name.endsWith(`Verify-123456789012-${region}`))!;
      const own = deploys.filter((a) => a.Name.startsWith(`rest-123456789012-${region}.`));
      expect(own.length).toBeGreaterThan(0);
      expect(verify.RunOrder).toBeGreaterThan(Math.max(...own.map((a) => a.RunOrder)));
    }
  });

  it('GIVEN the gate steps THEN plan and verify run for one target each, with the role of that account, keeping the exit code', () => {
    const plan = buildSpecOf('Plan-222222222222-us-west-2');
    expect(plan).toContain(
      'npm run plan -- --config deploy/taegis.config.json --account 222222222222 --region us-west-2 --json reports/plan-222222222222-us-west-2.json --assembly cdk.out --profile taegis-target',
    );
    expect(plan).toContain(
      'role_arn = arn:aws:iam::222222222222:role/cdk-hnb659fds-deploy-role-222222222222-us-west-2',
    );
    expect(plan).toContain('|| rc=$?');
    const verify = buildSpecOf('Verify-222222222222-us-west-2');
    expect(verify).toContain(
      'npm run verify -- --config deploy/taegis.config.json --account 222222222222 --region us-west-2 --junit reports/verify-222222222222-us-west-2.xml --json reports/verify-222222222222-us-west-2.json --log-timeout 600 --profile taegis-target',
    );
    expect(verify).toContain('role_arn = arn:aws:iam::222222222222:role/taegis-migrate-verify');
    expect(verify).toContain('exit $rc');
    // JUnit into the report group, JSON as the step's artifact.
    expect(verify).toContain('JUNITXML');
    expect(verify).toContain('verify-222222222222-us-west-2.xml');
    expect(verify).toMatch(/"base-directory\\?":\s*\\?"reports/);
  });

  it('GIVEN the report group and the roles THEN verify publishes to one TEST report group, and each gate role may assume only its target role', () => {
    template.hasResourceProperties('AWS::CodeBuild::ReportGroup', { Name: VERIFY_REPORT_GROUP, Type: 'TEST' });
    template.resourceCountIs('AWS::CodeBuild::ReportGroup', 1);
    const policies = Object.values(template.findResources('AWS::IAM::Policy')).map((p) => JSON.stringify(p.Properties));
    const assumes = (role: string) => policies.filter((p) => p.includes(role));
    expect(assumes('arn:aws:iam::222222222222:role/taegis-migrate-verify')).toHaveLength(1);
    expect(assumes('arn:aws:iam::123456789012:role/taegis-migrate-verify')).toHaveLength(2);
    const verifyPolicy = assumes('arn:aws:iam::222222222222:role/taegis-migrate-verify')[0]!;
    expect(verifyPolicy).toContain('codebuild:BatchPutTestCases');
    expect(verifyPolicy).not.toContain('cdk-hnb659fds-deploy-role');
    // No admin anywhere: no "*" action, no AdministratorAccess.
    for (const p of policies) expect(p).not.toMatch(/"Action":"\*"|"Action":\["\*"\]/);
    expect(JSON.stringify(template.toJSON())).not.toContain('AdministratorAccess');
    expect(built.nag?.own).toEqual([]);
  });

  it('GIVEN the stages THEN they hold the same stacks as the app, by the same names, with the secret as a dynamic reference', () => {
    const byTarget = new Map(built.pipeline!.stages.map((s) => [`${s.account}/${s.region}`, s.stacks]));
    expect([...byTarget.keys()].sort()).toEqual(['123456789012/eu-west-1', '123456789012/us-east-1', CANARY]);
    for (const r of built.regions) {
      const staged = byTarget.get(`${r.account}/${r.region}`)!;
      expect(staged.staging.stackName).toBe(r.staging.stackName);
      // Two accounts: ids carry the account (lib/stacks/names.ts), the same in the stage as in the app.
      expect(staged.staging.node.id).toBe(stagingStackId(r.region, r.account));
      expect(staged.shared.node.id).toBe(sharedStackId(r.region, r.account));
      expect(staged.staging.node.id).toBe(r.staging.node.id);
      expect(staged.lambdas.map((l) => [l.node.id, l.stackName])).toEqual(
        r.lambdas.map((l) => [l.node.id, l.stackName]),
      );
      // Same code, same template.
      expect(Template.fromStack(staged.shared).toJSON()).toEqual(Template.fromStack(r.shared).toJSON());
      for (const [i, l] of staged.lambdas.entries())
        expect(Template.fromStack(l).toJSON()).toEqual(Template.fromStack(r.lambdas[i]!).toJSON());
      const shared = Template.fromStack(r.shared).toJSON() as { Parameters?: Record<string, unknown> };
      expect(Object.keys(shared.Parameters ?? {})).not.toContain('SecretValue');
      Template.fromStack(r.shared).hasResourceProperties('AWS::SecretsManager::Secret', { SecretString: DYNAMIC_REF });
    }
    expect(lambdaStackId('us-west-2', 'w2-trail-lambda')).toBe('TaegisLambda-us-west-2-w2-trail-lambda');
  });

  it('GIVEN credentials.txt with a unique marker THEN nothing in cdk.out (templates, nested stage assemblies, pipeline definition, assets) contains it, and every shared template holds the dynamic reference', () => {
    const files = listFiles(outdir);
    expect(files.filter((f) => f.includes('assembly-TaegisPipeline-rest-123456789012-us-east-1'))).not.toEqual([]);
    expect(files.some((f) => path.basename(f) === 'TaegisPipeline.template.json')).toBe(true);
    expect(files.filter((f) => readFileSync(f).includes(marker))).toEqual([]);
    const sharedTemplates = files.filter((f) =>
      /TaegisShared-?[a-z0-9-]+(\.|[0-9A-F]{8}\.)template\.json$/.test(path.basename(f)),
    );
    expect(sharedTemplates).toHaveLength(6); // three targets, in the app and in the pipeline's stages
    for (const f of sharedTemplates) expect(readFileSync(f, 'utf8')).toContain(DYNAMIC_REF);
    // The scan can see the marker where it is.
    expect(readFileSync(path.join(example.dir, 'credentials.txt'), 'utf8')).toContain(marker);
  });

  it('GIVEN a synth limited to one region (-c region=) or plan/deploy (pipeline: false) THEN the pipeline stack is left out', async () => {
    const config = loadConfig(example.config);
    const one = await buildApp(config, {
      regions: ['us-west-2'],
      nag: false,
      appProps: { outdir: path.join(outdir, 'one') },
    });
    expect(one.pipeline).toBeUndefined();
    expect(one.app.node.tryFindChild(PIPELINE_STACK_ID)).toBeUndefined();
    const off = await buildApp(config, { pipeline: false, nag: false, appProps: { outdir: path.join(outdir, 'off') } });
    expect(off.pipeline).toBeUndefined();
    expect(off.regions).toHaveLength(3);
  });

  it("GIVEN a bootstrap qualifier in the app's context (cdk.json) THEN the plan step assumes that qualifier's deploy role", async () => {
    const q = await buildApp(loadConfig(example.config), {
      nag: false,
      appProps: {
        outdir: path.join(outdir, 'qualifier'),
        builtinCloudFormationValidation: false,
        context: { '@aws-cdk/core:bootstrapQualifier': 'taegis01' },
      },
      pipelineConfigFile: 'deploy/taegis.config.json',
    });
    const specs = Object.values(Template.fromStack(q.pipeline!).findResources('AWS::CodeBuild::Project')).map((p) =>
      JSON.stringify(p),
    );
    const plan = specs.find((p) => p.includes('Plan-222222222222-us-west-2'))!;
    expect(plan).toContain('role/cdk-taegis01-deploy-role-222222222222-us-west-2');
    expect(plan).not.toContain('hnb659fds');
  });
});
