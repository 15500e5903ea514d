import { AddPermissionCommand, GetPolicyCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import { awsErrorName } from '../aws/errors.js';
import { policyAllowsS3, type S3InvokePermission } from './permission.js';

/** Does the function's resource policy let S3 invoke it for `bucketArn` (and `account`)? No policy yet: no. */
export async function hasS3Permission(
  lambda: LambdaClient,
  functionArn: string,
  bucketArn: string,
  account: string,
): Promise<boolean> {
  try {
    const res = await lambda.send(new GetPolicyCommand({ FunctionName: functionArn }));
    return policyAllowsS3(res.Policy, bucketArn, account);
  } catch (err) {
    // No resource policy at all yet: an expected state, not an error.
    if (awsErrorName(err) === 'ResourceNotFoundException') return false;
    throw err;
  }
}

/** Adds the S3 invoke statement; a retry whose first attempt landed is fine, a clash with other conditions is not. */
export async function addS3Permission(
  lambda: LambdaClient,
  p: S3InvokePermission,
  functionArn: string,
  bucketArn: string,
  account: string,
): Promise<void> {
  try {
    await lambda.send(
      new AddPermissionCommand({
        FunctionName: functionArn,
        StatementId: p.statementId,
        Action: p.action,
        Principal: p.principal,
        SourceArn: p.sourceArn,
        SourceAccount: p.sourceAccount,
      }),
    );
  } catch (err) {
    // A retried AddPermission whose first attempt landed conflicts with itself: fine if the statement now allows us.
    if (
      awsErrorName(err) === 'ResourceConflictException' &&
      (await hasS3Permission(lambda, functionArn, bucketArn, account))
    )
      return;
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
