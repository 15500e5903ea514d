import { existsSync, statSync } from 'node:fs';
import { CloudAssembly, CloudFormationStackArtifact, NestedCloudAssemblyArtifact } from 'aws-cdk-lib/cx-api';
import * as path from 'node:path';
import { TaegisError } from '../util/errors.js';

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

function envPart(value: string | undefined): string | undefined {
  return value === undefined || value.startsWith('unknown-') ? undefined : value;
}

/** Stacks in manifest order, each nested assembly's stacks where it appears (`stacksRecursively` sorts by dependency). */
function stacksInOrder(assembly: CloudAssembly): CloudFormationStackArtifact[] {
  const out: CloudFormationStackArtifact[] = [];
  for (const id of Object.keys(assembly.manifest.artifacts ?? {})) {
    const artifact = assembly.tryGetArtifact(id);
    if (CloudFormationStackArtifact.isCloudFormationStackArtifact(artifact)) out.push(artifact);
    else if (NestedCloudAssemblyArtifact.isNestedCloudAssemblyArtifact(artifact))
      out.push(...stacksInOrder(artifact.nestedAssembly));
  }
  return out;
}

/**
 * Lists the CloudFormation stacks of a cloud assembly (`cdk.out`), nested assemblies (CDK Stages) included, through
 * the CDK's own assembly reader, so the manifest is read and validated exactly as the CDK CLI reads it.
 */
export function readAssembly(dir: string): AssemblyStack[] {
  const abs = path.resolve(dir);
  if (!existsSync(path.join(abs, 'manifest.json'))) {
    throw new TaegisError('INPUT_INVALID', `${abs} is not a cloud assembly (no manifest.json)`, {
      fix: 'pass the output directory of "npx cdk synth" (cdk.out), or drop --assembly to let plan synthesize',
    });
  }
  let artifacts: CloudFormationStackArtifact[];
  try {
    // Our own CLI pins aws-cdk-lib with the app, but an assembly from another CDK version is still readable.
    // Nested manifests are read lazily, so the walk stays inside the try.
    artifacts = stacksInOrder(new CloudAssembly(abs, { skipVersionCheck: true }));
  } catch (err) {
    throw new TaegisError('INPUT_INVALID', `${abs} cannot be read as a cloud assembly: ${(err as Error).message}`, {
      fix: 'synthesize again with "npx cdk synth"',
    });
  }
  return artifacts.map((a) => {
    const account = envPart(a.environment.account);
    const region = envPart(a.environment.region);
    return {
      artifactId: a.id,
      stackName: a.stackName,
      ...(account ? { account } : {}),
      ...(region ? { region } : {}),
      templateFile: a.templateFullPath,
    };
  });
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
