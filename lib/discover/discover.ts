import {
  DescribeStacksCommand,
  GetTemplateCommand,
  paginateDescribeStacks,
  paginateListStackResources,
  paginateListStacks,
  type CloudFormationClient,
  type Stack,
  type StackStatus,
  type StackSummary,
} from '@aws-sdk/client-cloudformation';
import { DescribeRegionsCommand } from '@aws-sdk/client-ec2';
import { GetFunctionConfigurationCommand, paginateListFunctions } from '@aws-sdk/client-lambda';
import { GetBucketNotificationConfigurationCommand, type NotificationConfiguration } from '@aws-sdk/client-s3';
import type { AwsClientFactory } from '../aws/clients.js';
import { lambdaTargetMatch, parseLambdaArn } from '../aws/lambda-arn.js';
import { isAccessDenied, reasonOf } from '../aws/errors.js';
import { TaegisError } from '../util/errors.js';
import { readMigrationMarker, type MigrationMarker } from '../stacks/marker.js';
import { mapLimit } from '../util/concurrency.js';
import { LAMBDA_PARAMETERS, SHARED_PARAMETERS } from '../facts/taegis.js';
import {
  isSharedResourcesStack,
  matchesDescription,
  optionalParameter,
  parseVendorFunctionName,
  recognizeLambdaStack,
  resolveIntegration,
  type IntegrationSource,
  type RecognitionReason,
  type TemplateGeneration,
} from './recognize.js';

/** Whether the log bucket's event notifications reach the function today. */
export interface NotificationState {
  /**
   * `yes`: a Lambda notification targets the function itself; `qualified`: only entries for a version or alias of it
   * (`:$LATEST`, `:live`), which verify replaces as stale by one for the function itself (see `detail`); `via-sns`: a
   * topic notification targets the stack's `SNSNotificationarn`; `no`: none of these; `unknown`: could not be read.
   */
  readonly state: 'yes' | 'qualified' | 'via-sns' | 'no' | 'unknown';
  readonly detail?: string;
}

export interface DiscoveredLambdaStack {
  readonly region: string;
  readonly account?: string;
  readonly stackName: string;
  readonly status: string;
  readonly recognizedBy: readonly RecognitionReason[];
  readonly template: TemplateGeneration;
  readonly integrationType?: string;
  readonly integrationSource?: IntegrationSource;
  readonly notificationBucket?: string;
  readonly snsNotificationArn?: string;
  readonly notificationBucketKmsArn?: string;
  readonly lambdaEnvKmsArn?: string;
  readonly functionName?: string;
  readonly runtime?: string;
  /** The function's CodeSha256: the base64 SHA-256 of the deployment package it runs. */
  readonly codeSha256?: string;
  /**
   * Whether it runs the vendor zip given with `--vendor-zip`.
   * @default - not judged (no zip given)
   */
  readonly package?: 'current' | 'stale';
  readonly notified: NotificationState;
  /** Reads that failed for this stack (function, resources), each with its reason. */
  readonly problems: readonly string[];
}

export interface DiscoveredSharedStack {
  readonly region: string;
  readonly stackName: string;
  readonly status: string;
  /** The stack's `TaegisRegion` parameter (never `SecretValue`). */
  readonly taegisRegion?: string;
}

/** A stack discover could not read, listed with the reason rather than skipped. */
export interface UnreadableStack {
  readonly region: string;
  readonly stackName: string;
  readonly reason: string;
  /** True when its description alone already says it is a Taegis Lambda stack. */
  readonly looksLikeTaegis: boolean;
}

export interface RegionReport {
  /** The account read, when discover spans several (--organization). */
  readonly account?: string;
  readonly region: string;
  readonly lambdaStacks: readonly DiscoveredLambdaStack[];
  readonly sharedStacks: readonly DiscoveredSharedStack[];
  readonly unreadable: readonly UnreadableStack[];
  /** Active stacks that are neither. */
  readonly otherStacks: number;
  /** The region could not be listed at all (disabled region, denied ListStacks). */
  readonly error?: string;
  readonly warnings: readonly string[];
}

export interface DiscoverReport {
  readonly regions: readonly RegionReport[];
  /** With --organization: every account of the organization and whether it was read (never skipped in silence). */
  readonly accounts?: readonly AccountEntry[];
}

