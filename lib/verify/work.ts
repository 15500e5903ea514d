import type { Stack } from '@aws-sdk/client-cloudformation';
import { isAccessDenied, reasonOf } from '../aws/errors.js';
import type { TriggerSettings } from './notifications.js';
import type { CheckName, CheckResult, CheckStatus } from './report.js';

/** Everything known about one stack while a verify run goes on; each check module fills in its part. */
export interface StackWork {
  readonly region: string;
  readonly account: string;
  readonly stackName: string;
  /**
   * Where the stack is, as messages name it: `us-east-1`, or `account 222222222222 region us-east-1` when the run
   * spans several accounts.
   * @default - the region
   */
  readonly place?: string;
  readonly configBucket: string;
  /** The stack's configured `trigger`, used when verify writes its entry. @default - inherit or default */
  readonly trigger?: TriggerSettings;
  /** The stack's `snsNotificationArn`: the bucket reaches the function through this topic (lib/verify/sns.ts). */
  readonly snsTopicArn?: string;
  bucket?: string;
  stack?: Stack;
  functionName?: string;
  functionArn?: string;
  /** The account the stack's ARN names, when it is not the configured one. */
  wrongAccount?: string;
  readonly checks: Map<CheckName, CheckResult>;
}

/** The run's clock: tests pass their own so waits need no real time. */
export interface Clock {
  readonly now: () => Date;
  readonly sleep: (ms: number) => Promise<void>;
}

export const SYSTEM_CLOCK: Clock = {
  now: () => new Date(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

/** Records one check's outcome, timed from `start` to `now()`. */
export function record(
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

/** A stack whose earlier checks failed (or were skipped) gets no trigger and no log wait. */
export function failed(w: StackWork): boolean {
  return [...w.checks.values()].some((c) => c.status === 'fail' || c.status === 'skip');
}

// The project's shared classification, so every command words AWS errors the same way.
export function describeError(err: unknown): string {
  const reason = reasonOf(err);
  return isAccessDenied(err)
    ? `${reason} (the credentials in use lack a permission verify needs: see docs/verify.md)`
    : reason;
}
