import { existsSync, readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { TaegisError } from '../errors.js';

/** One CloudFormation stack of a cloud assembly (`cdk.out`). */
export interface AssemblyStack {
  readonly artifactId: string;
  /** The CloudFormation stack name it deploys to. */
  readonly stackName: string;
  /** From the artifact's environment; undefined when environment-agnostic. */
  readonly account?: string;
  readonly region?: string;
  /** Absolute path of the synthesized template. */
  readonly templateFile: string;
}

interface ManifestArtifact {
  readonly type?: string;
  readonly environment?: string;
  readonly properties?: {
    readonly stackName?: string;
    readonly templateFile?: string;
    readonly directoryName?: string;
  };
}

function envPart(value: string | undefined): string | undefined {
  return value === undefined || value.startsWith('unknown-') ? undefined : value;
}

/**
 * Reads `manifest.json` of a cloud assembly (and of nested assemblies, which CDK Stages make) and lists its
 * CloudFormation stacks. Only the manifest's documented fields are used, so any CDK version's output works.
 */
export function readAssembly(dir: string): AssemblyStack[] {
  const abs = path.resolve(dir);
  const manifestFile = path.join(abs, 'manifest.json');
  if (!existsSync(manifestFile)) {
    throw new TaegisError('INPUT_INVALID', `${abs} is not a cloud assembly (no manifest.json)`, {
      fix: 'pass the output directory of "npx cdk synth" (cdk.out), or drop --assembly to let plan synthesize',
    });
  }
  let manifest: { artifacts?: Record<string, ManifestArtifact> };
  try {
    manifest = JSON.parse(readFileSync(manifestFile, 'utf8')) as typeof manifest;
  } catch (err) {
    throw new TaegisError('INPUT_INVALID', `${manifestFile} is not valid JSON: ${(err as Error).message}`, {
      fix: 'synthesize again with "npx cdk synth"',
    });
  }
  const stacks: AssemblyStack[] = [];
  for (const [artifactId, a] of Object.entries(manifest.artifacts ?? {})) {
    if (a.type === 'cdk:cloud-assembly' && a.properties?.directoryName) {
      stacks.push(...readAssembly(path.join(abs, a.properties.directoryName)));
      continue;
    }
    if (a.type !== 'aws:cloudformation:stack' || !a.properties?.templateFile) continue;
    const env = /^aws:\/\/([^/]+)\/(.+)$/.exec(a.environment ?? '');
    const account = envPart(env?.[1]);
    const region = envPart(env?.[2]);
    stacks.push({
      artifactId,
      stackName: a.properties.stackName ?? artifactId,
      ...(account ? { account } : {}),
      ...(region ? { region } : {}),
      templateFile: path.join(abs, a.properties.templateFile),
    });
  }
  return stacks;
}

/** Finds the synthesized stack that deploys to `stackName` in `region`. */
export function findStack(
  stacks: readonly AssemblyStack[],
  region: string,
  stackName: string,
  /** The target's account: a multi-account assembly has the same name and region once per account. */
  account?: string,
): AssemblyStack | undefined {
  const exact = stacks.filter(
    (s) =>
      s.stackName === stackName &&
      s.region === region &&
      (account === undefined || s.account === undefined || s.account === account),
  );
  if (exact.length > 0) return exact[0];
  // An environment-agnostic stack deploys wherever it is pointed: accept it when its name is unambiguous.
  const agnostic = stacks.filter((s) => s.stackName === stackName && s.region === undefined);
  return agnostic.length === 1 ? agnostic[0] : undefined;
}

/** CloudFormation's limit for an inline TemplateBody. */
export const MAX_TEMPLATE_BODY_BYTES = 51_200;

export function templateSize(file: string): number {
  return statSync(file).size;
}