/** One account of the organization, as `discover --organization` saw it. */
export interface AccountEntry {
  readonly account: string;
  readonly name?: string;
  /** `read`: discovered; `not-entered`: its role could not be assumed; `skipped`: not ACTIVE or not in --accounts. */
  readonly state: 'read' | 'not-entered' | 'skipped';
  readonly reason?: string;
}

export interface DiscoverOptions {
  readonly regions: readonly string[];
  /**
   * Parallel reads per region.
   * @default 4
   */
  readonly concurrency?: number;
}

// Every status but DELETE_COMPLETE: a stack in any of these exists and may be one of ours.
const ACTIVE_STATUSES: StackStatus[] = [
  'CREATE_IN_PROGRESS',
  'CREATE_FAILED',
  'CREATE_COMPLETE',
  'ROLLBACK_IN_PROGRESS',
  'ROLLBACK_FAILED',
  'ROLLBACK_COMPLETE',
  'DELETE_IN_PROGRESS',
  'DELETE_FAILED',
  'UPDATE_IN_PROGRESS',
  'UPDATE_COMPLETE_CLEANUP_IN_PROGRESS',
  'UPDATE_COMPLETE',
  'UPDATE_FAILED',
  'UPDATE_ROLLBACK_IN_PROGRESS',
  'UPDATE_ROLLBACK_FAILED',
  'UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS',
  'UPDATE_ROLLBACK_COMPLETE',
  'REVIEW_IN_PROGRESS',
  'IMPORT_IN_PROGRESS',
  'IMPORT_COMPLETE',
  'IMPORT_ROLLBACK_IN_PROGRESS',
  'IMPORT_ROLLBACK_FAILED',
  'IMPORT_ROLLBACK_COMPLETE',
];

/**
 * The regions `--all-regions` means: those enabled for the account (EC2 DescribeRegions without
 * AllRegions returns only enabled ones), asked in `homeRegion`.
 */
export async function enabledRegions(clients: AwsClientFactory, homeRegion: string): Promise<string[]> {
  try {
    const out = await clients.ec2(homeRegion).send(new DescribeRegionsCommand({}));
    const names = (out.Regions ?? [])
      .filter((r) => r.OptInStatus !== 'not-opted-in')
      .map((r) => r.RegionName)
      .filter((n): n is string => typeof n === 'string' && n !== '');
    return [...new Set(names)].sort();
  } catch (err) {
    throw new TaegisError(
      'AWS_ERROR',
      `cannot list the account's regions (EC2 DescribeRegions in ${homeRegion}): ${reasonOf(err)}`,
      {
        fix: isAccessDenied(err)
          ? 'allow ec2:DescribeRegions, or name the regions with --regions us-east-1,eu-west-1'
          : 'check credentials and network, or name the regions with --regions',
        cause: err,
      },
    );
  }
}

/** Reads every region (read-only calls only: List*, Describe*, Get*) and reports what it found. */
export async function discover(clients: AwsClientFactory, options: DiscoverOptions): Promise<DiscoverReport> {
  const concurrency = options.concurrency ?? 4;
  const regions = await mapLimit(options.regions, 4, (region) => discoverRegion(clients, region, concurrency));
  return { regions };
}

function accountOf(stackId: string | undefined): string | undefined {
  return stackId?.split(':')[4];
}

function paramsOf(stack: Stack): Record<string, string> {
  const out: Record<string, string> = {};
  for (const p of stack.Parameters ?? []) {
    if (p.ParameterKey !== undefined) out[p.ParameterKey] = p.ParameterValue ?? '';
  }
  return out;
}

async function listStacks(cfn: CloudFormationClient): Promise<StackSummary[]> {
  const out: StackSummary[] = [];
  for await (const page of paginateListStacks({ client: cfn }, { StackStatusFilter: ACTIVE_STATUSES })) {
    out.push(...(page.StackSummaries ?? []));
  }
  // Nested stacks belong to their parent; the vendor's stacks are top-level.
  return out.filter((s) => s.ParentId === undefined && s.StackStatus !== 'DELETE_COMPLETE');
}

/**
 * Describes every stack: one paginated call when allowed, else one call per stack so that a denial on
 * some stacks (resource-level IAM) costs only those, each listed with its reason.
 */
