import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { TaegisError, type Problem } from '../util/errors.js';
import { parseCfnYaml } from './cfn-yaml.js';
import { checkLambdaZip } from './zip.js';
import { DEFAULT_CODE_KEY, LAMBDA_PARAMETERS, SHARED_PARAMETERS } from '../facts/taegis.js';

/** Absolute paths of the four vendor downloads. */
export interface ArtifactPaths {
  readonly lambdaZip: string;
  readonly sharedTemplate: string;
  readonly lambdaTemplate: string;
  readonly credentials: string;
}

/** Where the vendor files are: the parsed config's `artifactsDir` and `artifactPaths` (lib/config fills them in). */
export interface ArtifactsLocation {
  /** Absolute path of the folder the files must sit in. */
  readonly artifactsDir: string;
  readonly artifactPaths: ArtifactPaths;
}

/** A template parameter as CloudFormation declares it (only what we check). */
export interface TemplateParameter {
  readonly Type?: string;
  readonly Default?: unknown;
  readonly AllowedValues?: readonly unknown[];
  readonly AllowedPattern?: string;
  readonly NoEcho?: unknown;
}

/** A vendor template, parsed once per synth and shared by every stack that includes it. */
export interface VendorTemplate {
  /** Absolute path of the file. */
  readonly file: string;
  /** The parsed template, exactly what `CfnInclude` includes. */
  readonly template: Readonly<Record<string, unknown>>;
  readonly parameters: Readonly<Record<string, TemplateParameter>>;
}

export interface LambdaVendorTemplate extends VendorTemplate {
  /** Logical ID of the template's one `AWS::Lambda::Function`. */
  readonly functionLogicalId: string;
}

/** The four vendor downloads, checked. */
export interface VendorArtifacts {
  readonly paths: ArtifactPaths;
  readonly shared: VendorTemplate;
  readonly lambda: LambdaVendorTemplate;
}

const REDOWNLOAD = 'download it again from the Taegis console (Integrations > Cloud Providers > AWS) into artifactsDir';

/** What inspecting the vendor files found: every problem, and each template that could still be read. */
export interface InspectedArtifacts {
  readonly paths: ArtifactPaths;
  readonly shared?: VendorTemplate;
  /** The Lambda template whenever it parsed, even if it fails a check (its parameters can still judge the config). */
  readonly lambdaTemplate?: VendorTemplate;
  /** The Lambda template when it passed every check. */
  readonly lambda?: LambdaVendorTemplate;
  readonly problems: readonly Problem[];
}

/**
 * Reads and checks the zip and both templates before anything is built. Returns every problem (the caller throws one
 * error for all of them) together with the templates that could be read, so the config can be checked against them in
 * the same round. `credentials.txt` is only checked when `requireCredentials` is set; its content is never read here.
 */
export async function inspectVendorArtifacts(
  config: ArtifactsLocation,
  options: { readonly requireCredentials?: boolean } = {},
): Promise<InspectedArtifacts> {
  const paths = config.artifactPaths;
  const problems: Problem[] = [];

  for (const [what, file] of [
    ['lambdaZip', paths.lambdaZip],
    ['sharedTemplate', paths.sharedTemplate],
    ['lambdaTemplate', paths.lambdaTemplate],
  ] as const) {
    // The staging bucket gets these files at its root under their own names, so they must sit directly in artifactsDir.
    if (path.dirname(file) !== path.resolve(config.artifactsDir)) {
      problems.push({
        path: `artifacts.${what}`,
        message: `"${file}" is not directly inside artifactsDir`,
        fix: 'move the file into artifactsDir and give only its name',
      });
    }
  }

  const zipProblem = existsSync(paths.lambdaZip)
    ? await checkLambdaZip(paths.lambdaZip)
    : { problem: 'does not exist', fix: REDOWNLOAD };
  if (zipProblem.problem)
    problems.push({
      path: paths.lambdaZip,
      message: zipProblem.problem,
      ...(zipProblem.fix ? { fix: zipProblem.fix } : {}),
    });

  const shared = readTemplate(paths.sharedTemplate, problems);
  if (shared) {
    requireParameters(shared, Object.values(SHARED_PARAMETERS), problems);
    const secret = shared.parameters[SHARED_PARAMETERS.secretValue];
    if (secret && !isTrue(secret.NoEcho)) {
      problems.push({
        path: `${shared.file}: Parameters.${SHARED_PARAMETERS.secretValue}`,
        message: 'is not NoEcho, so CloudFormation would show the credentials to anyone who can describe the stack',
        fix: 'use the vendor template unchanged (it declares NoEcho: true)',
      });
    }
  }

  const lambdaTemplate = readTemplate(paths.lambdaTemplate, problems);
  let lambda: LambdaVendorTemplate | undefined;
  if (lambdaTemplate) {
    requireParameters(lambdaTemplate, Object.values(LAMBDA_PARAMETERS), problems);
    const resources = (lambdaTemplate.template.Resources ?? {}) as Record<
      string,
      { Type?: unknown; Properties?: Record<string, unknown> }
    >;
    const functions = Object.entries(resources).filter(([, r]) => r?.Type === 'AWS::Lambda::Function');
    if (functions.length !== 1) {
      problems.push({
        path: `${lambdaTemplate.file}: Resources`,
        message: `declares ${functions.length} AWS::Lambda::Function resources (${functions.map(([id]) => id).join(', ') || 'none'}); exactly one is expected`,
        fix: 'use the vendor Lambda template unchanged (taegis-cloudformation-lambda-template.yaml)',
      });
    } else {
      const [functionLogicalId, fn] = functions[0]!;
      const code = fn.Properties?.Code as Record<string, unknown> | undefined;
      const key = typeof code?.S3Key === 'string' ? code.S3Key : DEFAULT_CODE_KEY;
      if (path.basename(paths.lambdaZip) !== key) {
        problems.push({
          path: paths.lambdaZip,
          message: `is staged under its own name, but the Lambda template reads the code from the object "${key}"`,
          fix: `rename the file to "${key}" (and remove "artifacts.lambdaZip" from the config)`,
        });
      }
      lambda = { ...lambdaTemplate, functionLogicalId };
    }
  }

  if (options.requireCredentials) {
    const problem = credentialsProblem(paths.credentials);
    if (problem) problems.push(problem);
  }

  return {
    paths,
    ...(shared ? { shared } : {}),
    ...(lambdaTemplate ? { lambdaTemplate } : {}),
    ...(lambda ? { lambda } : {}),
    problems,
  };
}

