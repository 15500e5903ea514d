import { z } from 'zod';
import { LAMBDA_RUNTIMES, VENDOR_RUNTIME } from '../facts/lambda-runtimes.js';
import {
  normalizeTaegisRegion,
  TAEGIS_ENVIRONMENTS,
  TAEGIS_ENVIRONMENTS_HINT,
  taegisRegionOfUrl,
} from '../facts/taegis.js';
import { MonitoringSchema, TaegisApiSchema, taegisSourceFields } from './extras-schema.js';
import { CredentialsSecretSchema, PipelineConfigSchema, resolveWaves } from './pipeline.js';
import { FailedEventsSchema } from './failed-events.js';
import { unknownRegion } from './regions.js';

/** Messages carry their fix after it, so `loadConfig` can report "what is wrong" and "how to fix it" apart. */
export const FIX_SEPARATOR = '\u0000';
const m = (what: string, fix: string): string => `${what}${FIX_SEPARATOR}${fix}`;

/**
 * Taegis environments Secureworks' SDK knows (aliases are normalized to these); the shared template's
 * `AllowedValues`, when present, are the truth.
 */
export const KNOWN_TAEGIS_REGIONS: readonly string[] = TAEGIS_ENVIRONMENTS.map((e) => e.name);

export { LAMBDA_RUNTIMES, type LambdaRuntime } from '../facts/lambda-runtimes.js';

