import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp, type TaegisApp } from '../../lib/app/app.js';
import { loadConfig } from '../../lib/config/load.js';
import { PIPELINE_STACK_ID, VERIFY_REPORT_GROUP } from '../../lib/pipeline/pipeline-stack.js';
import { copyExample, writeJson } from '../support/example.js';
import { pipelineRaw } from '../support/pipeline.js';
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

  it('GIVEN the config WHEN synthesized THEN the pipeline lives in its account and region, with one stage per wave in config order after synth and self-mutation', () => {
    expect(built.pipeline!.stackName).toBe(PIPELINE_STACK_ID);
    expect(built.pipeline!.account).toBe('111111111111');
    expect(built.pipeline!.region).toBe('us-east-1');
    expect(stages.map((s) => s.Name)).toEqual(['Source', 'Build', 'UpdatePipeline', 'canary', 'rest']);
    const source = stages[0]!.Actions[0]!;
    expect(source.ActionTypeId.Provider).toBe('CodeStarSourceConnection');
    expect(source.Configuration).toMatchObject({
      ConnectionArn: 'arn:aws:codeconnections:us-east-1:111111111111:connection/abc',
      FullRepositoryId: 'acme/taegis-migration',
      BranchName: 'main',
    });
    expect(stages[2]!.Actions.map((a) => a.Name)).toEqual(['SelfMutate']);
  });

  it('GIVEN the synth step THEN it runs npm ci and npx cdk synth with the config path in the repository', () => {
    const spec = buildSpecOf('Synth');
    expect(spec).toContain('npm ci');
    expect(spec).toContain('npx cdk synth -c config=deploy/taegis.config.json');
  });

  const envOf = (a: Action): Record<string, string> =>
    Object.fromEntries(
      (
        JSON.parse((a.Configuration?.EnvironmentVariables as string | undefined) ?? '[]') as {
          name: string;
          value: string;
        }[]
      ).map((v) => [v.name, v.value]),
    );

  it('GIVEN the canary wave (one account) THEN one shard action of the shared project applies it, then the gate', () => {
    const canary = stages[3]!.Actions;
    expect(canary.map((a) => `${a.Name}@${a.RunOrder}`)).toEqual(['Shard-1@1', 'Gate@2']);
    expect(envOf(canary[0]!)).toMatchObject({
      TAEGIS_WAVE: 'canary',
      TAEGIS_STEP: 'shard',
      TAEGIS_PHASE: 'apply',
      TAEGIS_SHARD: '0',
      TAEGIS_EXECUTION: '#{codepipeline.PipelineExecutionId}',
    });
    expect(envOf(canary[1]!)).toMatchObject({ TAEGIS_WAVE: 'canary', TAEGIS_STEP: 'gate' });
    // Every shard and gate action runs the one shard project.
    const projectsRun = new Set(
      stages
        .slice(3)
        .flatMap((s) => s.Actions)
        .filter((a) => a.ActionTypeId.Category === 'Build')
        .map((a) => JSON.stringify(a.Configuration?.ProjectName)),
    );
    expect(projectsRun.size).toBe(1);
  });

  it('GIVEN the rest wave with approval THEN plan shards, then the approval, then apply shards, then the gate', () => {
    const rest = stages[4]!.Actions;
    expect(rest.map((a) => `${a.Name}@${a.RunOrder}`)).toEqual(['Plan-1@1', 'Approve-rest@2', 'Shard-1@3', 'Gate@4']);
    expect(envOf(rest[0]!)).toMatchObject({ TAEGIS_WAVE: 'rest', TAEGIS_PHASE: 'plan', TAEGIS_SHARD: '0' });
    expect(rest[1]!.ActionTypeId.Category).toBe('Approval');
    expect(rest[1]!.Configuration?.CustomData).toContain('wave "rest" (2 target(s)');
  });

  it('GIVEN the shard project THEN it runs ci shard or ci gate with the config path in the repository, publishes JUnit to the report group and keeps the results per execution', () => {
    const shard = Object.values(projects).find((p) =>
      JSON.stringify(p.Properties.Description ?? '').includes('one shard of a wave'),
    )!;
    const spec = JSON.stringify(shard.Properties.Source);
    expect(spec).toContain('npx taegis-migrate ci shard --config deploy/taegis.config.json --wave');
    expect(spec).toContain('--shard');
    expect(spec).toContain('--credential-source EcsContainer');
    expect(spec).toContain('npx taegis-migrate ci gate --config deploy/taegis.config.json');
    expect(spec).toContain('/taegis-results/$TAEGIS_EXECUTION/$TAEGIS_WAVE/');
    expect(spec).toContain('JUNITXML');
    expect(spec).toContain('reports/junit');
  });

  it('GIVEN the report group and the roles THEN JUnit goes to one TEST report group, the shard role assumes only CDK bootstrap roles (tag-conditioned) and the verify role, no admin', () => {
    template.hasResourceProperties('AWS::CodeBuild::ReportGroup', { Name: VERIFY_REPORT_GROUP, Type: 'TEST' });
    template.resourceCountIs('AWS::CodeBuild::ReportGroup', 1);
    const policies = Object.values(template.findResources('AWS::IAM::Policy')).map((p) => JSON.stringify(p.Properties));
    const shardPolicy = policies.find((p) => p.includes('role/taegis-migrate-verify'))!;
    expect(shardPolicy).toContain('arn:aws:iam::*:role/cdk-hnb659fds-*');
    expect(shardPolicy).toContain('iam:ResourceTag/aws-cdk:bootstrap-role');
    expect(shardPolicy).toContain('codebuild:BatchPutTestCases');
    for (const p of policies) expect(p).not.toMatch(/"Action":"\*"|"Action":\["\*"\]/);
    expect(JSON.stringify(template.toJSON())).not.toContain('AdministratorAccess');
    expect(built.nag?.own).toEqual([]);
  });

  it('GIVEN credentials.txt with a unique marker THEN nothing in cdk.out (templates, nested stage assemblies, pipeline definition, assets) contains it, and every shared template holds the dynamic reference', () => {
    const files = listFiles(outdir);
    expect(files.some((f) => path.basename(f) === 'TaegisPipeline.template.json')).toBe(true);
    expect(files.filter((f) => readFileSync(f).includes(marker))).toEqual([]);
    const sharedTemplates = files.filter((f) =>
      /TaegisShared-?[a-z0-9-]+(\.|[0-9A-F]{8}\.)template\.json$/.test(path.basename(f)),
    );
    expect(sharedTemplates).toHaveLength(3); // three targets; the pipeline deploys the app's own stacks
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

  it("GIVEN a bootstrap qualifier in the app's context (cdk.json) THEN the shards may assume that qualifier's roles", async () => {
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
    const policies = Object.values(Template.fromStack(q.pipeline!).findResources('AWS::IAM::Policy')).map((p) =>
      JSON.stringify(p),
    );
    expect(specs.join()).toContain('ci shard');
    expect(policies.join()).toContain('role/cdk-taegis01-*');
    expect(policies.join()).not.toContain('hnb659fds');
  });
});
