import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { GetFunctionConfigurationCommand, type FunctionConfiguration } from '@aws-sdk/client-lambda';
import type { AwsClientFactory } from '../../aws/clients.js';
import { lambdaCodeSha256 } from '../../artifacts/vendor.js';
import { awsErrorName } from '../../aws/errors.js';
import { parseLambdaArn } from '../notifications.js';
import { runtimeWarning } from '../../facts/lambda-runtimes.js';
import { describeError, record, type StackWork } from '../work.js';

/** The vendor zip the config stages, as Lambda reports a deployment package: base64 SHA-256. */
export interface ExpectedPackage {
  readonly codeSha256: string;
  /** Where the hash comes from (the zip's path, or the pipeline's artifactsSource), for the message. */
  readonly source: string;
}

/**
 * The package every function should run: the config's vendor zip when it is on this machine, else the SHA-256 the
 * pipeline's `artifactsSource` pins for it (a verify step in CI has no vendor files). Neither: no package check.
 */
export function expectedPackage(config: {
  readonly artifactPaths: { readonly lambdaZip: string };
  readonly pipeline?: { readonly artifactsSource?: { readonly sha256: Readonly<Record<string, string>> } };
}): ExpectedPackage | undefined {
  const zip = config.artifactPaths.lambdaZip;
  if (existsSync(zip)) {
    return {
      codeSha256: lambdaCodeSha256(readFileSync(zip)),
      source: `the hash of ${zip}`,
    };
  }
  const hex = config.pipeline?.artifactsSource?.sha256[path.basename(zip)];
  if (hex === undefined) return undefined;
  return {
    codeSha256: Buffer.from(hex, 'hex').toString('base64'),
    source: `the hash pipeline.artifactsSource gives ${path.basename(zip)}`,
  };
}

/**
 * `package current` when the function's CodeSha256 (Lambda: the base64 SHA-256 of its deployment package) is the
 * vendor zip's, `package stale` (a failed check) otherwise: the function still runs another package, so the trigger
 * is not moved onto it.
 */
function checkPackage(
  w: StackWork,
  codeSha256: string | undefined,
  expect: ExpectedPackage,
  start: Date,
  now: () => Date,
): void {
  if (codeSha256 === expect.codeSha256) {
    record(w, 'package', start, now, 'pass', `package current (CodeSha256 ${codeSha256})`);
  } else {
    record(
      w,
      'package',
      start,
      now,
      'fail',
      `package stale: CodeSha256 ${codeSha256 ?? '(none)'} is not ${expect.source} (${expect.codeSha256}); deploy this target's stacks (taegis-migrate deploy), then verify again`,
    );
  }
}

/**
 * The `runtime` and `health` checks of a stack whose `stack` check passed: one GetFunctionConfiguration answers
 * both (and `package`, when the vendor zip's hash is known) (runtime as expected; State Active and LastUpdateStatus not Failed). Fills in `w.functionArn`.
 * `knownFunctions` learns that this function exists, so the trigger move does not ask again.
 */
export async function checkRuntimeAndHealth(
  clients: AwsClientFactory,
  w: StackWork,
  expectRuntime: string,
  now: () => Date,
  knownFunctions: Map<string, Promise<boolean>>,
  expectPackage?: ExpectedPackage,
): Promise<void> {
  const start = now();
  let fc: FunctionConfiguration;
  try {
    fc = await clients.lambda(w.region).send(new GetFunctionConfigurationCommand({ FunctionName: w.functionName }));
  } catch (err) {
    const detail =
      awsErrorName(err) === 'ResourceNotFoundException'
        ? `function ${w.functionName} (named by the stack) does not exist`
        : describeError(err);
    record(w, 'runtime', start, now, 'fail', detail);
    record(w, 'health', start, now, 'skip', 'function not readable');
    if (expectPackage) record(w, 'package', start, now, 'skip', 'function not readable');
    return;
  }
  if (expectPackage) checkPackage(w, fc.CodeSha256, expectPackage, start, now);
  w.functionArn = parseLambdaArn(fc.FunctionArn ?? '')?.unqualifiedArn ?? fc.FunctionArn;
  // Another bucket may point at this function: that answer is already in hand, do not ask again.
  if (w.functionArn && !knownFunctions.has(w.functionArn)) knownFunctions.set(w.functionArn, Promise.resolve(false));
  const runtime = fc.Runtime ?? fc.PackageType ?? 'unknown';
  const warn = runtimeWarning(runtime, now());
  if (runtime !== expectRuntime) {
    record(w, 'runtime', start, now, 'fail', `runtime is ${runtime}, expected ${expectRuntime}`, warn ? [warn] : []);
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
}