async function describeAll(
  cfn: CloudFormationClient,
  summaries: readonly StackSummary[],
  concurrency: number,
): Promise<Map<string, Stack | { error: unknown }>> {
  const result = new Map<string, Stack | { error: unknown }>();
  try {
    for await (const page of paginateDescribeStacks({ client: cfn }, {})) {
      for (const s of page.Stacks ?? []) if (s.StackName) result.set(s.StackName, s);
    }
    return result;
  } catch (err) {
    if (!isAccessDenied(err)) throw err;
  }
  await mapLimit(summaries, concurrency, async (s) => {
    const name = s.StackName ?? '';
    try {
      const out = await cfn.send(new DescribeStacksCommand({ StackName: s.StackId ?? name }));
      const stack = out.Stacks?.[0];
      if (stack) result.set(name, stack);
    } catch (error) {
      result.set(name, { error });
    }
  });
  return result;
}

/** Names of functions in the region that follow the vendor's naming; empty (with a warning) when not allowed. */
async function vendorFunctionNames(clients: AwsClientFactory, region: string, warnings: string[]): Promise<string[]> {
  const names: string[] = [];
  try {
    for await (const page of paginateListFunctions({ client: clients.lambda(region) }, {})) {
      for (const f of page.Functions ?? []) {
        if (f.FunctionName && parseVendorFunctionName(f.FunctionName)) names.push(f.FunctionName);
      }
    }
  } catch (err) {
    warnings.push(`cannot list Lambda functions, so stacks are not recognised by function name here: ${reasonOf(err)}`);
  }
  return names;
}

async function stackFunctions(cfn: CloudFormationClient, stackName: string): Promise<string[]> {
  const names: string[] = [];
  for await (const page of paginateListStackResources({ client: cfn }, { StackName: stackName })) {
    for (const r of page.StackResourceSummaries ?? []) {
      if (r.ResourceType === 'AWS::Lambda::Function' && r.PhysicalResourceId) names.push(r.PhysicalResourceId);
    }
  }
  // The vendor-named function first: it is the one the triggers point at.
  return names.sort(
    (a, b) => Number(parseVendorFunctionName(b) !== undefined) - Number(parseVendorFunctionName(a) !== undefined),
  );
}

async function discoverRegion(clients: AwsClientFactory, region: string, concurrency: number): Promise<RegionReport> {
  const cfn = clients.cloudFormation(region);
  const warnings: string[] = [];
  const unreadableRegion = (otherStacks: number, err: unknown): RegionReport => ({
    region,
    lambdaStacks: [],
    sharedStacks: [],
    unreadable: [],
    otherStacks,
    error: reasonOf(err),
    warnings,
  });
  let summaries: StackSummary[];
  try {
    summaries = await listStacks(cfn);
  } catch (err) {
    return unreadableRegion(0, err);
  }
  let described: Map<string, Stack | { error: unknown }>;
  try {
    described = await describeAll(cfn, summaries, concurrency);
  } catch (err) {
    return unreadableRegion(summaries.length, err);
  }
  const fnPrefixes = new Set(
    (await vendorFunctionNames(clients, region, warnings)).map((n) => parseVendorFunctionName(n)?.prefix),
  );

  const unreadable: UnreadableStack[] = [];
  const shared: DiscoveredSharedStack[] = [];
  const candidates: { summary: StackSummary; stack: Stack }[] = [];
  let other = 0;
  for (const summary of summaries) {
    const name = summary.StackName ?? '';
    const entry = described.get(name);
    if (entry === undefined || 'error' in entry) {
      unreadable.push({
        region,
        stackName: name,
        reason: entry ? reasonOf(entry.error) : 'DescribeStacks did not return it',
        looksLikeTaegis: matchesDescription(summary.TemplateDescription),
      });
      continue;
    }
    const params = paramsOf(entry);
    if (isSharedResourcesStack(params)) {
      shared.push({
        region,
        stackName: name,
        status: entry.StackStatus ?? summary.StackStatus ?? 'UNKNOWN',
        ...(optionalParameter(params, SHARED_PARAMETERS.taegisRegion)
          ? { taegisRegion: optionalParameter(params, SHARED_PARAMETERS.taegisRegion) }
          : {}),
      });
      continue;
    }
    const description = entry.Description ?? summary.TemplateDescription;
    if (recognizeLambdaStack({ description, parameters: params }) || fnPrefixes.has(name))
      candidates.push({ summary, stack: entry });
    else other++;
  }

  const bucketCache = new Map<string, Promise<NotificationConfiguration>>();
  const lambdaStacks: DiscoveredLambdaStack[] = [];
  await mapLimit(candidates, concurrency, async ({ summary, stack }) => {
    const found = await describeLambdaStack(clients, region, summary, stack, bucketCache);
    if (found) lambdaStacks.push(found);
    else other++;
  });
  lambdaStacks.sort((a, b) => a.stackName.localeCompare(b.stackName));
  shared.sort((a, b) => a.stackName.localeCompare(b.stackName));
  unreadable.sort((a, b) => a.stackName.localeCompare(b.stackName));
  return { region, lambdaStacks, sharedStacks: shared, unreadable, otherStacks: other, warnings };
}

