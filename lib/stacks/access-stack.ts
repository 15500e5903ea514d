import { Aws, Stack, Validations, type StackProps } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { Construct } from 'constructs';
import { failedEventsQueueName } from '../monitoring/failed-events.js';
import type { RegionConfig } from '../config/schema.js';
import { VENDOR_FUNCTION_INFIX } from '../facts/taegis.js';

export interface AccessStackProps extends StackProps {
  /** The principal allowed to assume the role (the operator's or the pipeline's role). */
  readonly trustedPrincipalArn: string;
  /** Name of the role; the config's `access.roleName` assumes it. */
  readonly roleName: string;
  /**
   * ExternalId the trust policy requires.
   * @default - none
   */
  readonly externalId?: string;
  /** This account's configured targets: the role reaches only their stacks, functions, log groups and buckets. */
  readonly targets: readonly Pick<RegionConfig, 'region' | 'account' | 'lambdaStacks'>[];
  /**
   * Roles that may also assume the role: the GitHub Actions OIDC roles that run verify through it (the drift workflow's
   * of this account, the deploy workflow's of the pipeline account). `account` defaults to this stack's.
   * @default - none
   */
  readonly trustedRoles?: readonly { readonly account?: string; readonly roleName: string }[];
}

/**
 * Opt-in least-privilege role for `verify` in one account (IAM is global: exactly one such stack per account, in one
 * region). It may read the configured stacks, read and add the S3 (or SNS) invoke permission of their functions, read
 * and write the notification configuration of their log buckets, read and subscribe to their SNS topics (those of this
 * account), and read their log groups; nothing else.
 */
export class AccessStack extends Stack {
  public readonly role: iam.Role;
  /** Roles the trust policy also names (`trustedRoles`), each with its account. */
  public readonly trustedRoles: readonly { readonly account: string; readonly roleName: string }[];

