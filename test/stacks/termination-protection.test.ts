import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../lib/app/app.js';
import { TaegisError } from '../../lib/util/errors.js';
import { exampleConfig } from '../support/example.js';

const outdirs: string[] = [];
afterAll(() => outdirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

/** Builds and synthesizes the example app; returns each stack's termination protection as the CLI will read it. */
async function protectionByStack(mutate?: (raw: Record<string, unknown>) => void): Promise<Record<string, boolean>> {
  const outdir = mkdtempSync(path.join(tmpdir(), 'taegis-tp-test-'));
  outdirs.push(outdir);
  const built = await buildApp(exampleConfig(mutate), {
    appProps: { outdir, builtinCloudFormationValidation: false },
    nag: false,
  });
  const assembly = built.app.synth();
  const out: Record<string, boolean> = {};
  for (const r of built.regions) {
    for (const stack of [r.staging, r.shared, ...r.lambdas]) {
      // The cloud assembly is what `cdk deploy` reads (CreateStack / UpdateTerminationProtection), not the construct.
      out[stack.node.id] = assembly.getStackArtifact(stack.artifactId).terminationProtection ?? false;
    }
  }
  return out;
}

describe('termination protection', () => {
  it('GIVEN the example config (no setting) WHEN synthesized THEN staging and shared stacks are protected and the Lambda stacks are not', async () => {
    expect(await protectionByStack()).toEqual({
      'TaegisStaging-us-east-1': true,
      'TaegisShared-us-east-1': true,
      'TaegisLambda-us-east-1-lab-network-lambda': false,
      'TaegisLambda-us-east-1-lab-alb-lambda': false,
      'TaegisStaging-eu-west-1': true,
      'TaegisShared-eu-west-1': true,
      'TaegisLambda-eu-west-1-lab-vpc-lambda': false,
    });
  });

  it('GIVEN "terminationProtection": false WHEN synthesized THEN no stack is protected', async () => {
    const byStack = await protectionByStack((raw) => (raw.terminationProtection = false));
    expect(Object.keys(byStack)).toHaveLength(7);
    expect(Object.values(byStack).every((p) => !p)).toBe(true);
  });

  it('GIVEN "terminationProtection": "no" (a string) WHEN parsed THEN bad input names the field and the fix', () => {
    let caught: unknown;
    try {
      exampleConfig((raw) => (raw.terminationProtection = 'no'));
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(TaegisError);
    const err = caught as TaegisError;
    expect(err.code).toBe('CONFIG_INVALID');
    expect(err.problems).toEqual([
      { path: 'terminationProtection', message: 'is not a boolean', fix: 'write true or false, without quotes' },
    ]);
  });
});
