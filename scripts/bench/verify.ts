/**
 * `npm run bench:verify`: times a full verify of 100 Lambda stacks over 5 regions (20 buckets) in moto, counts AWS
 * requests per stack, and compares with the same steps done one after another with one `aws` CLI call each.
 *
 * Multi-account mode (--accounts N, e.g. 10): N accounts (the caller's own and N-1 members entered by STS AssumeRole
 * through the same AccountClients verify uses) x 5 regions x 10 stacks; AssumeRole and GetCallerIdentity count as
 * requests, and the baseline adds one `aws sts assume-role` call per account.
 *
 * Flags: --baseline-stacks N (default 10: the sequential baseline is measured on N stacks and scaled linearly to the
 * full count, because it takes about a second per call; pass 100 for the whole run), --concurrency N (default 16).
 * A benchmark, not a test: it prints numbers and exits 1 only when a target is missed or verify itself fails.
 */
import type { Stack } from '@aws-sdk/client-cloudformation';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { AccountClients, routeAccounts, targetsOf, type AccountRouting } from '../../lib/aws/accounts.js';
import type { AwsClientFactory } from '../../lib/aws/clients.js';
import { clientsIn } from '../../test/support/accounts.js';
import { parseConfig } from '../../lib/config/load.js';
import { ExitCode } from '../../lib/util/errors.js';
import { functionFromOutputs } from '../../lib/verify/checks/stack.js';
import { limiter } from '../../lib/util/concurrency.js';
import {
  notificationsFromResponse,
  parseLambdaArn,
  planBucketNotifications,
  sameNotifications,
  taegisFunctionsToCheck,
} from '../../lib/verify/notifications.js';
import { desiredPermission, policyAllowsS3 } from '../../lib/verify/permission.js';
import { LOG_FILTER_PATTERN } from '../../lib/facts/taegis.js';
import { runVerify } from '../../lib/verify/verify.js';
import { MOTO_ACCOUNT, MOTO_CREDENTIALS, startMoto, type Moto } from '../../test/support/moto.js';
import {
  createBucket,
  createLambdaStack,
  functionArn,
  putLogLines,
  putNotifications,
} from '../../test/support/verify-seed.js';

const REGIONS = ['us-east-1', 'us-east-2', 'us-west-1', 'us-west-2', 'eu-west-1'];
const BUCKETS_PER_REGION = 4;
const STACKS_PER_BUCKET = 5;
const TARGET_REQUESTS_PER_STACK = 8;
const TARGET_SPEEDUP = 10;

export interface BenchStack {
  /** @default MOTO_ACCOUNT */
  readonly account?: string;
  readonly region: string;
  readonly stackName: string;
  readonly bucket: string;
}

/**
 * Seeds `stacks`: each bucket gets, per stack, an old entry with the stack's own prefix: the first three target a
 * Taegis function that is gone (the vendor renamed it), the others the new function's `$LATEST` qualifier; plus a
 * foreign queue entry that must survive. Every function has logged the success line.
 */
export async function seed(
  clients: AwsClientFactory,
  stacks: readonly BenchStack[],
  account = MOTO_ACCOUNT,
  parallel = 8,
): Promise<void> {
  const fnArn = (region: string, name: string): string =>
    account === MOTO_ACCOUNT ? functionArn(region, name) : `arn:aws:lambda:${region}:${account}:function:${name}`;
  const limit = limiter(parallel);
  const buckets = new Map<string, BenchStack[]>();
  for (const s of stacks)
    buckets.set(`${s.region}/${s.bucket}`, [...(buckets.get(`${s.region}/${s.bucket}`) ?? []), s]);
  await Promise.all(
    [...buckets.values()].map(async (group) => {
      const { region, bucket } = group[0]!;
      await limit(() => createBucket(clients, region, bucket));
      const fns = await Promise.all(
        group.map((s) =>
          // As verify finds them after `deploy`: each stack names its function in the app's output.
          limit(() => createLambdaStack(clients, region, s.stackName, bucket, { migrated: true })),
        ),
      );
      await Promise.all(fns.map((fn) => limit(() => putLogLines(clients, region, fn, ['Uploading data to s3 done']))));
      await limit(() =>
        putNotifications(clients, region, bucket, {
          QueueConfigurations: [
            {
              Id: 'siem',
              QueueArn: `arn:aws:sqs:${region}:${account}:siem`,
              Events: ['s3:ObjectCreated:*'],
              Filter: { Key: { FilterRules: [{ Name: 'prefix', Value: 'siem/' }] } },
            },
          ],
          LambdaFunctionConfigurations: group.map((s, i) => ({
            Id: `old-${s.stackName}`,
            LambdaFunctionArn:
              i < 3 ? fnArn(region, `${s.stackName}-scwx-tdr-lambda-v1`) : `${fnArn(region, fns[i]!)}:$LATEST`,
            Events: ['s3:ObjectCreated:*'],
            Filter: { Key: { FilterRules: [{ Name: 'prefix', Value: `${s.stackName}/` }] } },
          })),
        }),
      );
    }),
  );
}