const AWS_REGION = /^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-\d{1,2}$/;
const ACCOUNT = /^\d{12}$/;
// CloudFormation stack names: a letter first, then letters, digits and hyphens, 128 at most.
const STACK_NAME = /^[A-Za-z][A-Za-z0-9-]{0,127}$/;
// S3 general purpose bucket naming rules (3-63, lowercase, digits, dots, hyphens; starts and ends alphanumeric).
const BUCKET_NAME = /^(?!xn--)(?!sthree-)(?!.*\.\.)(?!\d+\.\d+\.\d+\.\d+$)[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const PARTITION = 'aws(?:-cn|-us-gov|-iso|-iso-[a-z])?';
const SNS_ARN = new RegExp(`^arn:${PARTITION}:sns:[a-z0-9-]+:\\d{12}:[A-Za-z0-9_-]{1,256}(\\.fifo)?$`);
const KMS_ARN = new RegExp(`^arn:${PARTITION}:kms:[a-z0-9-]+:\\d{12}:(key/[A-Za-z0-9-]+|alias/[A-Za-z0-9/_-]+)$`);
// Any case: the SDK spells its aliases in capitals (`US1`); the value is normalized to the environment name.
const TAEGIS_REGION = /^[A-Za-z][A-Za-z0-9-]{1,30}$/;
// IAM role names: letters, digits and + = , . @ _ -, 1-64 characters (the name only, no path or ARN).
export const IAM_ROLE_NAME = /^[\w+=,.@-]{1,64}$/;
// STS ExternalId: 2-1224 characters from [\w+=,.@:/-].
const EXTERNAL_ID = /^[\w+=,.@:/-]{2,1224}$/;

const stackName = z
  .string()
  .regex(
    STACK_NAME,
    m(
      'is not a CloudFormation stack name',
      'use the exact name of the existing stack (letters, digits, hyphens; starts with a letter)',
    ),
  );

const bucketName = z
  .string()
  .regex(
    BUCKET_NAME,
    m(
      'is not a valid S3 bucket name',
      'use the bucket name only (3-63 lowercase letters, digits, dots, hyphens), not an ARN or URL',
    ),
  );

// S3 event types as notifications name them: `s3:ObjectCreated:*`, `s3:ObjectCreated:Put`, `s3:ObjectRemoved:Delete`, ...
const S3_EVENT = /^s3:[A-Z][A-Za-z]+(:(\*|[A-Z][A-Za-z]+))?$/;

/**
 * The S3 event notification entry verify writes for a stack's function, when the bucket's defaults do not fit
 * (e.g. another consumer already takes every new object, which real S3 refuses as overlapping).
 */
export const TriggerConfigSchema = z.strictObject({
  /**
   * Event types that invoke the function.
   * @default ["s3:ObjectCreated:*"]
   */
  events: z
    .array(
      z
        .string()
        .regex(
          S3_EVENT,
          m('is not an S3 event type', 'use e.g. "s3:ObjectCreated:*" or "s3:ObjectCreated:Put" (case matters)'),
        ),
    )
    .min(1, m('is empty', 'list at least one event type, e.g. ["s3:ObjectCreated:*"], or remove "events"'))
    .refine(
      (events) => new Set(events).size === events.length,
      m('lists an event type twice', 'list each event type once'),
    )
    .optional(),
  /**
   * Only objects whose key starts with this, e.g. `AWSLogs/` (S3's `prefix` filter rule).
   * @default - every key
   */
  prefix: z
    .string()
    .min(1, m('is empty', 'give a key prefix such as "AWSLogs/", or remove "prefix"'))
    .max(1024, m('is longer than 1024 characters', 'S3 allows object keys of at most 1024 bytes'))
    .optional(),
  /**
   * Only objects whose key ends with this, e.g. `.gz` (S3's `suffix` filter rule).
   * @default - every key
   */
  suffix: z
    .string()
    .min(1, m('is empty', 'give a key suffix such as ".gz", or remove "suffix"'))
    .max(1024, m('is longer than 1024 characters', 'S3 allows object keys of at most 1024 bytes'))
    .optional(),
});
export type TriggerConfig = z.infer<typeof TriggerConfigSchema>;

/**
 * How the tool reaches an account that is not the caller's own: it assumes
 * `arn:<partition>:iam::<account>:role/<roleName>` with STS AssumeRole. Never keys: the base identity stays the
 * default credential chain or `--profile`.
 */
export const AccessConfigSchema = z.strictObject({
  /** Name of the role to assume in the target account (not its ARN), e.g. `TaegisMigrateVerify`. */
  roleName: z
    .string()
    .regex(
      IAM_ROLE_NAME,
      m(
        'is not an IAM role name',
        'use the role name only: 1-64 letters, digits and + = , . @ _ - (no path, no ARN, no spaces)',
      ),
    ),
  /**
   * The ExternalId the role's trust policy asks for.
   * @default - none sent
   */
  externalId: z
    .string()
    .regex(EXTERNAL_ID, m('is not a valid STS ExternalId', 'use 2-1224 characters from letters, digits and +=,.@:/-_'))
    .optional(),
});
export type AccessConfig = z.infer<typeof AccessConfigSchema>;

/**
 * Opt-in least-privilege role for verify, one `TaegisAccess-<account>` stack per configured account.
 */
export const AccessRoleConfigSchema = z.strictObject({
  /** ARN of the principal allowed to assume the role (the operator's or the pipeline's role). */
  trustedPrincipalArn: z
    .string()
    .regex(
      new RegExp(`^arn:${PARTITION}:(iam::\\d{12}:(role|user)/[\\w+=,.@/-]{1,512}|iam::\\d{12}:root)$`),
      m('is not an IAM role, user or account root ARN', 'use e.g. arn:aws:iam::111111111111:role/ci-deployer'),
    ),
  /**
   * Name of the role the stack creates; the same name `access.roleName` then assumes.
   * @default "TaegisMigrateVerify"
   */
  roleName: z
    .string()
    .regex(IAM_ROLE_NAME, m('is not an IAM role name', 'use 1-64 letters, digits and + = , . @ _ -'))
    .default('TaegisMigrateVerify'),
  /**
   * Region the one stack per account is deployed in (IAM is global).
   * @default - the first configured region of each account
   */
  region: z
    .string()
    .regex(AWS_REGION, m('is not an AWS region name', 'use a region code such as "us-east-1"'))
    .optional(),
});
export type AccessRoleConfig = z.infer<typeof AccessRoleConfigSchema>;

export const LambdaStackConfigSchema = z.strictObject({
  /** Name of the existing CloudFormation stack made from the vendor's Lambda template (updated in place). */
  stackName,
  /** The template's `IntegrationType`, e.g. `awscloudtrail`; must be one of the template's `AllowedValues`. */
  integrationType: z
    .string()
    .min(1, m('is empty', 'set it to the integration type of the existing stack, e.g. "awscloudtrail"')),
  /** The S3 bucket holding the logs (the template's `NotificationBucket`); keep the existing value. */
  notificationBucket: bucketName,
  /** The template's `SNSNotificationarn`, when the bucket notifies through SNS. */
  snsNotificationArn: z
    .string()
    .regex(SNS_ARN, m('is not an SNS topic ARN', 'use arn:aws:sns:<region>:<account>:<topic>, or remove the field'))
    .optional(),
  /** The template's `NotificationBucketCustomerManagedKMSarn`, when the log bucket uses a customer managed key. */
  notificationBucketKmsArn: z
    .string()
    .regex(KMS_ARN, m('is not a KMS key ARN', 'use arn:aws:kms:<region>:<account>:key/<key-id>, or remove the field'))
    .optional(),
  /** The template's `LambdaEnvKMSarn`, to encrypt the function's environment with a customer managed key. */
  lambdaEnvKmsArn: z
    .string()
    .regex(KMS_ARN, m('is not a KMS key ARN', 'use arn:aws:kms:<region>:<account>:key/<key-id>, or remove the field'))
    .optional(),
  /**
   * The S3 trigger verify writes for this stack's function: its events and key filter. Used only when verify adds the
   * entry (an entry of the function already in place is left as it is, with a warning when it differs).
   * @default - the events and filter of the stale entry it replaces, else every new object (`s3:ObjectCreated:*`)
   */
  trigger: TriggerConfigSchema.optional(),
  /**
   * This stack's failed-event queue settings, field by field over the top-level `failedEvents`.
   * @default - the top-level `failedEvents`
   */
  failedEvents: FailedEventsSchema.optional(),
  /** `taegisSensorType` / `taegisSourceId`: the Taegis data source, when `verify --taegis` cannot find it. */
  ...taegisSourceFields,
});
export type LambdaStackConfig = z.infer<typeof LambdaStackConfigSchema>;

export const RegionConfigSchema = z.strictObject({
  /** AWS region, e.g. `us-east-1`. */
  region: z.string().regex(AWS_REGION, m('is not an AWS region name', 'use a region code such as "us-east-1"')),
  /** AWS account id (12 digits) the stacks live in. */
  account: z
    .string()
    .regex(
      ACCOUNT,
      m('is not a 12-digit AWS account id', 'quote it as a string of exactly 12 digits, e.g. "123456789012"'),
    ),
  /**
   * Name of the staging bucket for the vendor zip and templates.
   * @default "taegis-staging-<account>-<region>"
   */
  stagingBucketName: bucketName.optional(),
  /**
   * Name of the shared-resources stack in this region (reuse the console-made one).
   * @default - the top-level `sharedStackName`
   */
  sharedStackName: stackName.optional(),
  /** The existing Taegis Lambda stacks in this region. */
  lambdaStacks: z.array(LambdaStackConfigSchema).default([]),
  /**
   * How to reach this entry's account when it is not the caller's own; wins over the top-level `access`.
   * @default - the top-level `access`
   */
  access: AccessConfigSchema.optional(),
  /**
   * Secrets Manager secret holding credentials.txt for this target's shared stack.
   * @default - the top-level `credentialsSecret`
   */
  credentialsSecret: CredentialsSecretSchema.optional(),
});
export type RegionConfig = z.infer<typeof RegionConfigSchema>;

export const ArtifactNamesSchema = z.strictObject({
  /** @default "taegis-lambda-amd64.zip" */
  lambdaZip: z.string().min(1).default('taegis-lambda-amd64.zip'),
  /** @default "taegis-cloudformation-shared-resources.yaml" */
  sharedTemplate: z.string().min(1).default('taegis-cloudformation-shared-resources.yaml'),
  /** @default "taegis-cloudformation-lambda-template.yaml" */
  lambdaTemplate: z.string().min(1).default('taegis-cloudformation-lambda-template.yaml'),
  /** @default "credentials.txt" */
  credentials: z.string().min(1).default('credentials.txt'),
});

/**
 * The config file's fields for the migration (everything but other features' sections, which file-schema.ts adds on
 * top): the one definition of the interface users and CI write. Field names are public; never rename one.
 */
export const MigrationConfigSchema = z
  .strictObject({
    /**
     * Taegis environment (`ctpx`, `delta`, `echo`, `foxtrot`, `golf`, ...) or an alias Secureworks' SDK accepts
     * (`charlie`, `us1`, `eu`, `euw1`, ...), normalized to the environment name. Exactly one of this or `xdrLoginUrl`.
     */
    taegisRegion: z
      .string()
      .regex(TAEGIS_REGION, m('is not a Taegis region name', `use one of ${TAEGIS_ENVIRONMENTS_HINT}`))
      .transform(normalizeTaegisRegion)
      .optional(),
    /** The XDR login URL, from which the Taegis region is derived. Exactly one of this or `taegisRegion`. */
    xdrLoginUrl: z.url(m('is not a URL', 'paste the XDR login URL, e.g. "https://ctpx.secureworks.com/"')).optional(),
    /**
     * Folder with the four vendor downloads, relative to the config file.
     * @default "./artifacts"
     */
    artifactsDir: z.string().min(1).default('./artifacts'),
    /** Override the vendor file names inside `artifactsDir`. */
    artifacts: ArtifactNamesSchema.default({
      lambdaZip: 'taegis-lambda-amd64.zip',
      sharedTemplate: 'taegis-cloudformation-shared-resources.yaml',
      lambdaTemplate: 'taegis-cloudformation-lambda-template.yaml',
      credentials: 'credentials.txt',
    }),
    /**
     * Runtime the migrated functions run on. Resolved when the config is loaded (lib/config/runtime.ts), against
     * the dates in lib/facts/lambda-runtimes.ts.
     * @default - "provided.al2" (the vendor's) while AWS still accepts updates of functions on it, "provided.al2023"
     * from AWS's block-update date (2027-03-03) on
     */
    lambdaRuntime: z
      .enum(LAMBDA_RUNTIMES, m('is not a supported runtime', 'use "provided.al2" or "provided.al2023"'))
      .optional(),
    /**
     * Keep `"lambdaRuntime": "provided.al2"` after AWS blocks updates of functions on it (2027-03-03), e.g. for an
     * account AWS granted an extension. Must name the same runtime as `lambdaRuntime`; without it such a config is
     * refused from that date on.
     * @default - not acknowledged
     */
    acknowledgeBlockedRuntime: z
      .literal(VENDOR_RUNTIME, m('is not a runtime AWS blocks', `use "${VENDOR_RUNTIME}", or remove the field`))
      .optional(),
    /**
     * Name of the shared-resources stack in every region, unless a region sets its own.
     * @default "taegis-shared-resources"
     */
    sharedStackName: stackName.default('taegis-shared-resources'),
    /**
     * Termination protection on the staging and shared stacks (the function code and the credentials live there):
     * `cdk destroy` or a console delete fails until it is turned off. `false` leaves them unprotected, e.g. for a
     * lab account that is torn down often.
     * @default true
     */
    terminationProtection: z.boolean(m('is not a boolean', 'write true or false, without quotes')).default(true),
    /**
     * How to reach every configured account that is not the caller's own (an entry's own `access` wins).
     * @default - the caller's credentials only; a target in another account is an error
     */
    access: AccessConfigSchema.optional(),
    /**
     * Opt-in: deploy a least-privilege role for verify in every configured account (`TaegisAccess-<account>`).
     * @default - no role stack
     */
    accessRole: AccessRoleConfigSchema.optional(),
    /** The regions to migrate: one entry per (account, region) target. */
    regions: z.array(RegionConfigSchema).min(1, m('lists no region', 'add at least one entry to "regions"')),
    /** The Taegis API client for `--taegis` checks; see lib/config/extras-schema.ts. */
    taegis: TaegisApiSchema.optional(),
    /** Alarms and a dashboard per target (`TaegisMonitoring-<region>` stacks); see lib/config/extras-schema.ts. */
    monitoring: MonitoringSchema.optional(),
    /**
     * Keep the events each function failed on in an SQS queue (its on-failure destination) for `replay`; see
     * lib/config/failed-events.ts. A stack's own `failedEvents` overrides it.
     * @default - no queue, failed events are dropped after Lambda's retries
     */
    failedEvents: FailedEventsSchema.optional(),
    /**
     * Take the shared stacks' `SecretValue` from this Secrets Manager secret (a dynamic reference in the template)
     * instead of credentials.txt at deploy time. Required with `pipeline`.
     * @default - `taegis-migrate deploy` reads credentials.txt and passes it as a NoEcho parameter
     */
    credentialsSecret: CredentialsSecretSchema.optional(),
    /** A CDK Pipelines `TaegisPipeline` stack that deploys wave by wave (see lib/config/pipeline.ts). */
    pipeline: PipelineConfigSchema.optional(),
  })
  .superRefine((cfg, ctx) => {
    if ((cfg.taegisRegion === undefined) === (cfg.xdrLoginUrl === undefined)) {
      ctx.addIssue({
        code: 'custom',
        path: cfg.taegisRegion === undefined ? [] : ['xdrLoginUrl'],
        message: m(
          cfg.taegisRegion === undefined
            ? 'neither "taegisRegion" nor "xdrLoginUrl" is set'
            : 'both "taegisRegion" and "xdrLoginUrl" are set',
          'set exactly one of them',
        ),
      });
    }
    if (cfg.xdrLoginUrl !== undefined && deriveTaegisRegion(cfg.xdrLoginUrl) === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['xdrLoginUrl'],
        message: m(
          `no Taegis region can be derived from "${cfg.xdrLoginUrl}"`,
          `use the login URL the console shows (https://ctpx.secureworks.com/ or https://<environment>.taegis.secureworks.com/), or set "taegisRegion" to one of ${TAEGIS_ENVIRONMENTS_HINT}`,
        ),
      });
    }
    if (cfg.pipeline !== undefined) {
      for (const p of resolveWaves(cfg.regions, cfg.pipeline.waves).problems)
        ctx.addIssue({ code: 'custom', path: p.path, message: p.message });
      const src = cfg.pipeline.artifactsSource;
      if (src !== undefined) {
        const want = [cfg.artifacts.lambdaZip, cfg.artifacts.sharedTemplate, cfg.artifacts.lambdaTemplate];
        for (const f of want)
          if (src.sha256[f] === undefined)
            ctx.addIssue({
              code: 'custom',
              path: ['pipeline', 'artifactsSource', 'sha256', f],
              message: m(`has no SHA-256 for "${f}"`, `add "${f}": "<output of sha256sum ${f}>"`),
            });
        for (const f of Object.keys(src.sha256))
          if (!want.includes(f))
            ctx.addIssue({
              code: 'custom',
              path: ['pipeline', 'artifactsSource', 'sha256', f],
              message: m(
                `"${f}" is not one of the vendor files the synth needs (${want.join(', ')})`,
                'remove it; credentials.txt never goes to the pipeline (it reads the secret from Secrets Manager)',
              ),
            });
      }
      // CDK Pipelines passes no stack parameters: the secret must come from a dynamic reference.
      cfg.regions.forEach((r, i) => {
        if (cfg.credentialsSecret === undefined && r.credentialsSecret === undefined)
          ctx.addIssue({
            code: 'custom',
            path: ['regions', i, 'credentialsSecret'],
            message: m(
              `target "${r.account}/${r.region}" has no credentials secret, which a pipeline needs (it passes no stack parameters)`,
              'set "credentialsSecret": { "name": "taegis-migrate/credentials" } at the top level (or per region) and run "taegis-migrate secret put"',
            ),
          });
      });
    }
    if (cfg.acknowledgeBlockedRuntime !== undefined && cfg.lambdaRuntime !== cfg.acknowledgeBlockedRuntime) {
      ctx.addIssue({
        code: 'custom',
        path: ['acknowledgeBlockedRuntime'],
        message: m(
          `acknowledges "${cfg.acknowledgeBlockedRuntime}" but "lambdaRuntime" is ${cfg.lambdaRuntime === undefined ? 'not set' : `"${cfg.lambdaRuntime}"`}`,
          `set "lambdaRuntime": "${cfg.acknowledgeBlockedRuntime}" as well, or remove "acknowledgeBlockedRuntime"`,
        ),
      });
    }
    // A misspelled region is bad input here, before any command calls AWS (lib/config/regions.ts).
    const regionFields: { path: (string | number)[]; name: string | undefined }[] = [
      ...cfg.regions.map((r, i) => ({ path: ['regions', i, 'region'], name: r.region })),
      { path: ['accessRole', 'region'], name: cfg.accessRole?.region },
      { path: ['pipeline', 'region'], name: cfg.pipeline?.region },
    ];
    for (const { path, name } of regionFields) {
      const problem = name === undefined ? undefined : unknownRegion(name);
      if (problem) ctx.addIssue({ code: 'custom', path, message: m(problem.message, problem.fix) });
    }
    // A target is an (account, region) pair: a region may appear once per account.
    const seenTargets = new Map<string, number>();
    const accounts = new Set(cfg.regions.map((r) => r.account));
    cfg.regions.forEach((r, i) => {
      const target = `${r.account}/${r.region}`;
      const first = seenTargets.get(target);
      if (first !== undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['regions', i, 'region'],
          message: m(
            accounts.size > 1
              ? `"${r.region}" in account ${r.account} is listed twice (regions[${first}] and regions[${i}])`
              : `"${r.region}" is listed twice (regions[${first}] and regions[${i}])`,
            'merge the two entries into one',
          ),
        });
      } else seenTargets.set(target, i);
      const seenStacks = new Map<string, number>();
      r.lambdaStacks.forEach((s, j) => {
        const firstStack = seenStacks.get(s.stackName);
        if (firstStack !== undefined) {
          ctx.addIssue({
            code: 'custom',
            path: ['regions', i, 'lambdaStacks', j, 'stackName'],
            message: m(
              `"${s.stackName}" is listed twice in ${r.region} (also lambdaStacks[${firstStack}])`,
              'remove the duplicate',
            ),
          });
        } else seenStacks.set(s.stackName, j);
        // S3 notifies only topics of the bucket's own region: verify could never find this route.
        const topicRegion = s.snsNotificationArn?.split(':')[3];
        if (topicRegion !== undefined && topicRegion !== r.region) {
          ctx.addIssue({
            code: 'custom',
            path: ['regions', i, 'lambdaStacks', j, 'snsNotificationArn'],
            message: m(
              `is a topic in ${topicRegion}, but the stack and its bucket are in ${r.region} (S3 notifies only topics of the bucket's region)`,
              `use the ARN of the topic the bucket notifies (arn:aws:sns:${r.region}:<account>:<topic>), or remove the field`,
            ),
          });
        }
        const shared = r.sharedStackName ?? cfg.sharedStackName;
        if (s.stackName === shared) {
          ctx.addIssue({
            code: 'custom',
            path: ['regions', i, 'lambdaStacks', j, 'stackName'],
            message: m(
              `"${s.stackName}" is also the shared-resources stack name`,
              'give the shared stack its own name with "sharedStackName"',
            ),
          });
        }
      });
    });
  });

/** The migration part of the config exactly as written in the file, after defaults. */
export type MigrationConfigInput = z.infer<typeof MigrationConfigSchema>;

/**
 * Derives the Taegis region from the XDR login URL (or an API URL): `https://ctpx.secureworks.com/...` gives `ctpx`;
 * `https://<name>.taegis.secureworks.com/...` gives `<name>` normalized (see `taegisRegionOfUrl` in lib/vendor).
 */
export function deriveTaegisRegion(loginUrl: string): string | undefined {
  return taegisRegionOfUrl(loginUrl);
}
