import * as path from 'node:path';
import { App, Annotations, type AppProps } from 'aws-cdk-lib';
import { withParsedTemplates } from './artifacts/cfn-yaml.js';
import { inspectVendorArtifacts, type VendorArtifacts } from './artifacts/vendor.js';
import { selectRegions, type TaegisConfig } from './config/load.js';
import { checkConfigAgainstTemplates } from './config/template-checks.js';
import { invalidInput } from './errors.js';
import { runAwsSolutionsChecks, type NagResult } from './nag.js';
import { LambdaStack, lambdaParameterValues } from './stacks/lambda-stack.js';
import { resolveFunctionName } from './monitoring/function-name.js';
import { monitoringStackId } from './monitoring/names.js';
import { MonitoringStack, type MonitoredFunction } from './stacks/monitoring-stack.js';
import { lambdaStackId, sharedStackId, stagingBucketName, stagingStackId } from './stacks/names.js';
import { SharedStack } from './stacks/shared-stack.js';
import { StagingStack } from './stacks/staging-stack.js';

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
}

/** One configured region's stacks. */
export interface RegionStacks {
  readonly region: string;
  readonly staging: StagingStack;
  readonly shared: SharedStack;
  readonly lambdas: readonly LambdaStack[];
  /** Alarms and dashboard for the region's functions, when the config has a `monitoring` section. */
  readonly monitoring?: MonitoringStack;
}

export interface TaegisApp {
  readonly app: App;
  readonly config: TaegisConfig;
  readonly artifacts: VendorArtifacts;
  readonly regions: readonly RegionStacks[];
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
  const regions = withParsedTemplates(templates, () =>
    selected.regions.map((r): RegionStacks => {
      const env = { account: r.account, region: r.region };
      const bucketName = stagingBucketName(r);
      const staging = new StagingStack(app, stagingStackId(r.region), {
        env,
        description: `taegis-migrate: staging bucket ${bucketName} with the Taegis Lambda package and templates`,
        bucketName,
        artifactsDir: selected.artifactsDir,
        // Checked above to sit directly in artifactsDir, so the base name is the object key at the bucket root.
        files: [artifacts.paths.lambdaZip, artifacts.paths.sharedTemplate, artifacts.paths.lambdaTemplate].map((f) =>
          path.basename(f),
        ),
      });
      const shared = new SharedStack(app, sharedStackId(r.region), {
        env,
        stackName: r.sharedStackName ?? selected.sharedStackName,
        template: artifacts.shared,
        taegisRegion: selected.taegisRegion,
      });
      const lambdas = r.lambdaStacks.map((s) => {
        const stack = new LambdaStack(app, lambdaStackId(r.region, s.stackName), {
          env,
          stackName: s.stackName,
          template: artifacts.lambda,
          lambdaStack: s,
          stagingBucketName: bucketName,
          runtime: selected.lambdaRuntime,
        });
        stack.addStackDependency(staging, 'the function code is read from the staging bucket');
        stack.addStackDependency(shared, 'the function reads the credentials the shared stack holds');
        if (runtimeWarning)
          Annotations.of(stack).addWarningV2('taegis-migrate:provided-al2-deprecated', runtimeWarning);
        return stack;
      });
      const monitoring = selected.monitoring
        ? monitoringStack(app, r, lambdas, artifacts, bucketName, selected.monitoring)
        : undefined;
      return { region: r.region, staging, shared, lambdas, ...(monitoring ? { monitoring } : {}) };
    }),
  );

  const nag =
    options.nag === false
      ? undefined
      : runAwsSolutionsChecks(
          regions.flatMap((r) => [r.staging, r.shared, ...r.lambdas, ...(r.monitoring ? [r.monitoring] : [])]),
        );
  return { app, config: selected, artifacts, regions, ...(nag ? { nag } : {}) };
}

/**
 * The region's `TaegisMonitoring-<region>` stack: deployed after the region's Lambda stacks (it watches their
 * functions), with each function's name worked out from the vendor template (see resolveFunctionName).
 */
function monitoringStack(
  app: App,
  r: TaegisConfig['regions'][number],
  lambdas: readonly LambdaStack[],
  artifacts: VendorArtifacts,
  stagingBucket: string,
  monitoring: NonNullable<TaegisConfig['monitoring']>,
): MonitoringStack {
  const fnProps = (artifacts.lambda.template.Resources as Record<string, { Properties?: Record<string, unknown> }>)[
    artifacts.lambda.functionLogicalId
  ]?.Properties;
  const defaults = Object.fromEntries(Object.entries(artifacts.lambda.parameters).map(([k, v]) => [k, v.Default]));
  const functions: MonitoredFunction[] = [];
  const unresolved: string[] = [];
  for (const s of r.lambdaStacks) {
    const functionName = resolveFunctionName(fnProps, {
      stackName: s.stackName,
      region: r.region,
      account: r.account,
      parameters: lambdaParameterValues(artifacts.lambda, s, stagingBucket),
      defaults,
    });
    if (functionName === undefined) unresolved.push(s.stackName);
    else functions.push({ stackName: s.stackName, functionName });
  }
  const stack = new MonitoringStack(app, monitoringStackId(r.region), {
    env: { account: r.account, region: r.region },
    description: `taegis-migrate: alarms and dashboard for the Taegis functions in ${r.region}`,
    functions,
    silenceMinutes: monitoring.silenceMinutes,
    emails: monitoring.emails,
    ...(monitoring.alarmTopicArn !== undefined ? { alarmTopicArn: monitoring.alarmTopicArn } : {}),
  });
  for (const l of lambdas) stack.addStackDependency(l, 'it watches the functions the Lambda stacks update');
  if (unresolved.length > 0) {
    Annotations.of(stack).addWarningV2(
      'taegis-migrate:monitoring-unresolved-function',
      `not monitored: the vendor template's FunctionName cannot be worked out at synth time for ${unresolved.join(', ')}`,
    );
  }
  return stack;
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
