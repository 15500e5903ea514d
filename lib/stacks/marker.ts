import type { LambdaStackConfig } from '../config/schema.js';

/**
 * The record a migrated Lambda stack carries in its template's top-level `Metadata`, so that discover can read the
 * values back once the deploy has baked the vendor parameters (`IntegrationType`, `NotificationBucket`, ...) into
 * the template and the stack no longer has them as parameters.
 *
 * Template Metadata, not stack tags: CloudFormation copies stack tags onto every taggable resource (an update of the
 * role and the function, and a deploy that needs iam:TagRole), while Metadata touches no resource.
 * Never put a secret here: the template is readable by anyone with cloudformation:GetTemplate.
 */
export const MIGRATION_MARKER_KEY = 'TaegisMigrate';
/** The output in which a migrated Lambda stack names its function's ARN (lib/stacks/lambda-stack.ts). */
export const FUNCTION_ARN_OUTPUT = 'TaegisMigrateFunctionArn';
/** What `deployedBy` says; anything else is not our marker. */
export const MIGRATION_MARKER_TOOL = 'taegis-migrate';

export interface MigrationMarker {
  readonly deployedBy: typeof MIGRATION_MARKER_TOOL;
  /** Bumped only if a field changes meaning; readers accept every version they know. */
  readonly markerVersion: 1;
  readonly integrationType: string;
  readonly notificationBucket: string;
  readonly snsNotificationArn?: string;
  readonly notificationBucketKmsArn?: string;
  readonly lambdaEnvKmsArn?: string;
}

/** The marker for a configured stack: the config's own values, the optional ones only when set. */
export function migrationMarker(s: LambdaStackConfig): MigrationMarker {
  return {
    deployedBy: MIGRATION_MARKER_TOOL,
    markerVersion: 1,
    integrationType: s.integrationType,
    notificationBucket: s.notificationBucket,
    ...(s.snsNotificationArn ? { snsNotificationArn: s.snsNotificationArn } : {}),
    ...(s.notificationBucketKmsArn ? { notificationBucketKmsArn: s.notificationBucketKmsArn } : {}),
    ...(s.lambdaEnvKmsArn ? { lambdaEnvKmsArn: s.lambdaEnvKmsArn } : {}),
  };
}

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

/**
 * Reads the marker back from a deployed template (the body GetTemplate returns). Undefined for a template without
 * one, a foreign `TaegisMigrate` entry, or a body that is not JSON (console-made stacks are often YAML: they were not
 * deployed by this tool, and the app always deploys JSON).
 */
export function readMigrationMarker(templateBody: string | undefined): MigrationMarker | undefined {
  if (templateBody === undefined) return undefined;
  let template: unknown;
  try {
    template = JSON.parse(templateBody);
  } catch {
    return undefined;
  }
  const metadata = (template as { Metadata?: unknown } | null)?.Metadata;
  const raw = (metadata as Record<string, unknown> | undefined)?.[MIGRATION_MARKER_KEY] as
    Record<string, unknown> | undefined;
  if (typeof raw !== 'object' || raw === null || raw.deployedBy !== MIGRATION_MARKER_TOOL) return undefined;
  const integrationType = str(raw.integrationType);
  const notificationBucket = str(raw.notificationBucket);
  if (raw.markerVersion !== 1 || integrationType === undefined || notificationBucket === undefined) return undefined;
  const sns = str(raw.snsNotificationArn);
  const bucketKms = str(raw.notificationBucketKmsArn);
  const envKms = str(raw.lambdaEnvKmsArn);
  return {
    deployedBy: MIGRATION_MARKER_TOOL,
    markerVersion: 1,
    integrationType,
    notificationBucket,
    ...(sns ? { snsNotificationArn: sns } : {}),
    ...(bucketKms ? { notificationBucketKmsArn: bucketKms } : {}),
    ...(envKms ? { lambdaEnvKmsArn: envKms } : {}),
  };
}
