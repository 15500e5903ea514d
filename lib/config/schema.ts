import { z } from 'zod';
import { LogpushConfigSchema } from '../logpush/config.js';
import { CredentialsSecretSchema, PipelineConfigSchema, resolveWaves } from '../pipeline/config.js';

/**
 * The config file's schema: the one definition of the interface users and CI write.
 * Field names are public; never rename one.
 *
 * Messages carry their fix after FIX_SEPARATOR so `loadConfig` can report "what is wrong" and "how to fix it" apart.
 */
export const FIX_SEPARATOR = '\u0000';
const m = (what: string, fix: string): string => `${what}${FIX_SEPARATOR}${fix}`;

/** Taegis regions the vendor documents today; the shared template's `AllowedValues`, when present, are the truth. */
export const KNOWN_TAEGIS_REGIONS = ['ctpx', 'delta', 'foxtrot', 'echo'] as const;

/** Lambda runtimes the vendor package can run on. */
export const LAMBDA_RUNTIMES = ['provided.al2', 'provided.al2023'] as const;
export type LambdaRuntime = (typeof LAMBDA_RUNTIMES)[number];

const AWS_REGION = /^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-\d{1,2}$/;
const ACCOUNT = /^\d{12}$/;
// CloudFormation stack names: a letter first, then letters, digits and hyphens, 128 at most.
const STACK_NAME = /^[A-Za-z][A-Za-z0-9-]{0,127}$/;
// S3 general purpose bucket naming rules (3-63, lowercase, digits, dots, hyphens; starts and ends alphanumeric).
const BUCKET_NAME = /^(?!xn--)(?!sthree-)(?!.*\.\.)(?!\d+\.\d+\.\d+\.\d+$)[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const PARTITION = 'aws(?:-cn|-us-gov|-iso|-iso-[a-z])?';
const SNS_ARN = new RegExp(`^arn:${PARTITION}:sns:[a-z0-9-]+:\\d{12}:[A-Za-z0-9_-]{1,256}(\\.fifo)?$`);
const KMS_ARN = new RegExp(`^arn:${PARTITION}:kms:[a-z0-9-]+:\\d{12}:(key/[A-Za-z0-9-]+|alias/[A-Za-z0-9/_-]+)$`);
const TAEGIS_REGION = /^[a-z][a-z0-9-]{1,30}$/;

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

export const TaegisConfigSchema = z
  .strictObject({
    /** Taegis region name (`ctpx`, `delta`, `echo`, `foxtrot`, ...). Exactly one of this or `xdrLoginUrl`. */
    taegisRegion: z
      .string()
      .regex(
        TAEGIS_REGION,
        m('is not a Taegis region name', `use one of ${KNOWN_TAEGIS_REGIONS.join(', ')} (lowercase)`),
      )
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
     * Runtime the migrated functions run on.
     * @default "provided.al2" (what the vendor documents; deprecated by AWS, see README)
     */
    lambdaRuntime: z
      .enum(LAMBDA_RUNTIMES, m('is not a supported runtime', 'use "provided.al2" or "provided.al2023"'))
      .default('provided.al2'),
    /**
     * Name of the shared-resources stack in every region, unless a region sets its own.
     * @default "taegis-shared-resources"
     */
    sharedStackName: stackName.default('taegis-shared-resources'),
    /** The regions to migrate. */
    regions: z.array(RegionConfigSchema).min(1, m('lists no region', 'add at least one entry to "regions"')),
    /** Cloudflare Logpush jobs feeding Taegis HTTP ingest (`npm run logpush`); see lib/logpush/config.ts. */
    logpush: LogpushConfigSchema.optional(),
    /**
     * Take the shared stacks' `SecretValue` from this Secrets Manager secret (a dynamic reference in the template)
     * instead of credentials.txt at deploy time. Required with `pipeline`.
     * @default - `npm run deploy` reads credentials.txt and passes it as a NoEcho parameter
     */
    credentialsSecret: CredentialsSecretSchema.optional(),
    /** A CDK Pipelines `TaegisPipeline` stack that deploys wave by wave (see lib/pipeline/config.ts). */
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
          'use the login URL the console shows (https://ctpx.secureworks.com/ or https://<region>.taegis.secureworks.com/), or set "taegisRegion"',
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
              'set "credentialsSecret": { "name": "taegis-migrate/credentials" } at the top level (or per region) and run "npm run secret -- put"',
            ),
          });
      });
    }
    const seenRegions = new Map<string, number>();
    cfg.regions.forEach((r, i) => {
      const first = seenRegions.get(r.region);
      if (first !== undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['regions', i, 'region'],
          message: m(`"${r.region}" is listed twice (also regions[${first}])`, 'merge the two entries into one'),
        });
      } else seenRegions.set(r.region, i);
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

/** The config exactly as written in the file, after defaults. */
export type TaegisConfigInput = z.infer<typeof TaegisConfigSchema>;

/**
 * Derives the Taegis region from the XDR login URL:
 * `https://ctpx.secureworks.com/...` gives `ctpx`; `https://<name>.taegis.secureworks.com/...` gives `<name>`.
 */
export function deriveTaegisRegion(loginUrl: string): string | undefined {
  let host: string;
  try {
    host = new URL(loginUrl).hostname.toLowerCase();
  } catch {
    return undefined;
  }
  if (host === 'ctpx.secureworks.com') return 'ctpx';
  const match = /^([a-z][a-z0-9-]*)\.taegis\.secureworks\.com$/.exec(host);
  return match?.[1];
}