function benchStacks(regions: readonly string[], bucketsPerRegion: number, tag: string): BenchStack[] {
  const out: BenchStack[] = [];
  for (const region of regions) {
    for (let b = 0; b < bucketsPerRegion; b++) {
      for (let s = 0; s < STACKS_PER_BUCKET; s++) {
        out.push({
          region,
          bucket: `${tag}-logs-${region}-${b}`,
          stackName: `${tag}-${region.replace(/-/g, '')}-b${b}-s${s}`,
        });
      }
    }
  }
  return out;
}

function configFor(stacks: readonly BenchStack[]) {
  const targets = [...new Set(stacks.map((s) => `${s.account ?? MOTO_ACCOUNT}/${s.region}`))];
  const regions = targets.map((target) => {
    const [account, region] = target.split('/') as [string, string];
    return {
      region,
      account,
      lambdaStacks: stacks
        .filter((s) => (s.account ?? MOTO_ACCOUNT) === account && s.region === region)
        .map((s) => ({ stackName: s.stackName, integrationType: 'awscloudtrail', notificationBucket: s.bucket })),
    };
  });
  const multi = new Set(regions.map((r) => r.account)).size > 1;
  return parseConfig(
    { taegisRegion: 'ctpx', ...(multi ? { access: { roleName: 'TaegisMigrateVerify' } } : {}), regions },
    path.join(tmpdir(), 'bench.config.json'),
  );
}

/** Account ids of the multi-account mode: the caller's own first, then members 100000000001, ... */
function benchAccounts(n: number): string[] {
  return [MOTO_ACCOUNT, ...Array.from({ length: n - 1 }, (_, i) => String(100_000_000_001 + i))];
}

