import type { AwsClientFactory } from '../aws/clients.js';
import type { MigrationConfig } from '../config/load.js';
import { TaegisError } from '../util/errors.js';
import { waitForLogs } from './checks/logs.js';
import { checkRuntimeAndHealth, type ExpectedPackage } from './checks/runtime-health.js';
import { checkStack } from './checks/stack.js';
import { limiter } from '../util/concurrency.js';
import {
  checkNamesOf,
  OPTIONAL_CHECK_NAMES,
  exitCodeOf,
  summarize,
  type BucketChange,
  type RegionReport,
  type StackResult,
  type VerifyReport,
} from './report.js';
import { checkSnsRoute } from './sns.js';
import { moveTriggers } from './trigger.js';
import { describeError, failed, record, SYSTEM_CLOCK, type Clock, type StackWork } from './work.js';
import { targetKey, type ExtraChecks } from './extra-checks.js';

export interface VerifyOptions {
  readonly config: MigrationConfig;
  /** Only these stacks (names already validated against the config). @default - all configured */
  readonly stacks?: readonly string[];
  readonly dryRun: boolean;
  /**
   * `verify --check`: a dry run in which anything that would be written, and no log line in the window, fails.
   * @default false
   */
  readonly check?: boolean;
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
  /** How the log wait pauses between polls; tests pass one that moves their clock. @default setTimeout */
  readonly sleep?: (ms: number) => Promise<void>;
  /**
   * The clients of each account (the assumed role's for an account that is not the caller's).
   * @default - the `clients` given to runVerify, for every account
   */
  readonly clientsFor?: (account: string) => AwsClientFactory;
  /**
   * Accounts that cannot be entered, with the reason: their stacks fail without a request, the others go on.
   * @default - none
   */
  readonly unreachable?: ReadonlyMap<string, string>;
  /** Progress while waiting for logs. @default - silent */
  readonly onProgress?: (p: { readonly done: number; readonly total: number; readonly secondsLeft: number }) => void;
  /**
   * The vendor zip the config stages: each function's CodeSha256 must be its hash (`package` check).
   * @default - no package check
   */
  readonly expectPackage?: ExpectedPackage;
  /**
   * Name the account in messages and reports even when these stacks are all in one account (one wave of a fleet).
   * @default - only when the config spans several accounts
   */
  readonly nameAccounts?: boolean;
  /** The optional `taegis` / `alarms` checks, run alongside the log wait (lib/verify/extra-checks.ts). @default none */
  readonly extraChecks?: ExtraChecks;
  /**
   * Receives, once at the start, a function that returns the report as it stands: what is done so far, the checks
   * not finished marked `interrupted`. The CLI writes it when Ctrl-C stops the run. @default - none
   */
  readonly onSnapshot?: (partial: (reason: string) => VerifyReport) => void;
}

/**
 * Runs every check for every configured stack: regions, buckets and stacks concurrently within `concurrency`
 * in-flight units of work. A failure in one stack, bucket or region is recorded and never stops the others.
 */
