import { readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { mkdtempSync } from 'node:fs';
import * as iam from 'aws-cdk-lib/aws-iam';
import { afterAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../lib/app/app.js';
import { runAwsSolutionsChecks } from '../../lib/app/nag.js';
import { acknowledgePipelineGrants } from '../../lib/pipeline/grants.js';
import { loadConfig } from '../../lib/config/load.js';
import { copyExampleWith, ROOT } from '../support/example.js';
import { PIPELINE_DOC, docsPipelineExample, heldOutPipelineRaw } from '../support/pipeline.js';

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

const configWith = (mutate: (raw: Record<string, unknown>) => void): string => copyExampleWith(mutate, dirs);

const outdir = (): string => {
  const d = mkdtempSync(path.join(tmpdir(), 'taegis-pipeline-nag-'));
  dirs.push(d);
  return d;
};

const CONFIGS = {
  'the pipeline example of docs/pipelines.md': () =>
    configWith((raw) => docsPipelineExample(raw, readFileSync(path.join(ROOT, PIPELINE_DOC), 'utf8'))),
  'a held-out pipeline config (8 targets, 4 accounts, 6 regions, 4 waves)': () => configWith(heldOutPipelineRaw),
};

describe('TaegisPipeline is cdk-nag clean for any valid config, with and without cdk.json feature flags', () => {
  for (const [name, config] of Object.entries(CONFIGS)) {
    for (const flags of ['cdk.json', 'none'] as const) {
      it(`GIVEN ${name} WHEN built with ${flags === 'none' ? 'no' : "cdk.json's"} context THEN no cdk-nag finding on our stacks`, async () => {
        const built = await buildApp(loadConfig(config()), {
          appProps: { outdir: outdir(), builtinCloudFormationValidation: false },
          ...(flags === 'none' ? { cdkJsonContext: false } : {}),
        });
        expect(built.pipeline).toBeDefined();
        expect(built.nag?.own).toEqual([]);
      });
    }
  }

  it('GIVEN grants added to the pipeline roles WHEN acknowledged and checked THEN a CDK Pipelines grant of a known kind passes, any other wildcard is a finding', async () => {
    const built = await buildApp(loadConfig(CONFIGS['the pipeline example of docs/pipelines.md']()), {
      appProps: { outdir: outdir(), builtinCloudFormationValidation: false },
      nag: false,
    });
    const inner = built.pipeline!.pipeline.pipeline;
    const role = inner.role;
    // Known kind: another CodeBuild project's log group in the pipeline's account and region.
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: ['arn:aws:logs:us-east-1:111111111111:log-group:/aws/codebuild/another-project:*'],
      }),
    );
    // Not a CDK Pipelines grant: objects of a bucket that is not the pipeline's; a log group in another account; a
    // bootstrap-role assume without the tag condition.
    const foreign = [
      new iam.PolicyStatement({ actions: ['s3:GetObject*'], resources: ['arn:aws:s3:::someone-elses-bucket/*'] }),
      new iam.PolicyStatement({
        actions: ['logs:CreateLogGroup'],
        resources: ['arn:aws:logs:us-east-1:999999999999:log-group:/aws/codebuild/x:*'],
      }),
      new iam.PolicyStatement({ actions: ['sts:AssumeRole'], resources: ['arn:aws:iam::111111111111:role/*'] }),
    ];
    for (const s of foreign) role.addToPrincipalPolicy(s);
    acknowledgePipelineGrants(built.pipeline!.pipeline);
    const own = runAwsSolutionsChecks([built.pipeline!]).own.map((f) => f.ruleId);
    expect(own.sort()).toEqual(
      [
        'AwsSolutions-IAM5[Resource::arn:aws:s3:::someone-elses-bucket/*]',
        'AwsSolutions-IAM5[Resource::arn:aws:logs:us-east-1:999999999999:log-group:/aws/codebuild/x:*]',
        'AwsSolutions-IAM5[Resource::arn:aws:iam::111111111111:role/*]',
      ].sort(),
    );
  });
});