/** The same steps as verify, one `aws` CLI call each, one after another. Returns the number of calls. */
function sequentialBaseline(moto: Moto, stacks: readonly BenchStack[]): number {
  let calls = 0;
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    AWS_ACCESS_KEY_ID: MOTO_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: MOTO_CREDENTIALS.secretAccessKey,
  };
  delete env.AWS_PROFILE;
  delete env.AWS_SESSION_TOKEN;
  // One CLI call per step, as a hand-written script would do. The long read timeout is for moto, which stalled past the
  // CLI's 60 s default once deep into a full 100-stack baseline (not seen in shorter runs). A call that fails without an AWS error (the CLI
  // crashed or was killed) is repeated once and counted; an AWS error (e.g. no policy yet) is an answer.
  const aws = (region: string, ...args: string[]): unknown => {
    let last = '';
    for (let attempt = 0; attempt < 2; attempt++) {
      calls += 1;
      try {
        const out = execFileSync(
          'aws',
          [
            '--endpoint-url',
            moto.endpoint,
            '--region',
            region,
            '--output',
            'json',
            '--cli-read-timeout',
            '300',
            ...args,
          ],
          {
            env,
            encoding: 'utf8',
            stdio: ['ignore', 'pipe', 'pipe'],
            maxBuffer: 64 * 1024 * 1024,
          },
        );
        return out.trim() ? JSON.parse(out) : {};
      } catch (err) {
        const e = err as { stderr?: string; status?: number | null; signal?: string | null; message?: string };
        last = `exit ${e.status ?? '?'}${e.signal ? ` signal ${e.signal}` : ''}: ${(e.stderr ?? '').trim() || e.message || String(err)}`;
        if (/An error occurred \(/.test(e.stderr ?? '')) return { error: last };
      }
    }
    return { error: last };
  };
  const byBucket = new Map<string, BenchStack[]>();
  for (const s of stacks)
    byBucket.set(`${s.region}/${s.bucket}`, [...(byBucket.get(`${s.region}/${s.bucket}`) ?? []), s]);
  for (const group of byBucket.values()) {
    const { region, bucket } = group[0]!;
    const targets: { stackName: string; functionArn: string }[] = [];
    for (const s of group) {
      // The same steps as verify: the function from the stack's output when it names one, else from its resources.
      const described = aws(region, 'cloudformation', 'describe-stacks', '--stack-name', s.stackName) as {
        Stacks?: Stack[];
      };
      let fn = described.Stacks?.[0]
        ? functionFromOutputs(described.Stacks[0], { ...s, account: MOTO_ACCOUNT })
        : undefined;
      if (fn === undefined) {
        const res = aws(region, 'cloudformation', 'describe-stack-resources', '--stack-name', s.stackName) as {
          StackResources?: { ResourceType: string; PhysicalResourceId: string }[];
          error?: string;
        };
        if (!res.StackResources)
          throw new Error(`baseline: aws cloudformation describe-stack-resources failed: ${res.error}`);
        fn = res.StackResources.find((r) => r.ResourceType === 'AWS::Lambda::Function')!.PhysicalResourceId;
      }
      const fc = aws(region, 'lambda', 'get-function-configuration', '--function-name', fn) as { FunctionArn: string };
      targets.push({ stackName: s.stackName, functionArn: fc.FunctionArn });
    }
    const before = notificationsFromResponse(
      aws(region, 's3api', 'get-bucket-notification-configuration', '--bucket', bucket) as object,
    );
    const gone = new Set<string>();
    for (const arn of taegisFunctionsToCheck(before, targets)) {
      const r = aws(region, 'lambda', 'get-function-configuration', '--function-name', arn) as { error?: string };
      if (r.error?.includes('ResourceNotFoundException')) gone.add(arn);
    }
    const plan = planBucketNotifications({ current: before, targets, goneFunctions: gone });
    for (const t of targets) {
      const name = parseLambdaArn(t.functionArn)!.name;
      const p = aws(region, 'lambda', 'get-policy', '--function-name', name) as { Policy?: string };
      if (!policyAllowsS3(p.Policy, `arn:aws:s3:::${bucket}`, MOTO_ACCOUNT)) {
        const d = desiredPermission(name, `arn:aws:s3:::${bucket}`, MOTO_ACCOUNT, bucket);
        aws(
          region,
          'lambda',
          'add-permission',
          '--function-name',
          name,
          '--statement-id',
          d.statementId,
          '--action',
          d.action,
          '--principal',
          d.principal,
          '--source-arn',
          d.sourceArn,
          '--source-account',
          d.sourceAccount,
        );
      }
    }
    const reread = notificationsFromResponse(
      aws(region, 's3api', 'get-bucket-notification-configuration', '--bucket', bucket) as object,
    );
    if (!sameNotifications(before, reread)) throw new Error(`baseline: ${bucket} changed`);
    aws(
      region,
      's3api',
      'put-bucket-notification-configuration',
      '--bucket',
      bucket,
      '--notification-configuration',
      JSON.stringify(plan.merged),
    );
    aws(region, 's3api', 'get-bucket-notification-configuration', '--bucket', bucket);
    for (const t of targets) {
      const name = parseLambdaArn(t.functionArn)!.name;
      aws(
        region,
        'logs',
        'filter-log-events',
        '--log-group-name',
        `/aws/lambda/${name}`,
        '--start-time',
        '0',
        '--filter-pattern',
        LOG_FILTER_PATTERN,
      );
    }
  }
  return calls;
}

