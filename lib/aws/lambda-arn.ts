/** A Lambda function ARN split into its parts. */
export interface ParsedLambdaArn {
  readonly partition: string;
  readonly region: string;
  readonly account: string;
  readonly name: string;
  readonly qualifier?: string;
  /** The ARN without qualifier. */
  readonly unqualifiedArn: string;
}

/** Parses a Lambda function ARN, qualified (`:$LATEST`, `:3`, `:alias`) or not; undefined when it is not one. */
export function parseLambdaArn(arn: string): ParsedLambdaArn | undefined {
  const m = /^arn:([a-z-]+):lambda:([a-z0-9-]+):(\d{12}):function:([A-Za-z0-9_-]+)(?::([A-Za-z0-9$_-]+))?$/.exec(arn);
  if (!m) return undefined;
  const [, partition = '', region = '', account = '', name = '', qualifier] = m;
  return {
    partition,
    region,
    account,
    name,
    ...(qualifier !== undefined ? { qualifier } : {}),
    unqualifiedArn: `arn:${partition}:lambda:${region}:${account}:function:${name}`,
  };
}

/**
 * How a notification entry's `LambdaFunctionArn` relates to a function: `exact` when it names the function itself,
 * `qualified` when it names a version or alias of it (`:$LATEST`, `:3`, `:live`; verify replaces such an entry by one
 * for the function itself), `none` otherwise.
 */
export function lambdaTargetMatch(entryArn: string, functionArn: string): 'exact' | 'qualified' | 'none' {
  const entry = parseLambdaArn(entryArn);
  const fn = parseLambdaArn(functionArn);
  if (!entry || !fn || entry.unqualifiedArn !== fn.unqualifiedArn) return 'none';
  return entry.qualifier === undefined ? 'exact' : 'qualified';
}
