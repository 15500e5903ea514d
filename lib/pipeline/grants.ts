import { Stack, Validations } from 'aws-cdk-lib';
import type * as codepipeline from 'aws-cdk-lib/aws-codepipeline';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import type { CodePipeline } from 'aws-cdk-lib/pipelines';
// cdk-nag's own rendering of a policy resource into its finding id (`Resource::<flattened>`), so the ids we
// acknowledge are the ones AwsSolutions-IAM5 reports, whatever the partition or the logical ids look like.
import { flattenCfnReference } from 'cdk-nag/lib/utils/flatten-cfn-reference.js';

/** One Allow statement of a policy, resolved as CloudFormation will see it. */
interface Statement {
  readonly Effect?: string;
  readonly Action?: string | readonly string[];
  readonly Resource?: unknown;
  readonly Condition?: Record<string, Record<string, unknown>>;
}

/** What a statement's resources may be: the pipeline's own buckets, keys, account and region. */
interface Owned {
  readonly account: string;
  readonly region: string;
  /** Flattened ARNs of the artifact bucket and the cross-region replication buckets. */
  readonly buckets: ReadonlySet<string>;
  /** Flattened ARNs (or alias ARNs) of their KMS keys. */
  readonly keys: ReadonlySet<string>;
}

/** An ARN split into its parts; the partition is whatever the template spells (`aws`, `aws-cn`, a token, `*`). */
interface ArnParts {
  readonly service: string;
  readonly region: string;
  readonly account: string;
  readonly resource: string;
}

function arnParts(flat: string): ArnParts | undefined {
  // A part is a literal or a flattened token (`<AWS::Partition>`, `<AWS::Region>`), whose `::` is no separator.
  const part = '(<[^>]*>|[^:<]*)';
  const m = new RegExp(`^arn:${part}:${part}:${part}:${part}:(.+)$`).exec(flat);
  return m ? { service: m[2]!, region: m[3]!, account: m[4]!, resource: m[5]! } : undefined;
}

/** aws-cdk-lib's S3 grant actions (aws-s3 `perms.ts`): read, write, and the source action's ACL put. */
const S3_READ_WRITE = [
  's3:GetBucket*',
  's3:GetObject*',
  's3:List*',
  's3:Abort*',
  's3:DeleteObject*',
  's3:PutObject',
  's3:PutObjectLegalHold',
  's3:PutObjectRetention',
  's3:PutObjectTagging',
  's3:PutObjectVersionTagging',
  's3:PutObjectAcl',
  's3:PutObjectVersionAcl',
];
/** aws-cdk-lib's KMS grant actions: encrypt and decrypt. */
const KMS_ENCRYPT_DECRYPT = ['kms:Decrypt', 'kms:DescribeKey', 'kms:Encrypt', 'kms:GenerateDataKey*', 'kms:ReEncrypt*'];
/** aws-cdk-lib's grants to a CodeBuild project's role (aws-codebuild `project.ts`). */
const CODEBUILD_LOGS = ['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents'];
const CODEBUILD_REPORTS = [
  'codebuild:BatchPutCodeCoverages',
  'codebuild:BatchPutTestCases',
  'codebuild:CreateReport',
  'codebuild:CreateReportGroup',
  'codebuild:UpdateReport',
];

/**
 * The grants CDK Pipelines makes to its own roles, each recognized by what it is (its actions, all from the grant's
 * action set, and the kind of every resource it names), with the reason it is acceptable. A subset, not the exact
 * set: without `@aws-cdk/aws-iam:minimizePolicies` one grant is written as several statements. A statement that is none of these (a new kind of
 * grant in a later aws-cdk-lib, or one of ours) is not acknowledged, so its findings fail synth.
 */
export const PIPELINE_GRANTS: readonly {
  readonly name: string;
  readonly actions: readonly string[];
  readonly resource: (flat: string, owned: Owned) => boolean;
  readonly condition?: (condition: Statement['Condition']) => boolean;
  readonly reason: string;
}[] = [
  {
    name: 'artifact buckets',
    actions: S3_READ_WRITE,
    resource: (r, o) => o.buckets.has(r) || (r.endsWith('/*') && o.buckets.has(r.slice(0, -2))),
    reason:
      "CDK Pipelines' read/write grant on the pipeline's own artifact bucket and its cross-region replication buckets (and their objects) only.",
  },
  {
    name: 'artifact keys',
    actions: KMS_ENCRYPT_DECRYPT,
    // "*": the replication keys of other regions are named by alias, which IAM cannot scope; their key policies do.
    resource: (r, o) => r === '*' || o.keys.has(r),
    reason:
      "CDK Pipelines' grant to use the pipeline's own artifact keys for encrypting artifacts (each key's policy limits it to that key).",
  },
  {
    name: 'CodeBuild logs',
    actions: CODEBUILD_LOGS,
    resource: (r, o) => {
      const a = arnParts(r);
      return (
        a?.service === 'logs' &&
        a.account === o.account &&
        a.region === o.region &&
        a.resource.startsWith('log-group:/aws/codebuild/')
      );
    },
    reason: "Each CodeBuild project writes its own log group under /aws/codebuild (CDK Pipelines' grant).",
  },
  {
    name: 'CodeBuild reports',
    actions: CODEBUILD_REPORTS,
    resource: (r, o) => {
      const a = arnParts(r);
      return (
        a?.service === 'codebuild' &&
        a.account === o.account &&
        a.region === o.region &&
        a.resource.startsWith('report-group/')
      );
    },
    reason: "Each CodeBuild project's own report groups (CDK Pipelines' grant).",
  },
  {
    name: 'self-mutation bootstrap roles',
    actions: ['sts:AssumeRole'],
    resource: (r, o) => {
      const a = arnParts(r);
      return a?.service === 'iam' && a.region === '' && a.account === o.account && a.resource === 'role/*';
    },
    condition: (c) =>
      Object.values(c ?? {}).some((byKey) => Object.keys(byKey).includes('iam:ResourceTag/aws-cdk:bootstrap-role')),
    reason:
      'Self-mutation assumes only the CDK bootstrap roles of the pipeline account (the statement requires the aws-cdk:bootstrap-role tag).',
  },
  {
    name: 'self-mutation reads',
    actions: ['cloudformation:DescribeStacks', 's3:ListBucket'],
    resource: (r) => r === '*',
    reason: 'Self-mutation reads stack status and lists buckets; neither action reads or changes any content.',
  },
  {
    name: 'asset publishing builds',
    actions: ['codebuild:BatchGetBuilds', 'codebuild:StartBuild', 'codebuild:StopBuild'],
    resource: (r) => r === '*',
    reason: "The asset publishing action runs its own CodeBuild project (CDK Pipelines' grant).",
  },
];