  constructor(scope: Construct, id: string, props: AccessStackProps) {
    super(scope, id, props);
    const account = this.account;
    const arn = (service: string, region: string, resource: string): string =>
      `arn:${Aws.PARTITION}:${service}:${region}:${account}:${resource}`;
    const stacks = props.targets.flatMap((t) => t.lambdaStacks.map((s) => ({ region: t.region, ...s })));
    const buckets = [...new Set(stacks.map((s) => s.notificationBucket))].sort();
    const regions = [...new Set(props.targets.map((t) => t.region))].sort();

    const stackArns = stacks.map((s) => arn('cloudformation', s.region, `stack/${s.stackName}/*`));
    const functionArns = stacks.map((s) => arn('lambda', s.region, `function:${s.stackName}${VENDOR_FUNCTION_INFIX}*`));
    // verify also asks whether an old Taegis function a bucket still points at is gone: any Taegis-named function.
    const anyTaegisFunction = regions.map((r) => arn('lambda', r, `function:*${VENDOR_FUNCTION_INFIX}*`));
    const logGroupArns = stacks.map((s) =>
      arn('logs', s.region, `log-group:/aws/lambda/${s.stackName}${VENDOR_FUNCTION_INFIX}*:*`),
    );
    const bucketArns = buckets.map((b) => `arn:${Aws.PARTITION}:s3:::${b}`);
    // verify's sns check reads these topics and subscribes the function; a topic of another account is that account's.
    const topicArns = [...new Set(stacks.map((s) => s.snsNotificationArn))]
      .filter((t): t is string => t !== undefined && t.split(':')[4] === props.targets[0]?.account)
      .sort();

    this.role = new iam.Role(this, 'VerifyRole', {
      roleName: props.roleName,
      description: 'taegis-migrate verify: reads the configured Taegis stacks and moves their log buckets triggers',
      assumedBy: new iam.ArnPrincipal(props.trustedPrincipalArn).withConditions(
        props.externalId !== undefined ? { StringEquals: { 'sts:ExternalId': props.externalId } } : {},
      ),
      inlinePolicies: {
        Verify: new iam.PolicyDocument({
          statements: [
            new iam.PolicyStatement({
              sid: 'ReadConfiguredStacks',
              actions: ['cloudformation:DescribeStacks', 'cloudformation:DescribeStackResources'],
              resources: stackArns,
            }),
            new iam.PolicyStatement({
              sid: 'CheckAndTriggerConfiguredFunctions',
              actions: [
                'lambda:GetFunctionConfiguration',
                'lambda:GetPolicy',
                'lambda:AddPermission',
                // The failed-events check reads the function's on-failure destination.
                'lambda:GetFunctionEventInvokeConfig',
              ],
              resources: functionArns,
            }),
            new iam.PolicyStatement({
              sid: 'AskWhetherOldTaegisFunctionsAreGone',
              actions: ['lambda:GetFunctionConfiguration'],
              resources: anyTaegisFunction,
            }),
            new iam.PolicyStatement({
              sid: 'MoveTriggersOfConfiguredBuckets',
              actions: ['s3:GetBucketNotification', 's3:PutBucketNotification'],
              resources: bucketArns,
            }),
            new iam.PolicyStatement({
              sid: 'CountFailedEvents',
              actions: ['sqs:GetQueueUrl', 'sqs:GetQueueAttributes'],
              resources: stacks.map((s) => arn('sqs', s.region, failedEventsQueueName(s.stackName))),
            }),
            new iam.PolicyStatement({
              sid: 'ReadFunctionLogs',
              actions: ['logs:FilterLogEvents'],
              resources: logGroupArns,
            }),
            ...(topicArns.length > 0
              ? [
                  new iam.PolicyStatement({
                    sid: 'CheckAndSubscribeConfiguredTopics',
                    actions: ['sns:GetTopicAttributes', 'sns:ListSubscriptionsByTopic', 'sns:Subscribe'],
                    resources: topicArns,
                  }),
                ]
              : []),
          ],
        }),
      },
    });

    this.trustedRoles = (props.trustedRoles ?? []).map((r) => ({
      account: r.account ?? props.targets[0]?.account ?? account,
      roleName: r.roleName,
    }));
    for (const r of this.trustedRoles) {
      this.role.assumeRolePolicy?.addStatements(
        new iam.PolicyStatement({
          actions: ['sts:AssumeRole'],
          principals: [new iam.ArnPrincipal(`arn:${Aws.PARTITION}:iam::${r.account}:role/${r.roleName}`)],
        }),
      );
    }

    // Each wildcard is acknowledged by its exact resource, so a wider one added later still fails synth.
    const p = '<AWS::Partition>';
    const show = (service: string, region: string, resource: string): string =>
      `arn:${p}:${service}:${region}:${props.targets[0]?.account ?? ''}:${resource}`;
    Validations.of(this.role).acknowledge(
      ...stacks.map((s) => ({
        id: `AwsSolutions-IAM5[Resource::${show('cloudformation', s.region, `stack/${s.stackName}/*`)}]`,
        reason: `A stack ARN ends in its generated id; the name ${s.stackName} is the configured stack.`,
      })),
      ...stacks.map((s) => ({
        id: `AwsSolutions-IAM5[Resource::${show('lambda', s.region, `function:${s.stackName}${VENDOR_FUNCTION_INFIX}*`)}]`,
        reason: `The vendor template names the function ${s.stackName}${VENDOR_FUNCTION_INFIX}<integration>; only this stack's.`,
      })),
      ...regions.map((r) => ({
        id: `AwsSolutions-IAM5[Resource::${show('lambda', r, `function:*${VENDOR_FUNCTION_INFIX}*`)}]`,
        reason:
          'Read-only (GetFunctionConfiguration): verify asks whether a stale Taegis trigger points at a function that is gone.',
      })),
      ...stacks.map((s) => ({
        id: `AwsSolutions-IAM5[Resource::${show('logs', s.region, `log-group:/aws/lambda/${s.stackName}${VENDOR_FUNCTION_INFIX}*:*`)}]`,
        reason: 'FilterLogEvents on the configured function’s own log group (and its streams).',
      })),
    );
  }
}