/** `npm run bench:verify` (flags: ./definition.ts). */
export async function benchVerify(options: {
  readonly baselineStacks: number;
  readonly concurrency: number;
  readonly accounts: number;
}): Promise<ExitCode> {
  const accountCount = Math.min(50, options.accounts);
  const accounts = benchAccounts(accountCount);
  const multi = accountCount > 1;
  // 10 accounts x 5 regions x 10 stacks in multi-account mode; 100 stacks in one account otherwise.
  const bucketsPerRegion = multi ? 2 : BUCKETS_PER_REGION;
  // The multi-account mode enters an account per stack group, so its targets are looser than one account's.
  const targetRequests = multi ? 7 : TARGET_REQUESTS_PER_STACK;
  const targetSpeedup = multi ? 30 : TARGET_SPEEDUP;
  const baselineCount = options.baselineStacks;
  const concurrency = options.concurrency;
  const moto = await startMoto();
  let baseMoto: Moto | undefined;
  const backupDir = mkdtempSync(path.join(tmpdir(), 'bench-verify-'));
  try {
    let t = performance.now();
    const stacks: BenchStack[] = [];
    for (const [i, account] of accounts.entries()) {
      const own = benchStacks(REGIONS, bucketsPerRegion, multi ? `a${i}` : 'bench').map((s) => ({ ...s, account }));
      const seeder = await clientsIn(moto.endpoint, account);
      await seed(seeder, own, account);
      seeder.destroy();
      stacks.push(...own);
    }
    console.log(
      `seeded ${stacks.length} stacks in ${accounts.length} account(s) x ${REGIONS.length} regions, ${accounts.length * REGIONS.length * bucketsPerRegion} buckets (${((performance.now() - t) / 1000).toFixed(1)} s)`,
    );

    let requests = 0;
    const byOp = new Map<string, number>();
    const accountClients = new AccountClients({
      command: 'bench',
      endpoint: moto.endpoint,
      credentials: MOTO_CREDENTIALS,
      maxAttempts: 8,
      onRequest: (i) => {
        requests += 1;
        byOp.set(i.operation, (byOp.get(i.operation) ?? 0) + 1);
      },
    });
    const clients = accountClients.base;
    const config = configFor(stacks);
    t = performance.now();
    // As the CLI does: caller identity, one AssumeRole per other account, then verify.
    const routing: AccountRouting = await routeAccounts(accountClients, targetsOf(config));
    const report = await runVerify(clients, {
      config,
      clientsFor: routing.clientsFor,
      unreachable: routing.unreachable,
      dryRun: false,
      expectRuntime: 'provided.al2',
      logTimeoutSeconds: 0,
      backupDir,
      concurrency,
    });
    const wall = (performance.now() - t) / 1000;
    const perStack = requests / stacks.length;
    console.log(
      `verify: ${stacks.length} stacks in ${wall.toFixed(2)} s (concurrency ${concurrency}), exit ${report.exitCode}, summary ${JSON.stringify(report.summary)}`,
    );
    console.log(`AWS requests: ${requests} (${perStack.toFixed(2)} per stack; target <= ${targetRequests})`);
    for (const [op, n] of [...byOp.entries()].sort((a, b) => b[1] - a[1]))
      console.log(`  ${op.replace(/Command$/, '').padEnd(40)} ${n}`);

    // Baseline on fresh stacks (the first run already migrated the others).
    const sample = benchStacks(REGIONS, bucketsPerRegion, 'base').slice(
      0,
      Math.ceil(baselineCount / STACKS_PER_BUCKET) * STACKS_PER_BUCKET,
    );
    // The baseline gets a fresh moto: it once stopped answering (all requests, even /moto-api) deep into a full
    // 100-stack baseline run on the server the verify run had used; a clean server keeps the two measurements apart.
    await moto.stop();
    baseMoto = await startMoto();
    const baseSeeder = baseMoto.clients();
    await seed(baseSeeder, sample);
    baseSeeder.destroy();
    t = performance.now();
    let calls = sequentialBaseline(baseMoto, sample);
    let baseWall = (performance.now() - t) / 1000;
    let scaled = (baseWall / sample.length) * stacks.length;
    if (multi) {
      // A hand-written script enters each other account once: one `aws sts assume-role` each, measured once.
      t = performance.now();
      execFileSync(
        'aws',
        [
          '--endpoint-url',
          baseMoto.endpoint,
          '--region',
          'us-east-1',
          'sts',
          'assume-role',
          '--role-arn',
          `arn:aws:iam::${accounts[1]!}:role/TaegisMigrateVerify`,
          '--role-session-name',
          'baseline',
        ],
        {
          env: {
            ...process.env,
            AWS_ACCESS_KEY_ID: MOTO_CREDENTIALS.accessKeyId,
            AWS_SECRET_ACCESS_KEY: MOTO_CREDENTIALS.secretAccessKey,
          },
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
      const assume = (performance.now() - t) / 1000;
      calls += 1;
      baseWall += assume;
      scaled += assume * (accounts.length - 1);
    }
    const speedup = scaled / wall;
    console.log(
      `baseline: ${calls} sequential aws CLI calls for ${sample.length} stacks in ${baseWall.toFixed(1)} s` +
        `${sample.length < stacks.length ? ` -> ${scaled.toFixed(0)} s for ${stacks.length} stacks (scaled linearly; --baseline-stacks 100 measures it all)` : ''}`,
    );
    console.log(`speedup: ${speedup.toFixed(1)}x (target >= ${targetSpeedup}x)`);
    const ok = report.exitCode === 0 && perStack <= targetRequests && speedup >= targetSpeedup;
    console.log(ok ? 'bench: targets met' : 'bench: TARGET MISSED');
    accountClients.destroy();
    return ok ? ExitCode.Ok : ExitCode.CheckFailed;
  } finally {
    await moto.stop();
    await baseMoto?.stop();
    rmSync(backupDir, { recursive: true, force: true });
  }
}