/**
 * Reads credentials.txt for the shared stack's `SecretValue`. The content is returned to the caller only; it is never
 * logged, put in an error, written to a file or passed on a command line.
 */
export function readCredentials(file: string): string {
  const problem = credentialsProblem(file);
  if (problem)
    throw new TaegisError('CREDENTIALS_MISSING', `${problem.path} ${problem.message}`, {
      ...(problem.fix ? { fix: problem.fix } : {}),
    });
  return readFileSync(file, 'utf8').replace(/\r?\n$/, '');
}

function credentialsProblem(file: string): Problem | undefined {
  const fix = `download credentials.txt from the Taegis console into ${path.dirname(file)} (it is ignored by git)`;
  if (!existsSync(file))
    return { path: file, message: 'does not exist (the shared stack needs it as SecretValue)', fix };
  if (!statSync(file).isFile()) return { path: file, message: 'is not a file', fix };
  if (readFileSync(file, 'utf8').trim() === '') return { path: file, message: 'is empty', fix };
  return undefined;
}

/** Reads and parses one vendor template; what is wrong with it goes to `problems`. */
export function readTemplate(file: string, problems: Problem[]): VendorTemplate | undefined {
  if (!existsSync(file)) {
    problems.push({ path: file, message: 'does not exist', fix: REDOWNLOAD });
    return undefined;
  }
  let parsed: unknown;
  try {
    parsed = parseCfnYaml(readFileSync(file, 'utf8'));
  } catch (err) {
    // The YAML reader adds "at line L, column C" to its message when asked to.
    (err as { makePretty?: () => void }).makePretty?.();
    problems.push({
      path: file,
      message: `is not CloudFormation YAML: ${(err as Error).message.split('\n')[0]!.replace(/:$/, '')}`,
      fix: 'download it again; if you edited it, fix the YAML at the line shown',
    });
    return undefined;
  }
  if (
    parsed === null ||
    typeof parsed !== 'object' ||
    Array.isArray(parsed) ||
    typeof (parsed as Record<string, unknown>).Resources !== 'object'
  ) {
    problems.push({
      path: file,
      message: 'is not a CloudFormation template (no "Resources" section)',
      fix: REDOWNLOAD,
    });
    return undefined;
  }
  const template = parsed as Record<string, unknown>;
  const parameters = (template.Parameters ?? {}) as Record<string, TemplateParameter>;
  return { file, template, parameters };
}

function requireParameters(t: VendorTemplate, names: readonly string[], problems: Problem[]): void {
  for (const name of names) {
    if (!(name in t.parameters)) {
      problems.push({
        path: `${t.file}: Parameters`,
        message: `does not declare the parameter "${name}" that taegis-migrate sets`,
        fix: `check that this is the right file (${path.basename(t.file)}) and that it is the vendor's current version`,
      });
    }
  }
}

function isTrue(v: unknown): boolean {
  return v === true || v === 'true' || v === 'True';
}

/**
 * A deployment package's hash as Lambda reports it in `CodeSha256`: the base64 SHA-256 of the zip's bytes. A function
 * whose CodeSha256 equals the vendor zip's runs that zip.
 */
export function lambdaCodeSha256(zip: Buffer): string {
  return createHash('sha256').update(zip).digest('base64');
}
