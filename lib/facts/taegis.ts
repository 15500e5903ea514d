/**
 * What the vendor (Secureworks Taegis) decides and we only read: how its functions are named, what its templates'
 * parameters are called, what a healthy function logs. One home, so discover, plan, verify, the stacks and the
 * config checks cannot drift apart. Runtime lifecycle dates live in `./lambda-runtimes.ts`, not here.
 */

/** The part of a vendor function name between the stack name and the integration. */
export const VENDOR_FUNCTION_INFIX = '-scwx-tdr-lambda-';

/** The vendor template's function name pattern (`!Sub ${AWS::StackName}-scwx-tdr-lambda-${IntegrationType}`). */
const VENDOR_FUNCTION_NAME = /^(.+)-scwx-tdr-lambda-([A-Za-z0-9_-]+)$/;

/** A vendor function name split into its parts. */
export interface VendorFunctionName {
  /** The stack name the template prefixed (`${AWS::StackName}`). */
  readonly prefix: string;
  /** The integration type (`${IntegrationType}`). */
  readonly integration: string;
}

/** The name the vendor template gives the function of `stackName` for `integration`. */
export function vendorFunctionName(stackName: string, integration: string): string {
  return `${stackName}${VENDOR_FUNCTION_INFIX}${integration}`;
}

/** True when `functionName` is the vendor function of stack `stackName` (any integration). */
export function isVendorFunctionOf(functionName: string, stackName: string): boolean {
  return functionName.startsWith(`${stackName}${VENDOR_FUNCTION_INFIX}`);
}

/** True when the name carries the vendor's infix anywhere (loose, as older templates and renames may add suffixes). */
export function looksLikeVendorFunction(functionName: string): boolean {
  return functionName.includes(VENDOR_FUNCTION_INFIX);
}

/** Splits a vendor function name (or function ARN, qualified or not) into stack prefix and integration. */
export function parseVendorFunctionName(nameOrArn: string): VendorFunctionName | undefined {
  // An ARN ends with ":function:<name>" and maybe ":<qualifier>".
  const arn = /:function:([^:]+)(?::[^:]+)?$/.exec(nameOrArn);
  const name = arn?.[1] ?? nameOrArn;
  const match = VENDOR_FUNCTION_NAME.exec(name);
  if (!match?.[1] || !match[2]) return undefined;
  return { prefix: match[1], integration: match[2] };
}

/** Parameters of the shared-resources template that the app sets. */
export const SHARED_PARAMETERS = { secretValue: 'SecretValue', taegisRegion: 'TaegisRegion' } as const;

/** Parameters of the Lambda template that the app sets from config (all baked in at synth). */
export const LAMBDA_PARAMETERS = {
  integrationType: 'IntegrationType',
  notificationBucket: 'NotificationBucket',
  snsNotificationArn: 'SNSNotificationarn',
  notificationBucketKmsArn: 'NotificationBucketCustomerManagedKMSarn',
  stagingBucketName: 'TaegisLambdaS3BucketName',
  lambdaEnvKmsArn: 'LambdaEnvKMSarn',
} as const;

/** Parameters of the older per-integration templates besides `NotificationBucket` (they had no `IntegrationType`). */
export const OLDER_TEMPLATE_PARAMETERS: readonly string[] = [
  LAMBDA_PARAMETERS.stagingBucketName,
  LAMBDA_PARAMETERS.snsNotificationArn,
  LAMBDA_PARAMETERS.notificationBucketKmsArn,
  LAMBDA_PARAMETERS.lambdaEnvKmsArn,
];

/** Object key the Lambda template reads its code from when it does not say (the vendor's documented name). */
export const DEFAULT_CODE_KEY = 'taegis-lambda-amd64.zip';

/** The vendor's template description: "... SecureWorks TDR Lambda function for <integration name> logs stored in S3 bucket". */
export const VENDOR_DESCRIPTION =
  /SecureWorks\s+TDR\s+Lambda\s+function\s+for\s+(.+?)\s+logs\s+stored\s+in\s+S3\s+bucket/i;