async function describeLambdaStack(
  clients: AwsClientFactory,
  region: string,
  summary: StackSummary,
  stack: Stack,
  bucketCache: Map<string, Promise<NotificationConfiguration>>,
): Promise<DiscoveredLambdaStack | undefined> {
  const name = stack.StackName ?? summary.StackName ?? '';
  const params = paramsOf(stack);
  const description = stack.Description ?? summary.TemplateDescription;
  const problems: string[] = [];
  let functionNames: string[] = [];
  try {
    functionNames = await stackFunctions(clients.cloudFormation(region), name);
  } catch (err) {
    problems.push(`cannot list the stack's resources: ${reasonOf(err)}`);
  }
  // A stack this tool migrated has its vendor parameters baked into the template: their values are in the marker the
  // deploy left in the template's Metadata. A stack that still has them needs no extra call.
  let marker: MigrationMarker | undefined;
  if (optionalParameter(params, LAMBDA_PARAMETERS.notificationBucket) === undefined) {
    try {
      const out = await clients.cloudFormation(region).send(new GetTemplateCommand({ StackName: name }));
      marker = readMigrationMarker(out?.TemplateBody);
    } catch (err) {
      problems.push(`cannot read the stack's template (for the taegis-migrate marker): ${reasonOf(err)}`);
    }
  }

  const functionName = functionNames[0];
  let runtime: string | undefined;
  let codeSha256: string | undefined;
  let functionArn: string | undefined;
  let environmentIntegration: string | undefined;
  if (functionName !== undefined) {
    try {
      const cfg = await clients
        .lambda(region)
        .send(new GetFunctionConfigurationCommand({ FunctionName: functionName }));
      runtime = cfg.Runtime ?? (cfg.PackageType === 'Image' ? 'container image' : undefined);
      functionArn = cfg.FunctionArn;
      codeSha256 = cfg.CodeSha256;
      environmentIntegration = cfg.Environment?.Variables?.INTEGRATION_TYPE;
    } catch (err) {
      problems.push(`cannot read function ${functionName}: ${reasonOf(err)}`);
    }
  }

  const facts = {
    description,
    parameters: params,
    functionNames,
    ...(marker ? { marker } : {}),
    ...(environmentIntegration !== undefined ? { environmentIntegration } : {}),
  };
  const recognition = recognizeLambdaStack(facts);
  // A stack named like a vendor function's prefix that does not own such a function is not ours.
  if (!recognition) return undefined;
  const integration = resolveIntegration(facts);

  const notificationBucket =
    optionalParameter(params, LAMBDA_PARAMETERS.notificationBucket) ?? marker?.notificationBucket;
  const snsNotificationArn =
    optionalParameter(params, LAMBDA_PARAMETERS.snsNotificationArn) ?? marker?.snsNotificationArn;
  const account = accountOf(stack.StackId ?? summary.StackId);
  const notified = await notificationState(
    clients,
    region,
    account,
    notificationBucket,
    functionName,
    functionArn,
    snsNotificationArn,
    bucketCache,
  );

  const notificationBucketKmsArn =
    optionalParameter(params, LAMBDA_PARAMETERS.notificationBucketKmsArn) ?? marker?.notificationBucketKmsArn;
  const lambdaEnvKmsArn = optionalParameter(params, LAMBDA_PARAMETERS.lambdaEnvKmsArn) ?? marker?.lambdaEnvKmsArn;
  return {
    region,
    ...(account ? { account } : {}),
    stackName: name,
    status: stack.StackStatus ?? summary.StackStatus ?? 'UNKNOWN',
    recognizedBy: recognition.reasons,
    template: recognition.template,
    ...(integration.value !== undefined
      ? { integrationType: integration.value, integrationSource: integration.source }
      : {}),
    ...(notificationBucket ? { notificationBucket } : {}),
    ...(snsNotificationArn ? { snsNotificationArn } : {}),
    ...(notificationBucketKmsArn ? { notificationBucketKmsArn } : {}),
    ...(lambdaEnvKmsArn ? { lambdaEnvKmsArn } : {}),
    ...(functionName !== undefined ? { functionName } : {}),
    ...(runtime !== undefined ? { runtime } : {}),
    ...(codeSha256 !== undefined ? { codeSha256 } : {}),
    notified,
    problems,
  };
}

