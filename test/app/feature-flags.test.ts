import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { CURRENTLY_RECOMMENDED_FLAGS } from 'aws-cdk-lib/cx-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../lib/app/app.js';
import { cdkJsonContext } from '../../lib/config/cdk-json.js';
import { exampleConfig } from '../support/example.js';

/** Recommended flags cdk.json leaves out or sets the other way, each with its reason in docs/feature-flags.md. */
const NOT_AS_RECOMMENDED = [
  '@aws-cdk/aws-lambda:useCdkManagedLogGroup',
  '@aws-cdk/core:annotationsInValidationReport',
  '@aws-cdk/core:validateAgainstDefaultRules',
];

const outdirs: string[] = [];
afterAll(() => outdirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

/** Synthesizes the example app (both regions) as every command does (cdk.json's context), or without cdk.json's flags. */
async function synthTemplates(flags: 'cdk.json' | 'none'): Promise<Map<string, string>> {
  const outdir = mkdtempSync(path.join(tmpdir(), 'taegis-flags-test-'));
  outdirs.push(outdir);
  const built = await buildApp(exampleConfig(), {
    // analyticsReporting: the CLI adds AWS::CDK::Metadata, which a flag could change too.
    appProps: { outdir, analyticsReporting: true, builtinCloudFormationValidation: false },
    ...(flags === 'none' ? { cdkJsonContext: false } : {}),
  });
  const assembly = built.app.synth();
  return new Map(assembly.stacks.map((s) => [s.id, JSON.stringify(s.template)]));
}

describe('cdk.json feature flags', () => {
  const context = cdkJsonContext();

  it('GIVEN the pinned aws-cdk-lib WHEN cdk.json is read THEN it sets every recommended flag as recommended, but the documented exceptions', () => {
    const differing = Object.entries(CURRENTLY_RECOMMENDED_FLAGS)
      .filter(([flag, value]) => JSON.stringify(context[flag]) !== JSON.stringify(value))
      .map(([flag]) => flag)
      .sort();
    expect(differing).toEqual(NOT_AS_RECOMMENDED);
  });

  describe('GIVEN the example config', () => {
    let without: Map<string, string>;
    let withFlags: Map<string, string>;
    beforeAll(async () => {
      without = await synthTemplates('none');
      withFlags = await synthTemplates('cdk.json');
    });

    it('WHEN synthesized with and without the flags THEN every vendor (shared and Lambda) stack template is identical', () => {
      const vendorStacks = [...without.keys()].filter((id) => /^Taegis(Shared|Lambda)-/.test(id));
      expect(vendorStacks).toHaveLength(5);
      for (const id of vendorStacks) expect(withFlags.get(id), id).toBe(without.get(id));
    });

    it('WHEN synthesized with the flags THEN they are in effect (our staging stack writes the partition as a literal)', () => {
      const staging = 'TaegisStaging-us-east-1';
      const literalAssetArn = '"arn:aws:s3:::cdk-hnb659fds-assets-123456789012-us-east-1/*"';
      expect(without.get(staging)).not.toContain(literalAssetArn);
      expect(withFlags.get(staging)).toContain(literalAssetArn);
    });
  });
});
