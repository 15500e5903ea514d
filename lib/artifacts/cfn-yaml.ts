import { createRequire } from 'node:module';
import * as path from 'node:path';

/**
 * Access to the two pieces of aws-cdk-lib's `cloudformation-include` that are not exported: its CloudFormation YAML
 * reader (so our validation sees exactly the object `CfnInclude` will include) and the hook `CfnInclude` reads its
 * template through (so a template parsed once can be included by many stacks without being parsed again).
 *
 * aws-cdk-lib is pinned. If an upgrade moves the hook, `CfnInclude` simply reads the file itself (slower, same
 * result); if it moves the reader, parsing fails loudly instead of parsing differently.
 */
const require = createRequire(import.meta.url);
const CDK_ROOT = path.dirname(require.resolve('aws-cdk-lib/package.json'));

interface YamlCfnModule {
  deserialize(text: string): unknown;
}
interface FileUtilsModule {
  readYamlSync: (file: string) => unknown;
}

function tryRequire<T>(rel: string, check: (m: T) => boolean): T | undefined {
  try {
    const mod = require(path.join(CDK_ROOT, rel)) as T;
    return check(mod) ? mod : undefined;
  } catch {
    return undefined;
  }
}

const yamlCfn = tryRequire<YamlCfnModule>(
  'cloudformation-include/lib/private/yaml-cfn.js',
  (m) => typeof m.deserialize === 'function',
);
const fileUtils = tryRequire<FileUtilsModule>(
  'cloudformation-include/lib/file-utils.js',
  (m) => typeof m.readYamlSync === 'function',
);

let parses = 0;
/** How many templates this process has parsed (tests and the benchmark check "once per synth"). */
export const templateParseCount = (): number => parses;

/** Parses CloudFormation YAML or JSON, short-form tags (`!Ref`, `!Sub`, `!GetAtt`, ...) included. Throws on bad syntax. */
export function parseCfnYaml(text: string): unknown {
  parses += 1;
  if (!yamlCfn) {
    // aws-cdk-lib is pinned; this only happens if an upgrade moved the reader. Fail loudly rather than parse differently.
    throw new Error(
      `aws-cdk-lib at ${CDK_ROOT} has no cloudformation-include/lib/private/yaml-cfn.js; update lib/artifacts/cfn-yaml.ts`,
    );
  }
  return yamlCfn.deserialize(text);
}

/** A CloudFormation template as plan reads it (only what it looks at). */
export interface CfnTemplate {
  readonly Parameters?: Readonly<
    Record<string, { readonly Type?: string; readonly Default?: unknown; readonly NoEcho?: unknown }>
  >;
  readonly Resources?: Readonly<Record<string, unknown>>;
}

/**
 * Parses a template body as CloudFormation returns it or the CDK writes it: JSON directly (large synthesized
 * templates, no YAML reader needed), anything else through {@link parseCfnYaml}.
 */
export function parseCfnTemplate(body: string): CfnTemplate {
  if (body.trimStart().startsWith('{')) return JSON.parse(body) as CfnTemplate;
  return parseCfnYaml(body) as CfnTemplate;
}

/**
 * Runs `build` while `CfnInclude` receives `templates` (absolute path -> parsed template) instead of re-reading and
 * re-parsing those files. Each include gets its own deep copy, so no two stacks share mutable template state.
 * Files not in the map are read as usual.
 */
export function withParsedTemplates<T>(templates: ReadonlyMap<string, unknown>, build: () => T): T {
  if (!fileUtils) return build();
  const utils = fileUtils;
  const original = utils.readYamlSync;
  utils.readYamlSync = (file: string) => {
    const parsed = templates.get(path.resolve(file));
    return parsed === undefined ? original(file) : structuredClone(parsed);
  };
  try {
    return build();
  } finally {
    utils.readYamlSync = original;
  }
}

/** True when the included-template hook is available (reported by the benchmark). */
export const parsedTemplateHookAvailable = fileUtils !== undefined;
