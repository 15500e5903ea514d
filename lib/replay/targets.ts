import type { AwsClientFactory } from '../aws/clients.js';
import type { MigrationConfig } from '../config/load.js';
import type { LambdaStackConfig } from '../config/schema.js';
import { TaegisError } from '../util/errors.js';
import { checkStack } from '../verify/checks/stack.js';
import type { StackWork } from '../verify/work.js';

/** One configured Lambda stack a command works on. */
export interface StackTarget {
  readonly account: string;
  readonly region: string;
  readonly stack: LambdaStackConfig;
}

/** The deployed side of a stack: its function and log bucket, read from CloudFormation as verify reads them. */
export interface ResolvedStack {
  readonly functionName: string;
  readonly bucket: string;
  /** `aws`, `aws-cn`, ...: from the stack's ARN, for the bucket ARN an S3 event carries. */
  readonly partition: string;
}

/**
 * The configured stacks `--stack` names (all when none is named), in config order. A name that is not configured in
 * the selected regions and accounts is bad input, before any AWS call.
 */
export function selectStackTargets(config: MigrationConfig, names: readonly string[]): StackTarget[] {
  const all = config.regions.flatMap((r) =>
    r.lambdaStacks.map((stack) => ({ account: r.account, region: r.region, stack })),
  );
  const unknown = names.filter((n) => !all.some((t) => t.stack.stackName === n));
  if (unknown.length > 0) {
    throw new TaegisError(
      'INPUT_INVALID',
      `stack ${unknown.join(', ')} is not in the selected regions of ${config.configPath}`,
      {
        fix: `use one of ${[...new Set(all.map((t) => t.stack.stackName))].join(', ') || '(none configured)'}, or add it to "lambdaStacks"`,
      },
    );
  }
  const selected = names.length === 0 ? all : all.filter((t) => names.includes(t.stack.stackName));
  if (selected.length === 0) {
    throw new TaegisError('CONFIG_INVALID', `no Lambda stacks in ${config.configPath}`, {
      fix: 'list the stacks under regions[].lambdaStacks',
    });
  }
  return selected;
}

/**
 * The stack's function and log bucket, by verify's own `stack` check (a settled stack that owns the vendor's
 * function, in the configured account). Throws a TaegisError with the check's reason otherwise.
 */
export async function resolveStack(clients: AwsClientFactory, t: StackTarget, now: () => Date): Promise<ResolvedStack> {
  const w: StackWork = {
    region: t.region,
    account: t.account,
    stackName: t.stack.stackName,
    configBucket: t.stack.notificationBucket,
    checks: new Map(),
  };
  const ok = await checkStack(clients, w, now);
  if (!ok || !w.functionName) {
    throw new TaegisError('CHECK_FAILED', w.checks.get('stack')?.detail ?? `stack ${t.stack.stackName} not usable`);
  }
  return {
    functionName: w.functionName,
    bucket: w.bucket ?? t.stack.notificationBucket,
    partition: w.stack?.StackId?.split(':')[1] || 'aws',
  };
}

/**
 * Spaces calls `1000 / perSecond` ms apart (a steady rate, no bursts), so a replay or backfill stays well under the
 * function's concurrency and the account's Invoke limits.
 */
export function pacer(perSecond: number, sleep: (ms: number) => Promise<void>): () => Promise<void> {
  const gap = 1000 / perSecond;
  let next = 0;
  return async () => {
    const t = Date.now();
    const wait = next - t;
    next = Math.max(t, next) + gap;
    if (wait > 0) await sleep(wait);
  };
}
