import {
  CfnElement,
  DefaultStackSynthesizer,
  RemovalPolicy,
  Stack,
  Token,
  Validations,
  type StackProps,
} from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3deploy from 'aws-cdk-lib/aws-s3-deployment';
import type { Construct } from 'constructs';

export interface StagingStackProps extends StackProps {
  /**
   * Whether CloudFormation refuses to delete the stack until protection is turned off.
   * @default true
   */
  readonly terminationProtection?: boolean;
  /** Name of the staging bucket (deterministic, see `stagingBucketName`). */
  readonly bucketName: string;
  /** Absolute path of the folder holding the vendor files. */
  readonly artifactsDir: string;
  /**
   * Names of the files in `artifactsDir` to put at the bucket root: the Lambda zip and the two templates.
   * Nothing else in the folder (credentials.txt above all) becomes part of the asset.
   */
  readonly files: readonly string[];
}

/**
 * A region's staging bucket with the vendor zip (as a zip object, not unpacked) and both templates at its root.
 * The bucket and its objects outlive the stack: the migrated functions' code lives there.
 */
export class StagingStack extends Stack {
  public readonly bucket: s3.Bucket;

  constructor(scope: Construct, id: string, props: StagingStackProps) {
    super(scope, id, { ...props, terminationProtection: props.terminationProtection ?? true });
    this.bucket = new s3.Bucket(this, 'StagingBucket', {
      bucketName: props.bucketName,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      encryption: s3.BucketEncryption.S3_MANAGED,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      // Versions keep the previous package when a newer one is staged over it.
      versioned: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    Validations.of(this.bucket).acknowledge({
      id: 'AwsSolutions-S1',
      reason:
        'Staging bucket for three vendor files written only by CloudFormation; access logs would need a second bucket per region for no audit value beyond CloudTrail.',
    });

    // The folder is the asset, limited to exactly the named files: BucketDeployment unpacks the folder's archive, so
    // the vendor zip inside it arrives as the object "taegis-lambda-amd64.zip", intact.
    const deployment = new s3deploy.BucketDeployment(this, 'VendorArtifacts', {
      sources: [s3deploy.Source.asset(props.artifactsDir, { exclude: ['*', ...props.files.map((f) => `!${f}`)] })],
      destinationBucket: this.bucket,
      extract: true,
      // Never delete what is already in the bucket (a function may still run from it) ...
      prune: false,
      // ... nor when the stack is removed.
      retainOnDelete: true,
      memoryLimit: 512,
    });

    // The deployment's handler is a singleton Lambda owned by aws-cdk-lib, not something we can reshape. Each finding on it
    // is acknowledged by its exact id, so a new finding (say, a wider grant in a later aws-cdk-lib) still fails synth.
    const qualifier =
      (this.synthesizer instanceof DefaultStackSynthesizer ? this.synthesizer.bootstrapQualifier : undefined) ??
      DefaultStackSynthesizer.DEFAULT_QUALIFIER;
    const assetBucket = `cdk-${qualifier}-assets-${this.account}-${this.region}`;
    // With @aws-cdk/core:enablePartitionLiterals (cdk.json) a known region's partition is a literal ("aws"); without it,
    // the AWS::Partition pseudo parameter, which cdk-nag prints as <AWS::Partition>.
    const partition = Token.isUnresolved(this.partition) ? '<AWS::Partition>' : this.partition;
    const bucketLogicalId = this.resolve((this.bucket.node.defaultChild as CfnElement).logicalId) as string;
    const handlerReason = 'aws-cdk-lib BucketDeployment handler (singleton owned by aws-cdk-lib)';
    const handlers = [
      deployment.handlerRole.node.scope,
      ...this.node.children.filter((c) => c.node.id.startsWith('Custom::CDKBucketDeployment')),
    ];
    for (const scope of new Set(handlers)) {
      if (!scope) continue;
      Validations.of(scope).acknowledge(
        {
          id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
          reason: `${handlerReason}: the AWS managed basic execution policy only lets it write its own logs.`,
        },
        { id: 'AwsSolutions-L1', reason: `${handlerReason}: its runtime is chosen and kept current by aws-cdk-lib.` },
        ...['s3:GetObject*', 's3:GetBucket*', 's3:List*', 's3:DeleteObject*', 's3:Abort*'].map((action) => ({
          id: `AwsSolutions-IAM5[Action::${action}]`,
          reason: `${handlerReason}: the grant aws-cdk-lib makes to copy the asset into the bucket, limited to the two buckets below.`,
        })),
        {
          id: `AwsSolutions-IAM5[Resource::arn:${partition}:s3:::${assetBucket}/*]`,
          reason: `${handlerReason}: reads the asset objects from the CDK bootstrap bucket.`,
        },
        {
          id: `AwsSolutions-IAM5[Resource::<${bucketLogicalId}.Arn>/*]`,
          reason: `${handlerReason}: writes the vendor files into this stack's staging bucket.`,
        },
      );
    }
  }
}
