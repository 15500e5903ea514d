import { GetFunctionConfigurationCommand, type FunctionConfiguration } from '@aws-sdk/client-lambda';
import type { AwsClientFactory } from '../../aws/clients.js';
import { awsErrorName } from '../../aws/errors.js';
import { parseLambdaArn } from '../notifications.js';
import { runtimeWarning } from '../../vendor/runtimes.js';
import { describeError, record, type StackWork } from '../work.js';

/**
 * The `runtime` and `health` checks of a stack whose `stack` check passed: one GetFunctionConfiguration answers
 * both (runtime as expected; State Active and LastUpdateStatus not Failed). Fills in `w.functionArn`.
 * `knownFunctions` learns that this function exists, so the trigger move does not ask again.
 */
export async function checkRuntimeAndHealth(
  clients: AwsClientFactory,
  w: StackWork,
  expectRuntime: string,
  now: () => Date,
  knownFunctions: Map<string, Promise<boolean>>,
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
    return;
  }
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
