import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { buildApp } from '../../lib/app/app.js';
import type { MigrationConfig } from '../../lib/config/load.js';
import { EXAMPLE_DIR } from './example.js';

const LAMBDA_TEMPLATE = 'taegis-cloudformation-lambda-template.yaml';

/**
 * A vendor artifacts folder at `dir`: the example zip, shared template and credentials, and as the Lambda template
 * either the example one or `lambdaTemplate` (written as JSON, which is YAML), e.g. one whose logical IDs match
 * what a test seeded into moto. Returns `dir`.
 */
export function vendorArtifacts(dir: string, lambdaTemplate?: Record<string, unknown>): string {
  mkdirSync(dir, { recursive: true });
  for (const f of ['taegis-lambda-amd64.zip', 'taegis-cloudformation-shared-resources.yaml', 'credentials.txt'])
    copyFileSync(path.join(EXAMPLE_DIR, f), path.join(dir, f));
  if (lambdaTemplate === undefined)
    copyFileSync(path.join(EXAMPLE_DIR, LAMBDA_TEMPLATE), path.join(dir, LAMBDA_TEMPLATE));
  else writeFileSync(path.join(dir, LAMBDA_TEMPLATE), JSON.stringify(lambdaTemplate, null, 2));
  return dir;
}

/**
 * Synthesizes the real app (what bin/cdk-app.ts builds for `cdk synth`, with cdk.json's context) in-process into
 * `outdir` and returns the cloud assembly directory; `flags: 'none'` builds it without cdk.json's context (no feature
 * flag), as a stack deployed without the flags was built, which the flagged app must plan as no change. cdk-nag is
 * skipped: it judges the stacks, not what plan reads from them.
 */
export async function synthApp(
  config: MigrationConfig,
  outdir: string,
  flags: 'cdk.json' | 'none' = 'cdk.json',
): Promise<string> {
  const built = await buildApp(config, {
    appProps: { outdir },
    nag: false,
    ...(flags === 'none' ? { cdkJsonContext: false } : {}),
  });
  return built.app.synth().directory;
}
