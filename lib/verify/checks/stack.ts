import { DescribeStackResourcesCommand, DescribeStacksCommand, type Stack } from '@aws-sdk/client-cloudformation';
import { accountOfArn } from '../../aws/accounts.js';
import type { AwsClientFactory } from '../../aws/clients.js';
import { isVendorFunctionOf, LAMBDA_PARAMETERS, looksLikeVendorFunction } from '../../facts/taegis.js';
import { parseLambdaArn } from '../notifications.js';
import { describeError, record, type StackWork } from '../work.js';

const OK_STACK_STATUSES = new Set(['CREATE_COMPLETE', 'UPDATE_COMPLETE', 'IMPORT_COMPLETE']);

/**
 * The `stack` check: the stack exists in a settled state and owns the vendor's function. Fills in `w.stack`,
 * `w.bucket` and `w.functionName`. Returns false when the check failed (later checks then do not run).
 */
export async function checkStack(clients: AwsClientFactory, w: StackWork, now: () => Date): Promise<boolean> {
  const cfn = clients.cloudFormation(w.region);
  const start = now();
  try {
    const described = await cfn.send(new DescribeStacksCommand({ StackName: w.stackName }));
    const stack = described.Stacks?.[0];
    if (!stack)
      throw Object.assign(new Error(`Stack with id ${w.stackName} does not exist`), { name: 'ValidationError' });
    w.stack = stack;
    const stackAccount = accountOfArn(stack.StackId);
    if (stackAccount !== undefined && stackAccount !== w.account) {
      w.wrongAccount = stackAccount;
      record(w, 'stack', start, now, 'fail', `the stack is in account ${stackAccount}, the config says ${w.account}`);
      return false;
    }
    const param = stack.Parameters?.find(
      (p) => p.ParameterKey === LAMBDA_PARAMETERS.notificationBucket,
    )?.ParameterValue;
    w.bucket = w.configBucket || param;
    const warnings: string[] = [];
    if (param && param !== w.configBucket) {
      warnings.push(
        `config notificationBucket "${w.configBucket}" differs from the stack's ${LAMBDA_PARAMETERS.notificationBucket} "${param}"; using the config`,
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
      return false;
    }
    // A stack the app deployed names its function in an output (TaegisMigrateFunctionArn): no second request then.
    const fromOutput = functionFromOutputs(stack, w);
    if (fromOutput) {
      w.functionName = fromOutput;
    } else {
      const resources = await cfn.send(new DescribeStackResourcesCommand({ StackName: w.stackName }));
      const fns = (resources.StackResources ?? []).filter(
        (r) => r.ResourceType === 'AWS::Lambda::Function' && r.PhysicalResourceId,
      );
      const fn = fns.find((r) => looksLikeVendorFunction(r.PhysicalResourceId!)) ?? fns[0];
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
        return false;
      }
      w.functionName = fn.PhysicalResourceId!;
    }
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
    return true;
  } catch (err) {
    const detail = /does not exist/.test((err as Error).message ?? '')
      ? `stack ${w.stackName} does not exist in ${w.place ?? w.region}`
      : describeError(err);
    record(w, 'stack', start, now, 'fail', detail);
    return false;
  }
}

/**
 * The function a settled stack names in its Outputs (the app adds `TaegisMigrateFunctionArn`), trusted only
 * when it is unambiguous and provably the stack's own: a function ARN in the stack's account and region whose name is
 * the vendor's `<stack>-scwx-tdr-lambda-<integration>` for this very stack. Anything else (no such output, two of them,
 * another stack's or account's function) returns undefined and the caller asks DescribeStackResources, as before.
 */
export function functionFromOutputs(
  stack: Stack,
  w: Pick<StackWork, 'stackName' | 'region' | 'account'>,
): string | undefined {
  const names = new Set<string>();
  for (const o of stack.Outputs ?? []) {
    const arn = parseLambdaArn(o.OutputValue ?? '');
    if (!arn || arn.region !== w.region || arn.account !== w.account) continue;
    if (isVendorFunctionOf(arn.name, w.stackName)) names.add(arn.name);
  }
  return names.size === 1 ? [...names][0] : undefined;
}
