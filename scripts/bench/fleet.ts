/**
 * `npm run bench:fleet`: the cost of a fleet run. Seeds moto with ACCOUNTS x REGIONS
 * targets of STACKS stacks each (the caller's own account and members entered by STS AssumeRole, one bucket per
 * target), runs verify over them through the CLI as a user would (one wave, a failure tolerance, the JSON report and
 * the Markdown summary), and runs the same number of stacks in one account (the same regions) as the reference.
 * Prints requests per stack and wall time of both; the targets: a fleet adds at most 0.5 requests per stack
 * and takes at most 1.3x the time. Exit 1 when a target is missed or verify fails.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { AccountClients } from '../../lib/aws/accounts.js';
import { ExitCode } from '../../lib/util/errors.js';
import { verifyMain } from '../../lib/commands/verify.js';
import type { VerifyReport } from '../../lib/verify/report.js';
import { clientsIn } from '../../test/support/accounts.js';
import { MOTO_ACCOUNT, MOTO_CREDENTIALS, startMoto, type Moto } from '../../test/support/moto.js';
import { seed, type BenchStack } from './verify.js';

const ALL_REGIONS = ['us-east-1', 'us-east-2', 'us-west-1', 'us-west-2', 'eu-west-1', 'eu-central-1'];
const MAX_EXTRA_REQUESTS = 0.5;
const MAX_TIME_RATIO = 1.3;

interface Run {
  readonly stacks: number;
  readonly requests: number;
  readonly seconds: number;
  readonly code: number;
  readonly report: VerifyReport;
}

async function verifyRun(moto: Moto, dir: string, stacks: readonly BenchStack[], concurrency: number): Promise<Run> {
  const targets = [...new Set(stacks.map((s) => `${s.account ?? MOTO_ACCOUNT}/${s.region}`))];
  const regions = targets.map((t) => {
    const [account, region] = t.split('/') as [string, string];
    return {
      region,
      account,
      lambdaStacks: stacks
        .filter((s) => (s.account ?? MOTO_ACCOUNT) === account && s.region === region)
        .map((s) => ({ stackName: s.stackName, integrationType: 'awscloudtrail', notificationBucket: s.bucket })),
    };
  });
  const config = path.join(dir, `config-${targets.length}.json`);
  writeFileSync(
    config,
    JSON.stringify({ taegisRegion: 'ctpx', artifactsDir: './nowhere', access: { roleName: 'Bench' }, regions }),
  );
  let requests = 0;
  const accounts = new AccountClients({
    command: 'bench',
    endpoint: moto.endpoint,
    credentials: MOTO_CREDENTIALS,
    maxAttempts: 8,
    onRequest: () => (requests += 1),
  });
  const json = path.join(dir, `report-${targets.length}.json`);
  const t = performance.now();
  try {
    const code = await verifyMain(
      [
        '--config',
        config,
        '--backup-dir',
        path.join(dir, 'backups'),
        '--log-timeout',
        '0',
        '--concurrency',
        String(concurrency),
        '--failure-tolerance',
        '0',
        '--json',
        json,
        '--summary',
        path.join(dir, `summary-${targets.length}.md`),
      ],
      { accounts, stdout: () => undefined, stderr: () => undefined, tty: false, env: {} },
    );
    return {
      stacks: stacks.length,
      requests,
      seconds: (performance.now() - t) / 1000,
      code,
      report: JSON.parse(readFileSync(json, 'utf8')) as VerifyReport,
    };
  } finally {
    accounts.destroy();
  }
}

/** `npm run bench:fleet`: see the header (flags: ./definition.ts). */
export async function benchFleet(options: {
  readonly accounts: number;
  readonly regions: number;
  readonly stacks: number;
  readonly concurrency: number;
}): Promise<ExitCode> {
  const { accounts: accountCount, regions: regionCount, stacks: perTarget, concurrency } = options;
  const regions = ALL_REGIONS.slice(0, regionCount);
  const members = Array.from({ length: accountCount }, (_, i) =>
    i === 0 ? MOTO_ACCOUNT : String(100_000_000_001 + i),
  );
  const dir = mkdtempSync(path.join(tmpdir(), 'bench-fleet-'));
  const moto = await startMoto();
  try {
    const t = performance.now();
    const fleet: BenchStack[] = [];
    const single: BenchStack[] = [];
    for (const [i, account] of members.entries()) {
      const own = regions.flatMap((region) =>
        Array.from({ length: perTarget }, (_, s) => ({
          account,
          region,
          bucket: `f${i}-${region}`,
          stackName: `f${i}-${region.replace(/-/g, '')}-s${s}`,
        })),
      );
      const seeder = await clientsIn(moto.endpoint, account);
      await seed(seeder, own, account);
      seeder.destroy();
      fleet.push(...own);
      // The reference: the same stacks, all in the caller's account (the same buckets-per-stack shape), seeded in the
      // same chunks (one seed of hundreds of stacks at once leaves moto's CloudFormation behind).
      const mine = own.map((s) => ({
        ...s,
        account: MOTO_ACCOUNT,
        bucket: `r${s.bucket}`,
        stackName: `r${s.stackName}`,
      }));
      const caller = await clientsIn(moto.endpoint, MOTO_ACCOUNT);
      // One at a time: hundreds of stacks created at once in one account of moto sometimes fail (CREATE_FAILED).
      await seed(caller, mine, MOTO_ACCOUNT, 1);
      caller.destroy();
      single.push(...mine);
    }
    console.log(
      `seeded ${fleet.length} fleet stacks (${accountCount} accounts x ${regionCount} regions x ${perTarget}) and ${single.length} reference stacks in one account (${((performance.now() - t) / 1000).toFixed(0)} s)`,
    );
    const ref = await verifyRun(moto, dir, single, concurrency);
    const run = await verifyRun(moto, dir, fleet, concurrency);
    const line = (name: string, r: Run) =>
      `  ${name.padEnd(34)} ${String(r.stacks).padStart(5)} stacks  ${r.seconds.toFixed(1).padStart(6)} s  ${(r.requests / r.stacks).toFixed(2)} requests/stack  exit ${r.code}  ${JSON.stringify(r.report.summary)}`;
    console.log(line('one account (reference)', ref));
    console.log(line(`fleet (${accountCount * regionCount} targets)`, run));
    const extra = run.requests / run.stacks - ref.requests / ref.stacks;
    const ratio = run.seconds / ref.seconds;
    console.log(
      `fleet overhead: +${extra.toFixed(2)} requests/stack (target <= ${MAX_EXTRA_REQUESTS}), ${ratio.toFixed(2)}x the time (target <= ${MAX_TIME_RATIO}x)`,
    );
    const ok = ref.code === 0 && run.code === 0 && extra <= MAX_EXTRA_REQUESTS && ratio <= MAX_TIME_RATIO;
    console.log(ok ? 'bench: targets met' : 'bench: TARGET MISSED');
    return ok ? ExitCode.Ok : ExitCode.CheckFailed;
  } finally {
    await moto.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