export async function runVerify(clients: AwsClientFactory, opts: VerifyOptions): Promise<VerifyReport> {
  const clock: Clock = { now: opts.now ?? SYSTEM_CLOCK.now, sleep: opts.sleep ?? SYSTEM_CLOCK.sleep };
  const now = clock.now;
  const started = now();
  const limit = limiter(opts.concurrency);
  const wanted = opts.stacks && opts.stacks.length > 0 ? new Set(opts.stacks) : undefined;
  const goneCache = new Map<string, Promise<boolean>>();
  // A bucket, stack or function is only ever reached with its own account's credentials.
  const clientsOf = (account: string): AwsClientFactory => opts.clientsFor?.(account) ?? clients;

  // In an organization every message that names a region names the account too.
  const fleet = opts.nameAccounts === true || new Set(opts.config.regions.map((r) => r.account)).size > 1;
  const regions = opts.config.regions.map((r) => ({
    account: r.account,
    region: r.region,
    // Configured stacks that --stack leaves out: their entries on a shared bucket must not be taken for stale.
    notSelected: r.lambdaStacks.filter((s) => wanted && !wanted.has(s.stackName)),
    works: r.lambdaStacks
      .filter((s) => !wanted || wanted.has(s.stackName))
      .map((s): StackWork => ({
        region: r.region,
        account: r.account,
        stackName: s.stackName,
        ...(fleet ? { place: `account ${r.account} region ${r.region}` } : {}),
        configBucket: s.notificationBucket,
        ...(s.trigger ? { trigger: s.trigger } : {}),
        ...(s.snsNotificationArn ? { snsTopicArn: s.snsNotificationArn } : {}),
        checks: new Map(),
      })),
    buckets: [] as BucketChange[],
  }));

  // Several accounts: grouped by account, then region. One account: the config's order, as always.
  const multiAccount = new Set(regions.map((r) => r.account)).size > 1;
  const assemble = (interrupted?: string): VerifyReport => {
    const ordered = multiAccount
      ? [...regions].sort((a, b) => a.account.localeCompare(b.account) || a.region.localeCompare(b.region))
      : regions;
    const reports: RegionReport[] = ordered.map((r) => ({
      ...(multiAccount ? { account: r.account } : {}),
      region: r.region,
      stacks: r.works.map((w) => toStackResult(w, interrupted !== undefined)),
      buckets: [...r.buckets].sort((a, b) => a.bucket.localeCompare(b.bucket)),
    }));
    const finished = now();
    return {
      tool: 'taegis-migrate verify',
      startedAt: started.toISOString(),
      finishedAt: finished.toISOString(),
      durationMs: finished.getTime() - started.getTime(),
      dryRun: opts.dryRun,
      ...(opts.check === true ? { check: true } : {}),
      expectRuntime: opts.expectRuntime,
      regions: reports,
      summary: summarize(reports),
      exitCode: exitCodeOf(reports),
      ...(interrupted !== undefined ? { interrupted } : {}),
    };
  };
  opts.onSnapshot?.(assemble);

  const allStacks: Promise<StackWork>[] = [];
  let barrier: Promise<void> | undefined;
  // No write anywhere until every stack's ARN has been checked against its configured account.
  const accountsChecked = (): Promise<void> =>
    (barrier ??= Promise.all(allStacks).then((works) => {
      const wrong = works.filter((w) => w.wrongAccount !== undefined);
      if (wrong.length === 0) return;
      throw new TaegisError(
        'INPUT_INVALID',
        `the config's account does not match the stacks: ${wrong
          .map((w) => `${w.stackName} (${w.region}) is in ${w.wrongAccount}, configured ${w.account}`)
          .join('; ')}; nothing was written`,
        { fix: 'correct "account" of those regions[] entries (the stack ARN names the right one)' },
      );
    }));

  await Promise.all(
    regions.map(async (r) => {
      // Stacks first (independently), then each bucket once all its stacks are known.
      const byBucket = new Map<string, Promise<StackWork>[]>();
      const unreachable = opts.unreachable?.get(r.account);
      for (const w of r.works) {
        if (unreachable !== undefined) {
          record(w, 'stack', now(), now, 'fail', `account ${r.account}: ${unreachable}`);
          allStacks.push(Promise.resolve(w));
          continue;
        }
        const p = limit(() =>
          checkStackAndFunction(clientsOf(r.account), w, opts.expectRuntime, now, goneCache, opts.expectPackage).catch(
            (err: unknown) => {
              // Whatever goes wrong stays with this stack; the others go on.
              const name = checkNamesOf(w.snsTopicArn !== undefined).find((c) => !w.checks.has(c)) ?? 'stack';
              record(w, name, now(), now, 'fail', describeError(err));
              return w;
            },
          ),
        );
        allStacks.push(p);
        const list = byBucket.get(w.configBucket) ?? [];
        list.push(p);
        byBucket.set(w.configBucket, list);
      }
      await Promise.all(
        [...byBucket.values()].map(async (ps) => {
          const works = await Promise.all(ps);
          await accountsChecked();
          // The bucket may differ from config only if config left it empty; group by the resolved one.
          const groups = new Map<string, StackWork[]>();
          for (const w of works) {
            const b = w.bucket ?? w.configBucket;
            groups.set(b, [...(groups.get(b) ?? []), w]);
          }
          for (const [bucket, ws] of groups) {
            const alsoHeld = r.notSelected.filter((s) => s.notificationBucket === bucket).map((s) => s.stackName);
            const change = await limit(() =>
              moveTriggers(clientsOf(r.account), r.region, bucket, ws, alsoHeld, opts, now, goneCache),
            );
            r.buckets.push(change);
            // Stacks whose bucket notifies a topic: their route is topic -> function, checked once the bucket is settled.
            await Promise.all(
              ws
                .filter((w) => w.snsTopicArn !== undefined)
                .map((w) => limit(() => checkSnsRoute(clientsOf, w, change.after ?? change.before, opts, now))),
            );
          }
        }),
      );
    }),
  );

  const allWorks = regions.flatMap((r) => r.works);
  const extra = opts.extraChecks?.(
    allWorks.map((w) => ({
      account: w.account,
      region: w.region,
      stackName: w.stackName,
      bucket: w.bucket ?? w.configBucket,
      ...(w.functionName ? { functionName: w.functionName } : {}),
      since: opts.since ?? w.stack?.LastUpdatedTime ?? w.stack?.CreationTime ?? new Date(0),
      blocked: failed(w),
    })),
  );
  const [, extraResults] = await Promise.all([waitForLogs(clientsOf, allWorks, opts, clock, limit), extra]);
  for (const w of allWorks) {
    for (const c of extraResults?.get(targetKey(w.account, w.region, w.stackName)) ?? []) w.checks.set(c.name, c);
  }

  return assemble();
}

/** A stack's checks; in a partial report (`interrupted`), one not finished and not skipped by a failure says so. */
function toStackResult(w: StackWork, interrupted = false): StackResult {
  const stopped = interrupted && !failed(w);
  const checks = checkNamesOf(w.snsTopicArn !== undefined).map(
    (name) =>
      w.checks.get(name) ?? {
        name,
        status: stopped ? ('interrupted' as const) : ('skip' as const),
        detail: stopped ? 'not finished: the run was interrupted (Ctrl-C)' : 'not run: an earlier check failed',
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

/** The stack check, then (when it passed) the runtime and health checks of its function. */
async function checkStackAndFunction(
  clients: AwsClientFactory,
  w: StackWork,
  expectRuntime: string,
  now: () => Date,
  knownFunctions: Map<string, Promise<boolean>>,
  expectPackage: ExpectedPackage | undefined,
): Promise<StackWork> {
  if (await checkStack(clients, w, now))
    await checkRuntimeAndHealth(clients, w, expectRuntime, now, knownFunctions, expectPackage);
  return w;
}
