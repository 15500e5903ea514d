import { DescribeStackResourcesCommand, DescribeStacksCommand, type Stack } from '@aws-sdk/client-cloudformation';
import { FilterLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import {
  AddPermissionCommand,
  GetFunctionConfigurationCommand,
  GetPolicyCommand,
  type FunctionConfiguration,
} from '@aws-sdk/client-lambda';
import {
  GetBucketNotificationConfigurationCommand,
  PutBucketNotificationConfigurationCommand,
} from '@aws-sdk/client-s3';
import type { AwsClientFactory } from '../aws/clients.js';
import { awsErrorName, isAccessDenied, reasonOf } from '../aws/errors.js';
import type { TaegisConfig } from '../config/load.js';
import { writeBackup } from './backup.js';
import { Masker } from '../util/masking.js';

import { limiter } from './limit.js';
import {
  describeEntry,
  notificationsFromResponse,
  parseLambdaArn,
  planBucketNotifications,
  sameNotifications,
  taegisFunctionsToCheck,
  type BucketNotifications,
} from './notifications.js';
import { desiredPermission, policyAllowsS3, type S3InvokePermission } from './permission.js';
import {
  CHECK_NAMES,
  OPTIONAL_CHECK_NAMES,
  exitCodeOf,
  summarize,
  type BucketChange,
  type CheckName,
  type CheckResult,
  type CheckStatus,
  type RegionReport,
  type StackResult,
  type VerifyReport,
} from './report.js';
import { runtimeWarning } from './runtime.js';
import { targetKey, type ExtraChecks } from './extra-checks.js';

const LOG_MASKER = new Masker();

/** The line every healthy Taegis function logs once it has shipped a batch. */
export const SUCCESS_LINE = 'Uploading data to s3';
/**
 * One pattern for both the success line and error-level lines, so each poll is one request. Real CloudWatch Logs
 * ORs `?` terms; lines are classified again on our side, so a backend that ignores the pattern is still right.
 */
// Only plain and quoted terms (the documented `?"a b" ?c` form, as aws-cdk's FilterPattern.anyTerm writes it): an
// invalid pattern would fail every poll on AWS, and moto cannot tell us.
export const LOG_FILTER_PATTERN = `?"${SUCCESS_LINE}" ?ERROR ?FATAL ?"level=error"`;
const ERROR_LINE = /\b(ERROR|FATAL|PANIC)\b|level["']?\s*[:=]\s*["']?(error|fatal)\b/;
const OK_STACK_STATUSES = new Set(['CREATE_COMPLETE', 'UPDATE_COMPLETE', 'IMPORT_COMPLETE']);

export interface VerifyOptions {
  readonly config: TaegisConfig;
  /** Only these stacks (names already validated against the config). @default - all configured */
  readonly stacks?: readonly string[];
  readonly dryRun: boolean;
  readonly expectRuntime: string;
  /** Seconds to wait for the success line; 0 looks once. */
  readonly logTimeoutSeconds: number;
  /** Log lines must be newer than this. @default - each stack's LastUpdatedTime (else CreationTime) */
  readonly since?: Date;
  readonly backupDir: string;
  readonly concurrency: number;
  /** @default 10000 */
  readonly pollIntervalMs?: number;
  /** @default () => new Date() */
  readonly now?: () => Date;
  /** Progress while waiting for logs. @default - silent */
  readonly onProgress?: (p: { readonly done: number; readonly total: number; readonly secondsLeft: number }) => void;
  /** The optional `taegis` / `alarms` checks, run alongside the log wait (lib/verify/extra-checks.ts). @default none */
  readonly extraChecks?: ExtraChecks;
}

/** Everything known about one stack while the run goes on. */
interface StackWork {
  readonly region: string;
  readonly account: string;
  readonly stackName: string;
  readonly configBucket: string;
  bucket?: string;
  stack?: Stack;
  functionName?: string;
  functionArn?: string;
  readonly checks: Map<CheckName, CheckResult>;
}

/**
 * Runs every check for every configured stack: regions, buckets and stacks concurrently within `concurrency`
 * in-flight units of work. A failure in one stack, bucket or region is recorded and never stops the others.
 */
export async function runVerify(clients: AwsClientFactory, opts: VerifyOptions): Promise<VerifyReport> {
  const now = opts.now ?? (() => new Date());
  const started = now();
  const limit = limiter(opts.concurrency);
  const wanted = opts.stacks && opts.stacks.length > 0 ? new Set(opts.stacks) : undefined;
  const goneCache = new Map<string, Promise<boolean>>();

  const regions = opts.config.regions.map((r) => ({
    region: r.region,
    // Configured stacks that --stack leaves out: their entries on a shared bucket must not be taken for stale.
    notSelected: r.lambdaStacks.filter((s) => wanted && !wanted.has(s.stackName)),
    works: r.lambdaStacks
      .filter((s) => !wanted || wanted.has(s.stackName))
      .map((s): StackWork => ({
        region: r.region,
        account: r.account,
        stackName: s.stackName,
        configBucket: s.notificationBucket,
        checks: new Map(),
      })),
    buckets: [] as BucketChange[],
  }));

  await Promise.all(
    regions.map(async (r) => {
      // Stacks first (independently), then each bucket once all its stacks are known.
      const byBucket = new Map<string, Promise<StackWork>[]>();
      for (const w of r.works) {
        const p = limit(() =>
          checkStackAndFunction(clients, w, opts, now, goneCache).catch((err: unknown) => {
            // Whatever goes wrong stays with this stack; the others go on.
            const name = CHECK_NAMES.find((c) => !w.checks.has(c)) ?? 'stack';
            record(w, name, now(), now, 'fail', describeError(err));
            return w;
          }),
        );
        const list = byBucket.get(w.configBucket) ?? [];
        list.push(p);
        byBucket.set(w.configBucket, list);
      }
      await Promise.all(
        [...byBucket.values()].map(async (ps) => {
          const works = await Promise.all(ps);
          // The bucket may differ from config only if config left it empty; group by the resolved one.
          const groups = new Map<string, StackWork[]>();
          for (const w of works) {
            const b = w.bucket ?? w.configBucket;
            groups.set(b, [...(groups.get(b) ?? []), w]);
          }
          for (const [bucket, ws] of groups) {
            const alsoHeld = r.notSelected.filter((s) => s.notificationBucket === bucket).map((s) => s.stackName);
            r.buckets.push(
              await limit(() => moveTriggers(clients, r.region, bucket, ws, alsoHeld, opts, now, goneCache)),
            );
          }
        }),
      );
    }),
  );

  const allWorks = regions.flatMap((r) => r.works);
  const extra = opts.extraChecks?.(
    allWorks.map((w) => ({
      region: w.region,
      stackName: w.stackName,
      bucket: w.bucket ?? w.configBucket,
      ...(w.functionName ? { functionName: w.functionName } : {}),
      since: opts.since ?? w.stack?.LastUpdatedTime ?? w.stack?.CreationTime ?? new Date(0),
      blocked: failed(w),
    })),
  );
  const [, extraResults] = await Promise.all([waitForLogs(clients, allWorks, opts, now, limit), extra]);
  for (const w of allWorks) {
    for (const c of extraResults?.get(targetKey(w.region, w.stackName)) ?? []) w.checks.set(c.name, c);
  }

  const reports: RegionReport[] = regions.map((r) => ({
    region: r.region,
    stacks: r.works.map(toStackResult),
    buckets: [...r.buckets].sort((a, b) => a.bucket.localeCompare(b.bucket)),
  }));
  const finished = now();
  return {
    tool: 'taegis-migrate verify',
    startedAt: started.toISOString(),
    finishedAt: finished.toISOString(),
    durationMs: finished.getTime() - started.getTime(),
    dryRun: opts.dryRun,
    expectRuntime: opts.expectRuntime,
    regions: reports,
    summary: summarize(reports),
    exitCode: exitCodeOf(reports),
  };
}

function toStackResult(w: StackWork): StackResult {
  const checks = CHECK_NAMES.map(
    (name) =>
      w.checks.get(name) ?? {
        name,
        status: 'skip' as const,
        detail: 'not run: an earlier check failed',
        warnings: [],
        startedAt: new Date(0).toISOString(),
        durationMs: 0,
      },
  );
  for (const name of OPTIONAL_CHECK_NAMES) {
    const c = w.checks.get(name);
    if (c) checks.push(c);
  }
  return {
    region: w.region,
    stackName: w.stackName,
    ...(w.functionName ? { functionName: w.functionName } : {}),
    ...(w.functionArn ? { functionArn: w.functionArn } : {}),
    ...(w.bucket ? { bucket: w.bucket } : {}),
    checks,
  };
}

function record(
  w: StackWork,
  name: CheckName,
  start: Date,
  now: () => Date,
  status: CheckStatus,
  detail: string,
  warnings: readonly string[] = [],
): void {
  w.checks.set(name, {
    name,
    status,
    detail,
    warnings,
    startedAt: start.toISOString(),
    durationMs: Math.max(0, now().getTime() - start.getTime()),
  });
}

function failed(w: StackWork): boolean {
  return [...w.checks.values()].some((c) => c.status === 'fail' || c.status === 'skip');
}

// The project's shared classification, so every command words AWS errors the same way.
function describeError(err: unknown): string {
  const reason = reasonOf(err);
  return isAccessDenied(err)
    ? `${reason} (the credentials in use lack a permission verify needs: see README "Verify")`
    : reason;
}
const errorName = awsErrorName;

async function checkStackAndFunction(
  clients: AwsClientFactory,
  w: StackWork,
  opts: VerifyOptions,
  now: () => Date,
  goneCache: Map<string, Promise<boolean>>,
): Promise<StackWork> {
  const cfn = clients.cloudFormation(w.region);
  let start = now();
  try {
    const described = await cfn.send(new DescribeStacksCommand({ StackName: w.stackName }));
    const stack = described.Stacks?.[0];
    if (!stack)
      throw Object.assign(new Error(`Stack with id ${w.stackName} does not exist`), { name: 'ValidationError' });
    w.stack = stack;
    const param = stack.Parameters?.find((p) => p.ParameterKey === 'NotificationBucket')?.ParameterValue;
    w.bucket = w.configBucket || param;
    const warnings: string[] = [];
    if (param && param !== w.configBucket) {
      warnings.push(
        `config notificationBucket "${w.configBucket}" differs from the stack's NotificationBucket "${param}"; using the config`,
      );
    }
    const status = stack.StackStatus ?? 'UNKNOWN';
    if (!OK_STACK_STATUSES.has(status)) {
      record(
        w,
        'stack',
        start,
        now,
        'fail',
        `${status}${stack.StackStatusReason ? `: ${stack.StackStatusReason}` : ''}`,
        warnings,
      );
      return w;
    }
    const resources = await cfn.send(new DescribeStackResourcesCommand({ StackName: w.stackName }));
    const fns = (resources.StackResources ?? []).filter(
      (r) => r.ResourceType === 'AWS::Lambda::Function' && r.PhysicalResourceId,
    );
    const fn = fns.find((r) => r.PhysicalResourceId!.includes('-scwx-tdr-lambda-')) ?? fns[0];
    if (!fn) {
      record(
        w,
        'stack',
        start,
        now,
        'fail',
        `${status}, but the stack has no AWS::Lambda::Function resource`,
        warnings,
      );
      return w;
    }
    w.functionName = fn.PhysicalResourceId!;
    const updated = stack.LastUpdatedTime ?? stack.CreationTime;
    record(
      w,
      'stack',
      start,
      now,
      'pass',
      `${status}${updated ? ` (last change ${updated.toISOString()})` : ''}, function ${w.functionName}`,
      warnings,
    );
  } catch (err) {
    const detail = /does not exist/.test((err as Error).message ?? '')
      ? `stack ${w.stackName} does not exist in ${w.region}`
      : describeError(err);
    record(w, 'stack', start, now, 'fail', detail);
    return w;
  }

  start = now();
  let fc: FunctionConfiguration;
  try {
    fc = await clients.lambda(w.region).send(new GetFunctionConfigurationCommand({ FunctionName: w.functionName }));
  } catch (err) {
    const detail =
      errorName(err) === 'ResourceNotFoundException'
        ? `function ${w.functionName} (from the stack's resources) does not exist`
        : describeError(err);
    record(w, 'runtime', start, now, 'fail', detail);
    record(w, 'health', start, now, 'skip', 'function not readable');
    return w;
  }
  w.functionArn = parseLambdaArn(fc.FunctionArn ?? '')?.unqualifiedArn ?? fc.FunctionArn;
  // Another bucket may point at this function: that answer is already in hand, do not ask again.
  if (w.functionArn && !goneCache.has(w.functionArn)) goneCache.set(w.functionArn, Promise.resolve(false));
  const runtime = fc.Runtime ?? fc.PackageType ?? 'unknown';
  const warn = runtimeWarning(runtime, now());
  if (runtime !== opts.expectRuntime) {
    record(
      w,
      'runtime',
      start,
      now,
      'fail',
      `runtime is ${runtime}, expected ${opts.expectRuntime}`,
      warn ? [warn] : [],
    );
  } else {
    record(w, 'runtime', start, now, warn ? 'warn' : 'pass', runtime, warn ? [warn] : []);
  }
  const state = fc.State ?? 'Active';
  const lastUpdate = fc.LastUpdateStatus;
  if (state !== 'Active') {
    const why = [fc.StateReasonCode, fc.StateReason].filter(Boolean).join(': ');
    record(
      w,
      'health',
      start,
      now,
      'fail',
      `State is ${state}${why ? ` (${why})` : ''}; fix the function's errors, redeploy, then re-run`,
    );
  } else if (lastUpdate === 'Failed') {
    const why = [fc.LastUpdateStatusReasonCode, fc.LastUpdateStatusReason].filter(Boolean).join(': ');
    record(
      w,
      'health',
      start,
      now,
      'fail',
      `LastUpdateStatus is Failed${why ? ` (${why})` : ''}; fix the function's errors, redeploy, then re-run`,
    );
  } else {
    record(w, 'health', start, now, 'pass', `State ${state}${lastUpdate ? `, LastUpdateStatus ${lastUpdate}` : ''}`);
  }
  return w;
}

/** Is a Taegis function gone? Cached: several buckets may point at the same old function. */
function isGone(clients: AwsClientFactory, arn: string, cache: Map<string, Promise<boolean>>): Promise<boolean> {
  let p = cache.get(arn);
  if (!p) {
    const parsed = parseLambdaArn(arn);
    p = clients
      .lambda(parsed?.region ?? 'us-east-1')
      .send(new GetFunctionConfigurationCommand({ FunctionName: arn }))
      .then(
        () => false,
        (err: unknown) => {
          if (errorName(err) === 'ResourceNotFoundException') return true;
          throw err;
        },
      );
    cache.set(arn, p);
  }
  return p;
}

function describePermission(p: S3InvokePermission): string {
  return `${p.functionName}: ${p.principal} may ${p.action} (Sid ${p.statementId}, SourceArn ${p.sourceArn}, SourceAccount ${p.sourceAccount})`;
}

/**
 * The trigger move for one bucket: read once, plan, check permissions and overlaps, back up, re-read, put once,
 * read back. Every stack on the bucket gets its `trigger` check from here.
 */
async function moveTriggers(
  clients: AwsClientFactory,
  region: string,
  bucket: string,
  works: readonly StackWork[],
  /** Stacks configured on this bucket but not in this run (--stack): their entries are left alone. */
  alsoHeld: readonly string[],
  opts: VerifyOptions,
  now: () => Date,
  goneCache: Map<string, Promise<boolean>>,
): Promise<BucketChange> {
  const start = now();
  const ready = works.filter((w) => !failed(w) && w.functionArn);
  const held = works.filter((w) => !ready.includes(w));
  const account = works[0]?.account ?? '';
  const base = { region, bucket, stacks: works.map((w) => w.stackName) };
  const empty = { kept: [], removed: [], added: [], permissionsAdded: [], warnings: [] };
  const setAll = (status: CheckStatus, detail: (w: StackWork) => string, warnings: readonly string[] = []): void => {
    for (const w of ready) record(w, 'trigger', start, now, status, detail(w), warnings);
  };
  if (ready.length === 0) {
    return {
      ...base,
      ...empty,
      outcome: 'skipped',
      detail: 'no stack on this bucket passed its earlier checks; nothing read or written',
    };
  }

  const s3 = clients.s3(region);
  const lambda = clients.lambda(region);
  let before: BucketNotifications | undefined;
  let backupFile: string | undefined;
  try {
    before = notificationsFromResponse(
      await s3.send(new GetBucketNotificationConfigurationCommand({ Bucket: bucket, ExpectedBucketOwner: account })),
    );
    const targets = ready.map((w) => ({ stackName: w.stackName, functionArn: w.functionArn! }));
    const toCheck = taegisFunctionsToCheck(before, targets);
    const goneList = await Promise.all(
      toCheck.map(async (arn) => ((await isGone(clients, arn, goneCache)) ? arn : undefined)),
    );
    const plan = planBucketNotifications({
      current: before,
      targets,
      goneFunctions: new Set(goneList.filter((a): a is string => a !== undefined)),
      heldStacks: [...held.map((w) => w.stackName), ...alsoHeld],
    });
    const kept = [
      ...plan.kept.map((k) => describeEntry(k.kind, k.entry)),
      ...plan.stacks
        .filter((s) => s.status === 'in-place')
        .map((s) => `${describeEntry('lambda', s.desired)} (${s.stackName}'s trigger, already in place)`),
    ];
    const removed = plan.removed.map(
      (r) =>
        `${describeEntry('lambda', r.entry)} (${r.reason === 'function-gone' ? 'function gone' : 'stale entry for this function'})`,
    );
    const added = plan.stacks.filter((s) => s.status === 'added').map((s) => describeEntry('lambda', s.desired));
    const warnings = [...plan.warnings];

    if (plan.overlaps.length > 0) {
      const why = plan.overlaps.map((o) => `${o.desired} overlaps ${o.conflictsWith}`).join('; ');
      setAll(
        'fail',
        () =>
          `refused, nothing written to ${bucket}: ${why} (real S3 rejects this as "ambiguously defined"); give the entries disjoint prefixes/suffixes or events, then re-run`,
      );
      return { ...base, kept, removed, added, permissionsAdded: [], warnings, outcome: 'refused', detail: why, before };
    }

    // Permission first: real S3 validates the destination on put.
    const partition = parseLambdaArn(ready[0]!.functionArn!)?.partition ?? 'aws';
    const bucketArn = `arn:${partition}:s3:::${bucket}`;
    const missing: { w: StackWork; perm: S3InvokePermission }[] = [];
    for (const w of ready) {
      if (!(await hasPermission(lambda, w.functionArn!, bucketArn, account))) {
        missing.push({ w, perm: desiredPermission(w.functionName!, bucketArn, account, bucket) });
      }
    }
    const permissionsAdded = missing.map((m) => describePermission(m.perm));
    const planned = { ...base, kept, removed, added, permissionsAdded, warnings, before };

    if (opts.dryRun) {
      if (!plan.changed && missing.length === 0) {
        setAll('pass', () => 'trigger and permission already in place; nothing to change');
        return { ...planned, outcome: 'unchanged', detail: 'already right', after: before };
      }
      for (const w of ready) {
        const s = plan.stacks.find((p) => p.stackName === w.stackName)!;
        const perm = missing.some((m) => m.w === w);
        const what = [
          s.status === 'added'
            ? `would add trigger ${s.desired.Id}${s.inheritedFrom ? ` (events and filter of ${s.inheritedFrom.Id})` : ''}`
            : 'trigger in place',
          perm ? 'would add the S3 invoke permission' : '',
          plan.removed.length > 0
            ? `would remove ${plan.removed.length} stale entr${plan.removed.length === 1 ? 'y' : 'ies'} on the bucket`
            : '',
        ].filter(Boolean);
        record(w, 'trigger', start, now, 'warn', `dry run: ${what.join('; ')}`);
      }
      return { ...planned, outcome: 'would-change', detail: 'dry run: nothing written', after: plan.merged };
    }

    for (const m of missing) await addPermission(lambda, m.perm, m.w.functionArn!, bucketArn, account);

    if (!plan.changed) {
      setAll('pass', (w) =>
        missing.some((m) => m.w === w)
          ? 'trigger already in place; added the S3 invoke permission'
          : 'trigger and permission already in place; nothing changed',
      );
      return {
        ...planned,
        outcome: missing.length > 0 ? 'changed' : 'unchanged',
        detail: missing.length > 0 ? 'permission added; configuration unchanged' : 'already right',
        after: before,
      };
    }

    backupFile = writeBackup(opts.backupDir, {
      region,
      bucket,
      account,
      savedAt: now().toISOString(),
      configuration: before,
    });
    const reread = notificationsFromResponse(
      await s3.send(new GetBucketNotificationConfigurationCommand({ Bucket: bucket, ExpectedBucketOwner: account })),
    );
    if (!sameNotifications(before, reread)) {
      setAll(
        'fail',
        () =>
          `aborted, nothing written to ${bucket}: its notification configuration changed while verify ran; re-run to plan again`,
      );
      return {
        ...planned,
        backupFile,
        outcome: 'aborted',
        detail: 'changed by someone else between read and write',
        after: reread,
      };
    }
    await s3.send(
      new PutBucketNotificationConfigurationCommand({
        Bucket: bucket,
        ExpectedBucketOwner: account,
        NotificationConfiguration: plan.merged,
      }),
    );
    const after = notificationsFromResponse(
      await s3.send(new GetBucketNotificationConfigurationCommand({ Bucket: bucket, ExpectedBucketOwner: account })),
    );
    if (!sameNotifications(plan.merged, after)) {
      setAll(
        'fail',
        () => `written, but reading ${bucket} back differs from what was put; compare with backup ${backupFile}`,
      );
      return { ...planned, backupFile, outcome: 'failed', detail: 'read-back differs from what was put', after };
    }
    for (const w of ready) {
      const s = plan.stacks.find((p) => p.stackName === w.stackName)!;
      const parts = [
        s.status === 'added'
          ? `added trigger ${s.desired.Id}${s.inheritedFrom ? ` (events and filter of ${s.inheritedFrom.Id})` : ''}`
          : 'trigger in place',
        missing.some((m) => m.w === w) ? 'added the S3 invoke permission' : '',
        plan.removed.length > 0
          ? `removed ${plan.removed.length} stale entr${plan.removed.length === 1 ? 'y' : 'ies'}`
          : '',
      ].filter(Boolean);
      record(w, 'trigger', start, now, 'pass', `${parts.join('; ')}; read back ok`, warnings);
    }
    return { ...planned, backupFile, outcome: 'changed', detail: 'configuration written and read back', after };
  } catch (err) {
    setAll('fail', () => `bucket ${bucket}: ${describeError(err)}`);
    return {
      ...base,
      ...empty,
      outcome: 'failed',
      detail: describeError(err),
      ...(before ? { before } : {}),
      // The backup may already be on disk when the put or read-back failed: say where, it is what a restore needs.
      ...(backupFile !== undefined ? { backupFile } : {}),
    };
  }
}

async function hasPermission(
  lambda: ReturnType<AwsClientFactory['lambda']>,
  functionArn: string,
  bucketArn: string,
  account: string,
): Promise<boolean> {
  try {
    const res = await lambda.send(new GetPolicyCommand({ FunctionName: functionArn }));
    return policyAllowsS3(res.Policy, bucketArn, account);
  } catch (err) {
    // No resource policy at all yet: an expected state, not an error.
    if (errorName(err) === 'ResourceNotFoundException') return false;
    throw err;
  }
}

async function addPermission(
  lambda: ReturnType<AwsClientFactory['lambda']>,
  p: S3InvokePermission,
  functionArn: string,
  bucketArn: string,
  account: string,
): Promise<void> {
  try {
    await lambda.send(
      new AddPermissionCommand({
        FunctionName: functionArn,
        StatementId: p.statementId,
        Action: p.action,
        Principal: p.principal,
        SourceArn: p.sourceArn,
        SourceAccount: p.sourceAccount,
      }),
    );
  } catch (err) {
    // A retried AddPermission whose first attempt landed conflicts with itself: fine if the statement now allows us.
    if (
      errorName(err) === 'ResourceConflictException' &&
      (await hasPermission(lambda, functionArn, bucketArn, account))
    )
      return;
    if (errorName(err) === 'ResourceConflictException') {
      throw new Error(
        `statement ${p.statementId} already exists on ${p.functionName} with other conditions; remove it (aws lambda remove-permission) and re-run`,
        { cause: err },
      );
    }
    throw err;
  }
}

interface LogWatch {
  readonly w: StackWork;
  readonly since: Date;
  readonly start: Date;
  readonly errors: Map<string, string>;
  groupSeen: boolean;
  /** Where the next scan starts: `since`, then moved up after each complete scan (less a margin for late events). */
  scanFrom: number;
  /** An unfinished scan's position, carried to the next round so a large group is read once, not from the top. */
  nextToken?: string;
  scanStartedAt?: number;
  found?: Date;
  failure?: string;
}

/**
 * Polls FilterLogEvents for every stack still waiting, one request (page) per stack per round, until each has
 * its success line or the timeout passes. A missing log group means "not yet".
 */
async function waitForLogs(
  clients: AwsClientFactory,
  works: readonly StackWork[],
  opts: VerifyOptions,
  now: () => Date,
  limit: <T>(fn: () => Promise<T>) => Promise<T>,
): Promise<void> {
  const watches: LogWatch[] = [];
  for (const w of works) {
    if (failed(w) || !w.functionName) continue;
    const since = opts.since ?? w.stack?.LastUpdatedTime ?? w.stack?.CreationTime ?? new Date(0);
    watches.push({ w, since, start: now(), errors: new Map(), groupSeen: false, scanFrom: since.getTime() });
  }
  const deadline = Date.now() + opts.logTimeoutSeconds * 1000;
  const interval = opts.pollIntervalMs ?? 10_000;
  for (;;) {
    const pending = watches.filter((x) => !x.found && !x.failure);
    await Promise.all(pending.map((x) => limit(() => pollOnce(clients, x))));
    const left = watches.filter((x) => !x.found && !x.failure).length;
    const msLeft = deadline - Date.now();
    opts.onProgress?.({
      done: watches.length - left,
      total: watches.length,
      secondsLeft: Math.max(0, Math.ceil(msLeft / 1000)),
    });
    if (left === 0 || msLeft <= 0) break;
    await new Promise((r) => setTimeout(r, Math.min(interval, msLeft)));
  }
  for (const x of watches) {
    const errs = [...x.errors.values()];
    const errWarn =
      errs.length > 0
        ? [`${errs.length} error-level line(s) since ${x.since.toISOString()}: ${errs.slice(0, 3).join(' | ')}`]
        : [];
    if (x.found) {
      record(
        x.w,
        'logs',
        x.start,
        now,
        errs.length > 0 ? 'warn' : 'pass',
        `"${SUCCESS_LINE}" at ${x.found.toISOString()}`,
        errWarn,
      );
    } else if (x.failure) {
      record(x.w, 'logs', x.start, now, 'fail', x.failure, errWarn);
    } else {
      const group = `/aws/lambda/${x.w.functionName}`;
      const why = x.groupSeen ? `no "${SUCCESS_LINE}" in ${group}` : `log group ${group} does not exist yet`;
      record(
        x.w,
        'logs',
        x.start,
        now,
        'fail',
        `${why} since ${x.since.toISOString()} (waited ${opts.logTimeoutSeconds} s); check the trigger and new objects in the bucket, or raise --log-timeout`,
        errWarn,
      );
    }
  }
}

/** CloudWatch Logs may ingest an event minutes after its timestamp: rescans overlap by this much. */
const INGESTION_MARGIN_MS = 5 * 60_000;

async function pollOnce(clients: AwsClientFactory, x: LogWatch): Promise<void> {
  const logs = clients.logs(x.w.region);
  try {
    for (let page = 0; page < 10; page++) {
      if (x.nextToken === undefined) x.scanStartedAt = Date.now();
      const res = await logs.send(
        new FilterLogEventsCommand({
          logGroupName: `/aws/lambda/${x.w.functionName}`,
          startTime: x.scanFrom,
          filterPattern: LOG_FILTER_PATTERN,
          ...(x.nextToken ? { nextToken: x.nextToken } : {}),
        }),
      );
      x.groupSeen = true;
      for (const e of res.events ?? []) {
        const msg = e.message ?? '';
        const ts = e.timestamp ?? 0;
        if (ts < x.since.getTime()) continue;
        if (msg.includes(SUCCESS_LINE)) {
          if (!x.found || ts < x.found.getTime()) x.found = new Date(ts);
        } else if (ERROR_LINE.test(msg)) {
          // Function logs can carry tokens or auth headers: mask before a line reaches the table, JSON or JUnit.
          x.errors.set(
            e.eventId ?? `${ts}:${msg}`,
            `${new Date(ts).toISOString()} ${LOG_MASKER.mask(msg.trim()).slice(0, 200)}`,
          );
        }
      }
      x.nextToken = res.nextToken;
      if (x.found) return;
      if (!x.nextToken) {
        // A complete scan found nothing: later scans need not read older events again.
        x.scanFrom = Math.max(x.since.getTime(), (x.scanStartedAt ?? Date.now()) - INGESTION_MARGIN_MS);
        return;
      }
    }
  } catch (err) {
    x.nextToken = undefined;
    if (errorName(err) === 'ResourceNotFoundException') return;
    x.failure = `reading /aws/lambda/${x.w.functionName}: ${describeError(err)}`;
  }
}