/** The line every healthy Taegis function logs once it has shipped a batch. */
export const SUCCESS_LINE = 'Uploading data to s3';

/**
 * One pattern for both the success line and error-level lines, so each poll is one request. Real CloudWatch Logs
 * ORs `?` terms; lines are classified again on our side, so a backend that ignores the pattern is still right.
 */
// Only plain and quoted terms (the documented `?"a b" ?c` form, as aws-cdk's FilterPattern.anyTerm writes it): an
// invalid pattern would fail every poll on AWS, and moto cannot tell us.
export const LOG_FILTER_PATTERN = `?"${SUCCESS_LINE}" ?ERROR ?FATAL ?"level=error"`;

/** How an error-level line of the function looks (checked on our side, whatever the backend's filter did). */
export const ERROR_LINE = /\b(ERROR|FATAL|PANIC)\b|level["']?\s*[:=]\s*["']?(error|fatal)\b/;

/** The CloudWatch Logs group Lambda writes the function's output to. */
export function functionLogGroup(functionName: string): string {
  return `/aws/lambda/${functionName}`;
}

/**
 * Taegis environments as Secureworks' Python SDK knows them: `name` is what the vendor's `TaegisRegion` parameter
 * and the API host use (`ctpx` is the SDK's `charlie`), `aliases` the other names the SDK accepts for it.
 */
export const TAEGIS_ENVIRONMENTS: readonly { readonly name: string; readonly aliases: readonly string[] }[] = [
  { name: 'ctpx', aliases: ['charlie', 'production', 'us1'] },
  { name: 'delta', aliases: ['us2'] },
  { name: 'echo', aliases: ['eu'] },
  { name: 'foxtrot', aliases: ['us3'] },
  { name: 'golf', aliases: ['euw1'] },
  { name: 'hotel', aliases: ['apse2'] },
  { name: 'india', aliases: ['aps1'] },
  { name: 'juliet', aliases: ['apne1'] },
  { name: 'kilo', aliases: ['sae1'] },
  { name: 'quebec', aliases: ['cac1'] },
];

const TAEGIS_ALIASES: ReadonlyMap<string, string> = new Map(
  TAEGIS_ENVIRONMENTS.flatMap((e) => [[e.name, e.name] as const, ...e.aliases.map((a) => [a, e.name] as const)]),
);

/**
 * The environment name for a Taegis region or alias, any case (`US1`, `charlie` -> `ctpx`; `eu` -> `echo`).
 * A name the table does not know is returned lowercased: the vendor may add environments, and the shared
 * template's `AllowedValues` are the judge.
 */
export function normalizeTaegisRegion(value: string): string {
  const lower = value.trim().toLowerCase();
  return TAEGIS_ALIASES.get(lower) ?? lower;
}

/** Every environment with its aliases, for hints: `ctpx (charlie, production, us1), delta (us2), ...`. */
export const TAEGIS_ENVIRONMENTS_HINT = TAEGIS_ENVIRONMENTS.map((e) => `${e.name} (${e.aliases.join(', ')})`).join(
  ', ',
);

/**
 * The Taegis environment of a login or API URL, in every form the vendor uses: `https://ctpx.secureworks.com/`,
 * `https://<env>.taegis.secureworks.com/`, and their API hosts (`api.`, `api-tenants.`, `api.tenants.` in front).
 * Undefined when the host is none of these.
 */
export function taegisRegionOfUrl(url: string): string | undefined {
  let host: string;
  try {
    host = new URL(url.trim()).hostname.toLowerCase().replace(/\.$/, '');
  } catch {
    return undefined;
  }
  const bare = host.replace(/^(api\.tenants\.|api-tenants\.|api\.)/, '');
  if (bare === 'ctpx.secureworks.com') return 'ctpx';
  const match = /^([a-z][a-z0-9-]*)\.taegis\.secureworks\.com$/.exec(bare);
  return match?.[1] === undefined ? undefined : normalizeTaegisRegion(match[1]);
}
