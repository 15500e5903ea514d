import * as path from 'node:path';
import { Annotations } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import type { VendorArtifacts } from '../artifacts/vendor.js';
import type { MigrationConfig } from '../config/load.js';
import type { RegionConfig } from '../config/schema.js';
import { failedEventsFor } from '../config/failed-events.js';
import { failedEventsQueueName } from '../monitoring/failed-events.js';
import { resolveFunctionName } from '../monitoring/function-name.js';
import { credentialsSecretFor, dynamicReference } from '../secret/secret.js';
import { LambdaStack, lambdaParameterValues } from './lambda-stack.js';
import { MonitoringStack, type MonitoredFunction } from './monitoring-stack.js';
import {
  lambdaStackId,
  monitoringStackId,
  monitoringStackName,
  sharedStackId,
  stagingBucketName,
  stagingStackId,
  stagingStackName,
  type IdScope,
} from './names.js';
import { SharedStack } from './shared-stack.js';
import { StagingStack } from './staging-stack.js';

/** One configured region's stacks. */
export interface RegionStacks {
  readonly account: string;
  readonly region: string;
  readonly staging: StagingStack;
  readonly shared: SharedStack;
  readonly lambdas: readonly LambdaStack[];
  /** Alarms and dashboard for the region's functions, when the config has a `monitoring` section. */
  readonly monitoring?: MonitoringStack;
}

/** What every target's stacks are built from: the validated config and vendor files. */
export interface TargetWiring {
  readonly config: MigrationConfig;
  readonly artifacts: VendorArtifacts;
  /**
   * The account to put into construct ids, decided on the whole config (lib/stacks/names.ts), so ids do not change
   * with a `-c account=` / `-c region=` selection.
   */
  readonly idScopeOf: (account: string) => IdScope;
}

/**
 * One target's staging, shared, Lambda (and monitoring) stacks under `scope`: the App for `cdk deploy --all`, or a
 * pipeline Stage. The one copy of the stack wiring; construct ids and stack names are the same in both places, so a
 * pipeline Stage deploys to the very CloudFormation stacks `taegis-migrate deploy` made. Call inside `withParsedTemplates`.
 */
export function addTargetStacks(scope: Construct, r: RegionConfig, wiring: TargetWiring): RegionStacks {
  const { config, artifacts } = wiring;
  const env = { account: r.account, region: r.region };
  const ids = wiring.idScopeOf(r.account);
  const bucketName = stagingBucketName(r);
  const staging = new StagingStack(scope, stagingStackId(r.region, ids), {
    env,
    // Explicit, so a Stage does not prefix it with its own name (in an App the default is this same id).
    stackName: stagingStackName(r.region),
    description: `taegis-migrate: staging bucket ${bucketName} with the Taegis Lambda package and templates`,
    bucketName,
    terminationProtection: config.terminationProtection,
    artifactsDir: config.artifactsDir,
    // Checked above to sit directly in artifactsDir, so the base name is the object key at the bucket root.
    files: [artifacts.paths.lambdaZip, artifacts.paths.sharedTemplate, artifacts.paths.lambdaTemplate].map((f) =>
      path.basename(f),
    ),
  });
  const secret = credentialsSecretFor(config, r);
  const shared = new SharedStack(scope, sharedStackId(r.region, ids), {
    env,
    stackName: r.sharedStackName ?? config.sharedStackName,
    template: artifacts.shared,
    taegisRegion: config.taegisRegion,
    terminationProtection: config.terminationProtection,
    ...(secret !== undefined ? { secretValue: dynamicReference(secret) } : {}),
  });
  const lambdas = r.lambdaStacks.map((s) => {
    const stack = new LambdaStack(scope, lambdaStackId(r.region, s.stackName, ids), {
      env,
      stackName: s.stackName,
      template: artifacts.lambda,
      lambdaStack: s,
      stagingBucketName: bucketName,
      runtime: config.lambdaRuntime,
      failedEvents: failedEventsFor(config, s),
    });
    stack.addStackDependency(staging, 'the function code is read from the staging bucket');
    stack.addStackDependency(shared, 'the function reads the credentials the shared stack holds');
    return stack;
  });
  const monitoring = config.monitoring
    ? monitoringStack(scope, r, ids, lambdas, artifacts, bucketName, config.monitoring)
    : undefined;
  return { account: r.account, region: r.region, staging, shared, lambdas, ...(monitoring ? { monitoring } : {}) };
}

/**
 * The region's `TaegisMonitoring-<region>` stack: deployed after the region's Lambda stacks (it watches their
 * functions), with each function's name worked out from the vendor template (see resolveFunctionName).
 */
function monitoringStack(
  app: Construct,
  r: MigrationConfig['regions'][number],
  scope: IdScope,
  lambdas: readonly LambdaStack[],
  artifacts: VendorArtifacts,
  stagingBucket: string,
  monitoring: NonNullable<MigrationConfig['monitoring']>,
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
    else
      functions.push({
        stackName: s.stackName,
        functionName,
        // The queue's name is known at synth time: no cross-stack reference to the Lambda stack.
        ...(lambdas.find((l) => l.stackName === s.stackName)?.failedEvents
          ? { failedEventsQueueName: failedEventsQueueName(s.stackName) }
          : {}),
      });
  }
  const stack = new MonitoringStack(app, monitoringStackId(r.region, scope), {
    env: { account: r.account, region: r.region },
    stackName: monitoringStackName(r.region),
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
