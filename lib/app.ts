import * as path from 'node:path';
import { App, Annotations, type AppProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { withParsedTemplates } from './artifacts/cfn-yaml.js';
import { inspectVendorArtifacts, type VendorArtifacts } from './artifacts/vendor.js';
import { selectRegions, type TaegisConfig } from './config/load.js';
import type { RegionConfig } from './config/schema.js';
import { checkConfigAgainstTemplates } from './config/template-checks.js';
import { invalidInput } from './errors.js';
import { runAwsSolutionsChecks, type NagResult } from './nag.js';
import { LambdaStack } from './stacks/lambda-stack.js';
import { lambdaStackId, sharedStackId, stagingBucketName, stagingStackId } from './stacks/names.js';
import { SharedStack } from './stacks/shared-stack.js';
import { StagingStack } from './stacks/staging-stack.js';
import { addPipelineStack, type PipelineStack } from './stacks/pipeline-stack.js';
import { credentialsSecretFor, dynamicReference } from './secret/secret.js';

export interface BuildAppOptions {
  /**
   * The App to build into (the CDK entry point passes the one that read the CLI's context).
   * @default - a new App with `appProps`
   */
  readonly app?: App;
  /**
   * Props for the new App (tests set `outdir`).
   * @default - CDK defaults
   */
  readonly appProps?: AppProps;
  /**
   * Limit the app to these regions (`-c region=a,b`); each must be configured.
   * @default - every configured region
   */
  readonly regions?: readonly string[];
  /**
   * Run cdk-nag AwsSolutions.
   * @default true
   */
  readonly nag?: boolean;
  /**
   * Also check that credentials.txt exists and is not empty (`npm run deploy` sets this unless --exclusively).
   * @default false
   */
  readonly requireCredentials?: boolean;
  /**
   * Where warnings the user must not miss go (the provided.al2 deprecation), besides the stacks' annotations.
   * @default - nowhere
   */
  readonly warn?: (message: string) => void;
  /**
   * Today, for the deprecation message.
   * @default - the current date
   */
  readonly now?: Date;
  /**
   * Add the `TaegisPipeline` stack when the config has a `pipeline` section (`npm run plan`/`deploy` leave it out).
   * @default true
   */
  readonly pipeline?: boolean;
  /**
   * The config file's path in the repository, as the pipeline's synth step passes it to `cdk synth -c config=`.
   * @default - config `pipeline.configFile`, else the config file's base name
   */
  readonly pipelineConfigFile?: string;
}

/** One configured region's stacks. */
export interface RegionStacks {
  readonly region: string;
  readonly account: string;
  readonly staging: StagingStack;
  readonly shared: SharedStack;
  readonly lambdas: readonly LambdaStack[];
}

export interface TaegisApp {
  readonly app: App;
  readonly config: TaegisConfig;
  readonly artifacts: VendorArtifacts;
  readonly regions: readonly RegionStacks[];
  /** The `TaegisPipeline` stack, when the config has a `pipeline` section. */
  readonly pipeline?: PipelineStack;
  /** cdk-nag results; undefined when `nag` is false. */
  readonly nag?: NagResult;
}

/**
 * Validates the vendor artifacts and the config against them, then builds every stack `cdk deploy --all` needs.
 * Any problem throws one TaegisError listing all of them, before a single construct exists: nothing is synthesized.
 */
export async function buildApp(config: TaegisConfig, options: BuildAppOptions = {}): Promise<TaegisApp> {
  const selected = selectRegions(config, options.regions ?? []);
  const inspected = await inspectVendorArtifacts(selected, { requireCredentials: options.requireCredentials ?? false });
  const configProblems = checkConfigAgainstTemplates(selected, {
    shared: inspected.shared,
    lambda: inspected.lambdaTemplate,
  });
  // One error for everything: the files' problems and the config's, so one fix-and-retry round is enough.
  const problems = [...inspected.problems, ...configProblems];
  if (problems.length > 0 || !inspected.shared || !inspected.lambda) {
    const subject =
      inspected.problems.length === 0
        ? `config ${selected.configPath} does not fit the vendor templates`
        : configProblems.length === 0
          ? 'vendor artifacts'
          : `vendor artifacts and config ${selected.configPath}`;
    throw invalidInput(inspected.problems.length > 0 ? 'ARTIFACT_INVALID' : 'CONFIG_INVALID', subject, problems);
  }
  const artifacts: VendorArtifacts = { paths: inspected.paths, shared: inspected.shared, lambda: inspected.lambda };

  const app = options.app ?? new App(options.appProps);
  const runtimeWarning =
    selected.lambdaRuntime === 'provided.al2' ? runtimeDeprecationMessage(options.now ?? new Date()) : undefined;
  if (runtimeWarning) options.warn?.(runtimeWarning);

  const templates = new Map<string, unknown>([
    [artifacts.shared.file, artifacts.shared.template],
    [artifacts.lambda.file, artifacts.lambda.template],
  ]);
  const wiring: TargetWiring = { config: selected, artifacts, ...(runtimeWarning ? { runtimeWarning } : {}) };
  const regions = withParsedTemplates(templates, () => selected.regions.map((r) => addTargetStacks(app, r, wiring)));
  // The pipeline's stages are built by the same addTargetStacks, inside the same parse-once scope. It always spans
  // every target, so a synth limited to some regions (-c region=) leaves it out.
  const pipeline =
    selected.pipeline !== undefined && options.pipeline !== false && selected.regions.length === config.regions.length
      ? withParsedTemplates(templates, () =>
          addPipelineStack(app, selected.pipeline!, wiring, {
            configFile: options.pipelineConfigFile ?? path.basename(selected.configPath),
          }),
        )
      : undefined;

  const nag =
    options.nag === false
      ? undefined
      : runAwsSolutionsChecks([
          ...regions.flatMap((r) => [r.staging, r.shared, ...r.lambdas]),
          ...(pipeline ? [pipeline] : []),
        ]);
  return { app, config: selected, artifacts, regions, ...(pipeline ? { pipeline } : {}), ...(nag ? { nag } : {}) };
}

/** What every target's stacks are built from: the validated config and vendor files. */
export interface TargetWiring {
  readonly config: TaegisConfig;
  readonly artifacts: VendorArtifacts;
  /** The provided.al2 warning, put on every Lambda stack when set. */
  readonly runtimeWarning?: string;
}

/**
 * One target's staging, shared and Lambda stacks under `scope`: the App for `cdk deploy --all`, or a pipeline Stage.
 * The one copy of the stack wiring; construct ids and stack names are the same in both places, so a pipeline Stage
 * deploys to the very CloudFormation stacks `npm run deploy` made. Call inside `withParsedTemplates`.
 */
export function addTargetStacks(scope: Construct, r: RegionConfig, wiring: TargetWiring): RegionStacks {
  const { config, artifacts, runtimeWarning } = wiring;
  const env = { account: r.account, region: r.region };
  const bucketName = stagingBucketName(r);
  const staging = new StagingStack(scope, stagingStackId(r.region), {
    env,
    // Explicit, so a Stage does not prefix it with its own name (in an App the default is this same id).
    stackName: stagingStackId(r.region),
    description: `taegis-migrate: staging bucket ${bucketName} with the Taegis Lambda package and templates`,
    bucketName,
    artifactsDir: config.artifactsDir,
    // Checked above to sit directly in artifactsDir, so the base name is the object key at the bucket root.
    files: [artifacts.paths.lambdaZip, artifacts.paths.sharedTemplate, artifacts.paths.lambdaTemplate].map((f) =>
      path.basename(f),
    ),
  });
  const secret = credentialsSecretFor(config, r);
  const shared = new SharedStack(scope, sharedStackId(r.region), {
    env,
    stackName: r.sharedStackName ?? config.sharedStackName,
    template: artifacts.shared,
    taegisRegion: config.taegisRegion,
    ...(secret !== undefined ? { secretValue: dynamicReference(secret) } : {}),
  });
  const lambdas = r.lambdaStacks.map((s) => {
    const stack = new LambdaStack(scope, lambdaStackId(r.region, s.stackName), {
      env,
      stackName: s.stackName,
      template: artifacts.lambda,
      lambdaStack: s,
      stagingBucketName: bucketName,
      runtime: config.lambdaRuntime,
    });
    stack.addStackDependency(staging, 'the function code is read from the staging bucket');
    stack.addStackDependency(shared, 'the function reads the credentials the shared stack holds');
    if (runtimeWarning) Annotations.of(stack).addWarningV2('taegis-migrate:provided-al2-deprecated', runtimeWarning);
    return stack;
  });
  return { region: r.region, account: r.account, staging, shared, lambdas };
}

const DEPRECATED = '2026-06-30';
const CREATE_BLOCKED = '2026-07-31';
const UPDATE_BLOCKED = '2026-08-31';

/** The loud warning printed when `lambdaRuntime` is `provided.al2`, worded for today's date. */
export function runtimeDeprecationMessage(now: Date): string {
  const today = now.toISOString().slice(0, 10);
  const status =
    today >= UPDATE_BLOCKED
      ? `As of today (${today}) AWS blocks creating (since ${CREATE_BLOCKED}) and updating (since ${UPDATE_BLOCKED}) functions on provided.al2: the Lambda stack updates will likely fail.`
      : today >= CREATE_BLOCKED
        ? `As of today (${today}) AWS blocks creating functions on provided.al2; updating them is blocked from ${UPDATE_BLOCKED}.`
        : `AWS blocks creating functions on it from ${CREATE_BLOCKED} and updating them from ${UPDATE_BLOCKED}.`;
  return (
    `WARNING: lambdaRuntime is "provided.al2", which AWS deprecated on ${DEPRECATED}. ${status} ` +
    'Set "lambdaRuntime": "provided.al2023" in the config to run the vendor package on the supported runtime.'
  );
}