async function notificationState(
  clients: AwsClientFactory,
  region: string,
  /** The stack's account: the bucket is read only as its owner's (ExpectedBucketOwner), never another account's. */
  account: string | undefined,
  bucket: string | undefined,
  functionName: string | undefined,
  functionArn: string | undefined,
  topicArn: string | undefined,
  cache: Map<string, Promise<NotificationConfiguration>>,
): Promise<NotificationState> {
  if (bucket === undefined) return { state: 'unknown', detail: 'the stack has no NotificationBucket parameter' };
  let config: NotificationConfiguration;
  try {
    let pending = cache.get(bucket);
    if (!pending) {
      pending = clients.s3(region).send(
        new GetBucketNotificationConfigurationCommand({
          Bucket: bucket,
          ...(account !== undefined ? { ExpectedBucketOwner: account } : {}),
        }),
      );
      cache.set(bucket, pending);
    }
    config = await pending;
  } catch (err) {
    return { state: 'unknown', detail: `cannot read the notifications of bucket ${bucket}: ${reasonOf(err)}` };
  }
  // Read as verify reads it (lambdaTargetMatch): an entry for a version or alias is not the function's trigger.
  const matchOf = (entryArn: string): 'exact' | 'qualified' | 'none' => {
    const byArn = functionArn !== undefined ? lambdaTargetMatch(entryArn, functionArn) : 'none';
    if (byArn !== 'none') return byArn;
    const p = parseLambdaArn(entryArn);
    if (functionName === undefined || p?.name !== functionName) return 'none';
    return p.qualifier === undefined ? 'exact' : 'qualified';
  };
  const entries = (config.LambdaFunctionConfigurations ?? []).map((c) => ({
    id: c.Id ?? '(no Id)',
    arn: c.LambdaFunctionArn ?? '',
    match: matchOf(c.LambdaFunctionArn ?? ''),
  }));
  if (entries.some((e) => e.match === 'exact')) return { state: 'yes' };
  const qualified = entries.filter((e) => e.match === 'qualified');
  if (qualified.length > 0) {
    const named = qualified.map(
      (e) => `${e.id} -> ${parseLambdaArn(e.arn)?.name ?? ''}:${parseLambdaArn(e.arn)?.qualifier ?? ''}`,
    );
    return {
      state: 'qualified',
      detail: `only a version or alias of the function is notified (${named.join(', ')}); verify replaces it with an entry for the function itself`,
    };
  }
  if (topicArn !== undefined && (config.TopicConfigurations ?? []).some((c) => c.TopicArn === topicArn)) {
    return { state: 'via-sns', detail: topicArn };
  }
  if (functionName === undefined) return { state: 'unknown', detail: 'the stack has no function to compare with' };
  return { state: 'no' };
}

/** Marks each function `current` or `stale` against the vendor zip's CodeSha256 (`--vendor-zip`). */
export function judgePackages(report: DiscoverReport, codeSha256: string): DiscoverReport {
  return {
    ...report,
    regions: report.regions.map((r) => ({
      ...r,
      lambdaStacks: r.lambdaStacks.map((s) =>
        s.codeSha256 === undefined ? s : { ...s, package: s.codeSha256 === codeSha256 ? 'current' : 'stale' },
      ),
    })),
  };
}
