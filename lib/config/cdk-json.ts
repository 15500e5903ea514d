import { readFileSync } from 'node:fs';
import * as path from 'node:path';

/** cdk.json of this project: the app's feature flags and bootstrap qualifier. */
export const CDK_JSON = path.join(import.meta.dirname, '..', '..', 'cdk.json');

/**
 * The `context` of cdk.json. `cdk synth` / `cdk deploy` pass it to the app themselves; `taegis-migrate plan` and
 * `taegis-migrate deploy` build the app in-process and pass it through `appProps.context`, so every command synthesizes
 * with the same feature flags.
 */
export function cdkJsonContext(file: string = CDK_JSON): Record<string, unknown> {
  const parsed = JSON.parse(readFileSync(file, 'utf8')) as { context?: Record<string, unknown> };
  return parsed.context ?? {};
}
