/**
 * Lambda runtime lifecycle facts: the one table every command reads (synth, plan, deploy, verify, discover).
 *
 * Source: AWS's CloudFormation validator shipped inside the pinned aws-cdk-lib (2.276.0), package
 * `@aws/cloudformation-validate` 1.14.0 (node_modules/aws-cdk-lib/node_modules/@aws/cloudformation-validate). Its
 * rules W2531/E2531 ("Runtime 'X' was deprecated on 'D'. Creation will be disabled on 'C', and updates will be
 * disabled on 'U'. Please consider updating to 'S'") carry the dates; the data is compiled into its
 * bindings_wasm_bg.wasm, so it is read by running the validator, not by reading a file. This is the same check
 * `CDK_VALIDATION=true cdk synth` runs. test/facts/lambda-runtimes.test.ts runs it over every row below and fails when a
 * dependency bump changes a date.
 *
 * Dates are UTC days (YYYY-MM-DD); a stage starts at 00:00 UTC of its day.
 */

/** The runtime the vendor documents and its zip is built for (a `bootstrap` executable, custom runtime). */
export const VENDOR_RUNTIME = 'provided.al2';
/** The supported successor AWS names for it; the same zip runs there (both are OS-only runtimes). */
export const SUCCESSOR_RUNTIME = 'provided.al2023';

/** Runtimes the vendor package can run on, the vendor's first. */
export const LAMBDA_RUNTIMES = [VENDOR_RUNTIME, SUCCESSOR_RUNTIME] as const;
export type LambdaRuntime = (typeof LAMBDA_RUNTIMES)[number];

export interface RuntimeLifecycle {
  /** The Lambda runtime id, e.g. `provided.al2`. */
  readonly runtime: string;
  /** AWS stops security patches and support. Functions keep running and can still be created and updated. */
  readonly deprecated: string;
  /** From this day AWS refuses to create functions on the runtime. */
  readonly blockCreate: string;
  /** From this day AWS refuses to update functions on the runtime (code and configuration). */
  readonly blockUpdate: string;
  /** The runtime AWS's validator tells users to move to. */
  readonly successor: string;
}

/**
 * Runtimes a Taegis stack can be on: the vendor's `provided.al2`, and `go1.x`/`provided` (the older Taegis
 * functions discover and verify meet). `provided.al2023` has no row: the validator announces nothing for it
 * (checked by the test too).
 */
export const RUNTIME_LIFECYCLES: readonly RuntimeLifecycle[] = [
  {
    runtime: 'provided.al2',
    deprecated: '2026-07-31',
    blockCreate: '2027-02-01',
    blockUpdate: '2027-03-03',
    successor: 'provided.al2023',
  },
  {
    runtime: 'provided',
    deprecated: '2024-01-08',
    blockCreate: '2024-02-08',
    blockUpdate: '2027-03-03',
    successor: 'provided.al2023',
  },
  {
    runtime: 'go1.x',
    deprecated: '2024-01-08',
    blockCreate: '2024-02-08',
    blockUpdate: '2027-03-03',
    successor: 'provided.al2023',
  },
];

/** Where a runtime stands on a day. */
export type RuntimeStage = 'supported' | 'deprecated' | 'create-blocked' | 'update-blocked';

/** The UTC day of `now` as YYYY-MM-DD. */
export function utcDay(now: Date): string {
  return now.toISOString().slice(0, 10);
}

export function lifecycleOf(runtime: string): RuntimeLifecycle | undefined {
  return RUNTIME_LIFECYCLES.find((l) => l.runtime === runtime);
}

export function runtimeStage(runtime: string, now: Date): RuntimeStage {
  const life = lifecycleOf(runtime);
  if (!life) return 'supported';
  const day = utcDay(now);
  if (day >= life.blockUpdate) return 'update-blocked';
  if (day >= life.blockCreate) return 'create-blocked';
  if (day >= life.deprecated) return 'deprecated';
  return 'supported';
}

/**
 * The runtime `lambdaRuntime` means when the config leaves it out: the vendor's while AWS still accepts updates of
 * functions on it (the migration only updates existing functions), its successor from the block-update day on.
 */
export function defaultLambdaRuntime(now: Date): LambdaRuntime {
  return runtimeStage(VENDOR_RUNTIME, now) === 'update-blocked' ? SUCCESSOR_RUNTIME : VENDOR_RUNTIME;
}

/** "deprecated 2026-07-31, creation blocked from 2027-02-01, updates blocked from 2027-03-03" */
export function lifecycleDates(life: RuntimeLifecycle): string {
  return `deprecated ${life.deprecated}, creation blocked from ${life.blockCreate}, updates blocked from ${life.blockUpdate}`;
}

/**
 * One line about a runtime a function is on (verify, discover), or undefined when AWS announced nothing for it.
 * Says where it stands today and every date, so users can plan.
 */
export function runtimeWarning(runtime: string, now: Date): string | undefined {
  const life = lifecycleOf(runtime);
  if (!life) return undefined;
  const day = utcDay(now);
  const stage = runtimeStage(runtime, now);
  const where =
    stage === 'update-blocked'
      ? `AWS refuses updates of functions on it since ${life.blockUpdate}`
      : stage === 'create-blocked'
        ? `AWS refuses new functions on it since ${life.blockCreate}; updates still work until ${life.blockUpdate}`
        : stage === 'deprecated'
          ? `deprecated by AWS since ${life.deprecated}; updates still work until ${life.blockUpdate}`
          : `AWS deprecates it on ${life.deprecated}`;
  return `runtime ${runtime} (as of ${day}): ${where} (${lifecycleDates(life)}); move to ${life.successor}`;
}

/**
 * What AWS's lifecycle dates for the chosen runtime (the table above) mean for this migration, in two lines,
 * worded for today; undefined for a runtime AWS announced nothing for, and for one the config pins before AWS
 * deprecates it (a deliberate choice that needs no word yet). The migration only updates existing functions, so the
 * block-update date is the one that matters. Callers say it once per run (`buildApp` once per build).
 */
export function runtimeDeprecationMessage(
  runtime: LambdaRuntime,
  now: Date,
  chosenBy: 'config' | 'default' = 'config',
): string | undefined {
  const life = lifecycleOf(runtime);
  if (!life) return undefined;
  const stage = runtimeStage(runtime, now);
  if (stage === 'supported' && chosenBy === 'config') return undefined;
  const standing =
    stage === 'update-blocked'
      ? `updates refused since ${life.blockUpdate}; acknowledged: the stacks update only if AWS extended it for the account`
      : `${
          stage === 'supported'
            ? `AWS deprecates it on ${life.deprecated}`
            : stage === 'deprecated'
              ? `deprecated since ${life.deprecated}`
              : `new functions refused since ${life.blockCreate}`
        }; updating functions on it fails from ${life.blockUpdate}`;
  const how = chosenBy === 'default' ? "the vendor's, the default" : 'set in the config';
  const move =
    chosenBy === 'default'
      ? `Set "lambdaRuntime": "${life.successor}" to move now (same package); without it taegis-migrate switches on ${life.blockUpdate}.`
      : `Set "lambdaRuntime": "${life.successor}" to move (same package; verify then expects it).`;
  return `note: lambdaRuntime ${runtime} (${how}): ${standing}.\n${move}`;
}
