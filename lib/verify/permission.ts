/**
 * Pure checks of a Lambda resource policy: does it let S3 invoke the function for one bucket?
 * Real S3 refuses a notification whose destination it may not invoke; moto does not check, so we do.
 */

export const S3_PRINCIPAL = 's3.amazonaws.com';

/** The statement we add: S3 may invoke the function, for this bucket ARN and this owner account only. */
export interface S3InvokePermission {
  readonly statementId: string;
  readonly functionName: string;
  readonly principal: typeof S3_PRINCIPAL;
  readonly action: 'lambda:InvokeFunction';
  readonly sourceArn: string;
  readonly sourceAccount: string;
}

/** Statement ids allow `[A-Za-z0-9-_.]`, at most 100 chars. */
export function permissionStatementId(bucket: string): string {
  return `taegis-s3-${bucket}`.replace(/[^A-Za-z0-9._-]/g, '-').slice(0, 100);
}

export function desiredPermission(
  functionName: string,
  bucketArn: string,
  account: string,
  bucket: string,
): S3InvokePermission {
  return {
    statementId: permissionStatementId(bucket),
    functionName,
    principal: S3_PRINCIPAL,
    action: 'lambda:InvokeFunction',
    sourceArn: bucketArn,
    sourceAccount: account,
  };
}

type Json = Record<string, unknown>;

/**
 * True when a statement of the policy allows `s3.amazonaws.com` to invoke the function for `bucketArn`, with a
 * SourceArn condition that matches the bucket and (when present) a SourceAccount condition naming `account`.
 */
export function policyAllowsS3(policyJson: string | undefined, bucketArn: string, account: string): boolean {
  return policyAllowsService(policyJson, S3_PRINCIPAL, bucketArn, account);
}

/**
 * True when a statement of the function's policy allows the service principal (`s3.amazonaws.com`,
 * `sns.amazonaws.com`) to invoke it with a SourceArn condition matching `sourceArn` and, when the statement has a
 * SourceAccount condition, naming `account`.
 */
export function policyAllowsService(
  policyJson: string | undefined,
  service: string,
  sourceArn: string,
  account: string,
): boolean {
  if (!policyJson) return false;
  let policy: Json;
  try {
    policy = JSON.parse(policyJson) as Json;
  } catch {
    return false;
  }
  const statements = asArray(policy.Statement) as Json[];
  return statements.some((s) => statementAllows(s, service, sourceArn, account));
}

function statementAllows(s: Json, service: string, bucketArn: string, account: string): boolean {
  if (s.Effect !== 'Allow') return false;
  const principal = s.Principal as Json | string | undefined;
  const services = typeof principal === 'object' && principal !== null ? asArray(principal.Service) : [];
  if (!services.includes(service)) return false;
  const actions = asArray(s.Action).map(String);
  if (!actions.some((a) => a === 'lambda:InvokeFunction' || a === 'lambda:*' || a === '*')) return false;
  const conditions = (s.Condition ?? {}) as Record<string, Json>;
  const sourceArns: string[] = [];
  const sourceAccounts: string[] = [];
  for (const [op, block] of Object.entries(conditions)) {
    for (const [key, value] of Object.entries(block ?? {})) {
      const k = key.toLowerCase();
      if (k === 'aws:sourcearn' && /^(ArnLike|ArnEquals|StringEquals|StringLike)$/.test(op))
        sourceArns.push(...asArray(value).map(String));
      if (k === 'aws:sourceaccount' && /^(StringEquals|StringLike)$/.test(op))
        sourceAccounts.push(...asArray(value).map(String));
    }
  }
  // Without a SourceArn S3 could invoke it for any bucket: that is not the statement we vouch for.
  if (!sourceArns.some((pattern) => globMatch(pattern, bucketArn))) return false;
  if (sourceAccounts.length > 0 && !sourceAccounts.some((p) => globMatch(p, account))) return false;
  return true;
}

export function asArray(v: unknown): unknown[] {
  if (v === undefined || v === null) return [];
  return Array.isArray(v) ? v : [v];
}

/** IAM's `*` and `?` wildcards. */
export function globMatch(pattern: string, value: string): boolean {
  const re = new RegExp(
    `^${pattern
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.')}$`,
  );
  return re.test(value);
}
