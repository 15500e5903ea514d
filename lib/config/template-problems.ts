import * as path from 'node:path';
import { readTemplate, type VendorTemplate } from '../artifacts/vendor.js';
import { LAMBDA_PARAMETERS, normalizeTaegisRegion, SHARED_PARAMETERS } from '../facts/taegis.js';
import type { Problem } from '../util/errors.js';
import { ArtifactNamesSchema, deriveTaegisRegion } from './schema.js';
import { parameterProblem } from './template-checks.js';

/*
 * When the schema rejects a file, the values the vendor templates judge (each `integrationType`, the Taegis region)
 * are checked against the templates' `AllowedValues` as well, so the one error lists those problems too instead of
 * leaving them for a second fix-and-retry round. On a valid file the full checks run in `buildApp`.
 */

type Raw = Record<string, unknown>;
const asRecord = (v: unknown): Raw | undefined =>
  typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Raw) : undefined;
const asString = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

/** Best effort over a config the schema rejected: templates that cannot be read are skipped (buildApp reports them). */
export function templateProblemsOfRawConfig(raw: unknown, configPath: string): Problem[] {
  const cfg = asRecord(raw);
  if (!cfg) return [];
  const names = ArtifactNamesSchema.safeParse(cfg.artifacts ?? {});
  if (!names.success) return [];
  const dir = path.resolve(path.dirname(configPath), asString(cfg.artifactsDir) ?? './artifacts');
  // Template problems are buildApp's to report once the config is valid; here a bad template is just skipped.
  const shared = readTemplate(path.join(dir, names.data.sharedTemplate), []);
  const lambda = readTemplate(path.join(dir, names.data.lambdaTemplate), []);
  const problems: Problem[] = [];
  const check = (t: VendorTemplate | undefined, parameter: string, value: string | undefined, at: string): void => {
    if (t === undefined || value === undefined) return;
    const p = parameterProblem(t, parameter, t.parameters[parameter], value, at);
    if (p) problems.push(p);
  };
  const url = asString(cfg.xdrLoginUrl);
  const given = asString(cfg.taegisRegion);
  const taegisRegion =
    given !== undefined ? normalizeTaegisRegion(given) : url !== undefined ? deriveTaegisRegion(url) : undefined;
  check(shared, SHARED_PARAMETERS.taegisRegion, taegisRegion, url !== undefined ? 'xdrLoginUrl' : 'taegisRegion');
  const regions = Array.isArray(cfg.regions) ? (cfg.regions as unknown[]) : [];
  regions.forEach((r, i) => {
    const stacks = asRecord(r)?.lambdaStacks;
    if (!Array.isArray(stacks)) return;
    (stacks as unknown[]).forEach((s, j) => {
      const at = `regions[${i}].lambdaStacks[${j}].integrationType`;
      check(lambda, LAMBDA_PARAMETERS.integrationType, asString(asRecord(s)?.integrationType), at);
    });
  });
  return problems;
}