const list = (x: unknown): unknown[] => (x === undefined ? [] : Array.isArray(x) ? (x as unknown[]) : [x]);

/** The IAM5 finding ids cdk-nag reports for one statement (its analyzePolicy, statement by statement). */
function findingsOf(statement: Statement): string[] {
  const actions = list(statement.Action).filter((a): a is string => typeof a === 'string' && a.includes('*'));
  const resources = list(statement.Resource)
    .map((r) => flattenCfnReference(r))
    .filter((r) => r.includes('*'));
  return [...actions.map((a) => `Action::${a}`), ...resources.map((r) => `Resource::${r}`)];
}

/** The grant a statement is, if it is one of PIPELINE_GRANTS. */
export function pipelineGrantOf(statement: Statement, owned: Owned): (typeof PIPELINE_GRANTS)[number] | undefined {
  if (statement.Effect !== 'Allow') return undefined;
  const actions = list(statement.Action).map(String);
  const resources = list(statement.Resource).map((r) => flattenCfnReference(r));
  return PIPELINE_GRANTS.find(
    (g) =>
      actions.length > 0 &&
      actions.every((a) => g.actions.includes(a)) &&
      resources.length > 0 &&
      resources.every((r) => g.resource(r, owned)) &&
      (g.condition === undefined || g.condition(statement.Condition)),
  );
}

function ownedBy(pipeline: CodePipeline): Owned {
  const stack = Stack.of(pipeline);
  const inner: codepipeline.Pipeline = pipeline.pipeline;
  const buckets: IBucket[] = [
    inner.artifactBucket,
    ...Object.values(inner.crossRegionSupport).map((s) => s.replicationBucket),
  ];
  const flat = (token: string): string => flattenCfnReference(stack.resolve(token));
  return {
    account: flat(stack.account),
    region: flat(stack.region),
    buckets: new Set(buckets.map((b) => flat(b.bucketArn))),
    keys: new Set(buckets.flatMap((b) => (b.encryptionKey ? [flat(b.encryptionKey.keyArn)] : []))),
  };
}

/**
 * Acknowledges, on each policy of the pipeline, the AwsSolutions-IAM5 findings of the statements that are CDK
 * Pipelines grants (PIPELINE_GRANTS), and nothing else. cdk-nag acknowledges per finding id and resource, so a new
 * statement that repeats exactly a known grant's wildcard on the same policy would be covered too; any other new
 * wildcard is a finding of its own and fails synth.
 */
export function acknowledgePipelineGrants(pipeline: CodePipeline): void {
  Validations.of(pipeline.pipeline.artifactBucket).acknowledge({
    id: 'AwsSolutions-S1',
    reason:
      "The pipeline's artifact bucket is written only by the pipeline's roles; CloudTrail records its access, a log bucket would add a second bucket for no audit value.",
  });
  const owned = ownedBy(pipeline);
  const stack = Stack.of(pipeline);
  // The whole stack: CDK Pipelines also grants to the roles of projects its actions run (the shard project).
  for (const c of stack.node.findAll()) {
    if (!(c instanceof iam.CfnPolicy) || Stack.of(c) !== stack) continue;
    const doc = stack.resolve(c.policyDocument) as { Statement?: Statement[] };
    for (const statement of doc.Statement ?? []) {
      const grant = pipelineGrantOf(statement, owned);
      if (grant === undefined) continue;
      for (const f of findingsOf(statement)) {
        Validations.of(c).acknowledge({ id: `AwsSolutions-IAM5[${f}]`, reason: grant.reason });
      }
    }
  }
}

/**
 * Acknowledges the IAM5 findings of wildcards we grant ourselves on `role`'s policy, each by the exact resource we
 * wrote (resolved and flattened as cdk-nag reports it), with its reason; a wildcard not listed here still fails synth.
 */
export function acknowledgeOwnWildcards(
  role: iam.IRole,
  wildcards: readonly { readonly resource: string; readonly reason: string }[],
): void {
  const stack = Stack.of(role);
  const policy = role.node.tryFindChild('DefaultPolicy')?.node.defaultChild;
  if (policy === undefined) return;
  Validations.of(policy).acknowledge(
    ...wildcards.map((w) => ({
      id: `AwsSolutions-IAM5[Resource::${flattenCfnReference(stack.resolve(w.resource))}]`,
      reason: w.reason,
    })),
  );
}
