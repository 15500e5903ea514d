import { AddPermissionCommand, GetPolicyCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import { awsErrorName } from '../aws/errors.js';
import { policyAllowsS3, type S3InvokePermission } from './permission.js';

/** The function's resource policy; none yet is an expected state (undefined), not an error. */
export async function functionPolicy(lambda: LambdaClient, functionArn: string): Promise<string | undefined> {
  try {
    return (await lambda.send(new GetPolicyCommand({ FunctionName: functionArn }))).Policy;
  } catch (err) {
    if (awsErrorName(err) === 'ResourceNotFoundException') return undefined;
    throw err;
  }
}

/** Does the function's resource policy let S3 invoke it for `bucketArn` (and `account`)? No policy yet: no. */
export async function hasS3Permission(
  lambda: LambdaClient,
  functionArn: string,
  bucketArn: string,
  account: string,
): Promise<boolean> {
  return policyAllowsS3(await functionPolicy(lambda, functionArn), bucketArn, account);
}

/** Adds the S3 invoke statement; a retry whose first attempt landed is fine, a clash with other conditions is not. */
export async function addS3Permission(
  lambda: LambdaClient,
  p: S3InvokePermission,
  functionArn: string,
  bucketArn: string,
  account: string,
): Promise<void> {
  await addInvokePermission(lambda, { ...p, functionArn }, () =>
    hasS3Permission(lambda, functionArn, bucketArn, account),
  );
}

/** One AddPermission statement (a service may invoke the function for one source). */
export interface InvokePermissionInput {
  readonly functionArn: string;
  readonly functionName: string;
  readonly statementId: string;
  readonly action: string;
  readonly principal: string;
  readonly sourceArn: string;
  /** @default - no SourceAccount condition */
  readonly sourceAccount?: string;
}

/**
 * Adds an invoke statement. A retried AddPermission whose first attempt landed conflicts with itself: fine when
 * `allowedNow` then says the policy allows us; a clash with a statement of other conditions is an error.
 */
export async function addInvokePermission(
  lambda: LambdaClient,
  p: InvokePermissionInput,
  allowedNow: () => Promise<boolean>,
): Promise<void> {
  try {
    await lambda.send(
      new AddPermissionCommand({
        FunctionName: p.functionArn,
        StatementId: p.statementId,
        Action: p.action,
        Principal: p.principal,
        SourceArn: p.sourceArn,
        ...(p.sourceAccount !== undefined ? { SourceAccount: p.sourceAccount } : {}),
      }),
    );
  } catch (err) {
    if (awsErrorName(err) === 'ResourceConflictException' && (await allowedNow())) return;
    if (awsErrorName(err) === 'ResourceConflictException') {
      throw new Error(
        `statement ${p.statementId} already exists on ${p.functionName} with other conditions; remove it (aws lambda remove-permission) and re-run`,
        { cause: err },
      );
    }
    throw err;
  }
}

export function describePermission(p: S3InvokePermission): string {
  return `${p.functionName}: ${p.principal} may ${p.action} (Sid ${p.statementId}, SourceArn ${p.sourceArn}, SourceAccount ${p.sourceAccount})`;
}
