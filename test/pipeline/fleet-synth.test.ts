import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { App, CfnResource, Stack } from 'aws-cdk-lib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp, checkAssemblyLimits, resourceLimitProblems, TEMPLATE_LIMITS } from '../../lib/app/app.js';
import { TaegisError } from '../../lib/util/errors.js';
import { shardedWaves } from '../../lib/pipeline/shards.js';
import { loadConfig } from '../../lib/config/load.js';
import { copyExample, writeJson } from '../support/example.js';
import { fleetRaw } from '../support/pipeline.js';

interface Stage {
  Name: string;
  Actions: { Name: string; ActionTypeId: { Category: string }; Configuration?: { EnvironmentVariables?: string } }[];
}

describe('a 300-target fleet (100 accounts x 3 regions) through the CodePipeline route', () => {
  const example = copyExample();
  const outdir = mkdtempSync(path.join(tmpdir(), 'taegis-fleet-synth-'));
  afterAll(() => {
    rmSync(example.dir, { recursive: true, force: true });
    rmSync(outdir, { recursive: true, force: true });
  });
  let stages: Stage[];
  let file: string;
  let own: readonly unknown[];
  beforeAll(async () => {
    const raw = JSON.parse(readFileSync(example.config, 'utf8')) as Record<string, unknown>;
    fleetRaw(raw, 100, ['eu-west-3', 'us-east-2', 'ap-south-1']);
    writeJson(example.config, raw);
    const built = await buildApp(loadConfig(example.config), {
      appProps: { outdir, builtinCloudFormationValidation: false },
    });
    own = built.nag!.own;
    const assembly = built.app.synth();
    checkAssemblyLimits(assembly, example.config);
    file = path.join(outdir, 'TaegisPipeline.template.json');
    const t = JSON.parse(readFileSync(file, 'utf8')) as {
      Resources: Record<string, { Type: string; Properties: { Stages?: Stage[] } }>;
    };
    stages = Object.values(t.Resources).find((r) => r.Type === 'AWS::CodePipeline::Pipeline')!.Properties.Stages!;
  }, 300_000);

  it('WHEN synthesized THEN the pipeline template is within CloudFormation and CodePipeline limits, cdk-nag clean', () => {
    const t = JSON.parse(readFileSync(file, 'utf8')) as { Resources: object };
    expect(Object.keys(t.Resources).length).toBeLessThanOrEqual(TEMPLATE_LIMITS.resources);
    expect(Object.keys(t.Resources).length).toBeLessThan(40); // it does not grow with targets
    expect(statSync(file).size).toBeLessThanOrEqual(TEMPLATE_LIMITS.bytes);
    expect(stages.length).toBeLessThanOrEqual(50);
    for (const s of stages) expect(s.Actions.length, s.Name).toBeLessThanOrEqual(50);
    expect(own).toEqual([]);
  });

  it('WHEN sharded THEN one stage per wave with its shard actions (and plan shards and approval), and every target in exactly one shard of exactly one wave', () => {
    const config = loadConfig(example.config);
    const waves = shardedWaves({ ...config, pipeline: config.pipeline! });
    expect(stages.map((s) => s.Name)).toEqual(['Source', 'Build', 'UpdatePipeline', ...waves.map((w) => w.name)]);
    for (const w of waves) {
      const stage = stages.find((s) => s.Name === w.name)!;
      const shardIndexes = stage.Actions.filter((a) => a.Name.startsWith('Shard-')).map(
        (a) =>
          (JSON.parse(a.Configuration!.EnvironmentVariables!) as { name: string; value: string }[]).find(
            (v) => v.name === 'TAEGIS_SHARD',
          )!.value,
      );
      expect(shardIndexes).toEqual(w.shards.map((_, i) => String(i)));
      expect(stage.Actions.length).toBe(w.shards.length * (w.approval ? 2 : 1) + (w.approval ? 1 : 0) + 1);
    }
    const all = waves.flatMap((w) => w.shards.flat()).map((t) => `${t.account}/${t.region}`);
    expect(all).toHaveLength(300);
    expect(new Set(all).size).toBe(300);
    expect(waves.map((w) => [w.name, w.targets.length, w.shards.length])).toEqual([
      ['pilot', 1, 1],
      ['ten-accounts', 29, 4],
      ['everything-else', 270, 8],
    ]);
  });
});

describe('a template over CloudFormation limits is bad input naming what grew and the setting that shrinks it', () => {
  it('GIVEN a pipeline stack of 501 resources WHEN checked before synth THEN a problem with the count and the pipeline settings', () => {
    const app = new App();
    const stack = new Stack(app, 'TaegisPipeline');
    for (let i = 0; i < 501; i++) new CfnResource(stack, `R${i}`, { type: 'AWS::CloudFormation::WaitConditionHandle' });
    expect(resourceLimitProblems(app)).toEqual([
      {
        path: 'TaegisPipeline',
        message: 'would hold 501 resources; CloudFormation allows 500 per stack',
        fix: 'lower "pipeline.shardsPerWave" or merge "pipeline.waves" (the pipeline grows with waves x shards)',
      },
    ]);
  });

  it('GIVEN a synthesized template over 1,000,000 bytes WHEN checked THEN CONFIG_INVALID (exit 2) naming the stack and its size', () => {
    const app = new App({
      outdir: mkdtempSync(path.join(tmpdir(), 'taegis-limits-')),
      builtinCloudFormationValidation: false,
    });
    const stack = new Stack(app, 'TaegisAccess-123456789012');
    for (let i = 0; i < 60; i++)
      new CfnResource(stack, `R${i}`, { type: 'AWS::SSM::Parameter', properties: { Value: 'x'.repeat(20_000) } });
    const assembly = app.synth();
    let error: unknown;
    try {
      checkAssemblyLimits(assembly, 'taegis.config.json');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(TaegisError);
    expect((error as TaegisError).code).toBe('CONFIG_INVALID');
    expect(JSON.stringify(error)).toMatch(/template is \d+ bytes; CloudFormation accepts 1000000 bytes/);
    rmSync(assembly.directory, { recursive: true, force: true });
  });
});
