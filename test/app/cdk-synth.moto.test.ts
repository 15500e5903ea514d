import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runtimeDeprecationMessage } from '../../lib/facts/lambda-runtimes.js';
import { defaultLambdaRuntime } from '../../lib/facts/lambda-runtimes.js';
import { EXAMPLE_CONFIG, ROOT } from '../support/example.js';
import { run } from '../support/run.js';

describe('npx cdk synth (docs/deploy.md), through the real CDK CLI', () => {
  const out = mkdtempSync(path.join(tmpdir(), 'taegis-cli-synth-'));
  afterAll(() => rmSync(out, { recursive: true, force: true }));
  const env = { ...process.env, CDK_DISABLE_VERSION_CHECK: '1', CDK_DISABLE_CLI_TELEMETRY: '1' };

  it('GIVEN the bundled example WHEN "npx cdk synth -c config=..." runs THEN it synthesizes every stack of both regions and says the runtime notice once', async () => {
    const res = await run(
      'npx',
      ['cdk', 'synth', '-q', '-c', `config=${path.relative(ROOT, EXAMPLE_CONFIG)}`, '--output', path.join(out, 'all')],
      { cwd: ROOT, env },
    );
    expect(res.code, res.stderr).toBe(0);
    expect(
      readdirSync(path.join(out, 'all'))
        .filter((f) => f.endsWith('.template.json'))
        .sort(),
    ).toEqual([
      'TaegisLambda-eu-west-1-lab-vpc-lambda.template.json',
      'TaegisLambda-us-east-1-lab-alb-lambda.template.json',
      'TaegisLambda-us-east-1-lab-network-lambda.template.json',
      'TaegisShared-eu-west-1.template.json',
      'TaegisShared-us-east-1.template.json',
      'TaegisStaging-eu-west-1.template.json',
      'TaegisStaging-us-east-1.template.json',
    ]);
    // The example leaves lambdaRuntime to the date's default: the notice for today's default, said once, not per stack.
    const now = new Date();
    const notice = runtimeDeprecationMessage(defaultLambdaRuntime(now), now, 'default');
    const said = res.stderr.split('note: lambdaRuntime ').length - 1;
    if (notice === undefined) expect(said).toBe(0);
    else {
      expect(res.stderr).toContain(notice);
      expect(said).toBe(1);
    }
    expect(res.stderr).toContain('cdk-nag AwsSolutions found');
  });

  it("GIVEN -c region=eu-west-1 WHEN synthesized THEN only that region's stacks are written", async () => {
    const res = await run(
      'npx',
      [
        'cdk',
        'synth',
        '-q',
        '-c',
        `config=${EXAMPLE_CONFIG}`,
        '-c',
        'region=eu-west-1',
        '--output',
        path.join(out, 'eu'),
      ],
      { cwd: ROOT, env },
    );
    expect(res.code, res.stderr).toBe(0);
    expect(
      readdirSync(path.join(out, 'eu'))
        .filter((f) => f.endsWith('.template.json'))
        .sort(),
    ).toEqual([
      'TaegisLambda-eu-west-1-lab-vpc-lambda.template.json',
      'TaegisShared-eu-west-1.template.json',
      'TaegisStaging-eu-west-1.template.json',
    ]);
  });
});
