import { Aws, Duration, Stack, Validations, type StackProps } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { Construct } from 'constructs';
import { GITHUB_OIDC_HOST, GITHUB_SESSION_SECONDS } from '../config/pipeline.js';
import type { RegionConfig } from '../config/schema.js';
import { VENDOR_FUNCTION_INFIX } from '../facts/taegis.js';

/** The audience GitHub's token carries for AWS (`aws-actions/configure-aws-credentials`). */
export const GITHUB_OIDC_AUDIENCE = 'sts.amazonaws.com';

export interface GitHubOidcStackProps extends StackProps {
  /** `owner/name` of the repository whose workflow may assume the role. */
  readonly repository: string;
  /** The branch the workflow runs on (`on: push: branches`). */
  readonly branch: string;
  /** GitHub Environments the workflow's approval jobs are bound to (`taegis-<wave>`). */
  readonly environments: readonly string[];
  /** Name of the role; the generated workflow assumes it by this name. */
  readonly roleName: string;
  /** The verify role in this account the workflow's verify gate assumes. */
  readonly verifyRoleName: string;
  /**
   * The CDK bootstrap qualifier (cdk.json `@aws-cdk/core:bootstrapQualifier`).
   * @default "hnb659fds"
   */
  readonly bootstrapQualifier?: string;
  /**
   * ARN of the account's existing GitHub OIDC provider: trusted instead of creating one (one provider per URL).
   * @default - the stack creates the provider
   */
  readonly oidcProviderArn?: string;
  /**
   * S3 object ARNs of the vendor files the workflow downloads before synth (`pipeline.artifactsSource`).
   * @default - none
   */
  readonly artifactObjectArns?: readonly string[];
  /**
   * This account's targets whose functions' log groups `taegis-migrate deploy` creates before a monitoring stack's metric
   * filters (lib/monitoring/log-groups.ts, with the caller's own credentials).
   * @default - none (no `monitoring` in the config)
   */
  readonly monitoredTargets?: readonly Pick<RegionConfig, 'region' | 'lambdaStacks'>[];
  /**
   * This is the pipeline account: the role is the deploy workflow's, whose shard jobs (`ci shard`) assume every
   * target's CDK bootstrap roles (only those tagged deploy, file-publishing or lookup, as the CodeBuild shards) and
   * verify role from here, in sessions of up to 6 h. Each target decides by trusting this account
   * (`cdk bootstrap --trust`, the verify role's trust).
   * @default false - the role reaches this account's own roles only (the drift workflow's, per target account)
   */
  readonly pipelineAccount?: boolean;
}

/**
 * Opt-in GitHub Actions access to one account (IAM is global: one such stack per account). The GitHub OIDC provider
 * (the native resource, no custom resource) and a role that only the configured repository's branch and its approval
 * environments can assume with a GitHub token. The role itself can do nothing but assume the account's CDK bootstrap
 * roles (what `cdk deploy` and plan's change sets run as) and the verify role, and read the configured vendor files.
 */
export class GitHubOidcStack extends Stack {
  public readonly role: iam.Role;
  /** The provider the stack created; undefined when it trusts an existing one. */
  public readonly provider?: iam.CfnOIDCProvider;

  constructor(scope: Construct, id: string, props: GitHubOidcStackProps) {
    super(scope, id, props);
    const account = this.account;
    let providerArn: string;
    if (props.oidcProviderArn !== undefined) {
      providerArn = props.oidcProviderArn;
    } else {
      this.provider = new iam.CfnOIDCProvider(this, 'GitHubProvider', {
        url: `https://${GITHUB_OIDC_HOST}`,
        clientIdList: [GITHUB_OIDC_AUDIENCE],
      });
      providerArn = this.provider.attrArn;
    }
    const qualifier = props.bootstrapQualifier ?? 'hnb659fds';
    const roleArn = (name: string): string => `arn:${Aws.PARTITION}:iam::${account}:role/${name}`;
    // Every bootstrap role of this account, in any region: deploy, file and image publishing, lookup. In the pipeline
    // account, those of any account (a list of targets would outgrow IAM's policy size), narrowed by their tag.
    const fleet = props.pipelineAccount === true;
    const bootstrapRoles = fleet
      ? `arn:${Aws.PARTITION}:iam::*:role/cdk-${qualifier}-*`
      : roleArn(`cdk-${qualifier}-*-${account}-*`);
    const verifyRoles = fleet
      ? `arn:${Aws.PARTITION}:iam::*:role/${props.verifyRoleName}`
      : roleArn(props.verifyRoleName);
    const subjects = [
      `repo:${props.repository}:ref:refs/heads/${props.branch}`,
      ...props.environments.map((e) => `repo:${props.repository}:environment:${e}`),
    ];

    // The vendor template names each function <stackName>-scwx-tdr-lambda-<integration> (as in the verify role).
    const logGroups = (props.monitoredTargets ?? []).flatMap((t) =>
      t.lambdaStacks.map((l) => {
        const resource = `${t.region}:${account}:log-group:/aws/lambda/${l.stackName}${VENDOR_FUNCTION_INFIX}*`;
        return { arn: `arn:${Aws.PARTITION}:logs:${resource}`, nag: `arn:<AWS::Partition>:logs:${resource}` };
      }),
    );
    this.role = new iam.Role(this, 'GitHubRole', {
      roleName: props.roleName,
      description: `taegis-migrate GitHub Actions (${props.repository}): assumes the CDK bootstrap roles and the verify role${fleet ? ' of every target account' : ''}`,
      ...(fleet ? { maxSessionDuration: Duration.seconds(GITHUB_SESSION_SECONDS) } : {}),
      assumedBy: new iam.FederatedPrincipal(
        providerArn,
        {
          StringEquals: {
            [`${GITHUB_OIDC_HOST}:aud`]: GITHUB_OIDC_AUDIENCE,
            [`${GITHUB_OIDC_HOST}:sub`]: subjects,
          },
        },
        'sts:AssumeRoleWithWebIdentity',
      ),
      inlinePolicies: {
        Deploy: new iam.PolicyDocument({
          statements: [
            new iam.PolicyStatement({
              sid: 'AssumeCdkBootstrapRoles',
              actions: ['sts:AssumeRole'],
              resources: [bootstrapRoles],
              ...(fleet
                ? {
                    conditions: {
                      'ForAnyValue:StringEquals': {
                        'iam:ResourceTag/aws-cdk:bootstrap-role': ['deploy', 'file-publishing', 'lookup'],
                      },
                    },
                  }
                : {}),
            }),
            new iam.PolicyStatement({
              sid: 'AssumeVerifyRole',
              actions: ['sts:AssumeRole'],
              resources: [verifyRoles],
            }),
            ...(logGroups.length > 0
              ? [
                  new iam.PolicyStatement({
                    sid: 'CreateMonitoredFunctionLogGroups',
                    actions: ['logs:CreateLogGroup'],
                    resources: logGroups.map((g) => g.arn),
                  }),
                ]
              : []),
            ...(props.artifactObjectArns !== undefined && props.artifactObjectArns.length > 0
              ? [
                  new iam.PolicyStatement({
                    sid: 'ReadVendorFiles',
                    actions: ['s3:GetObject'],
                    resources: [...props.artifactObjectArns],
                  }),
                ]
              : []),
          ],
        }),
      },
    });

    // Each wildcard is acknowledged by its exact resource, so a wider one added later still fails synth.
    Validations.of(this.role).acknowledge(
      ...(fleet
        ? [
            {
              id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:iam::*:role/cdk-${qualifier}-*]`,
              reason:
                'The CDK bootstrap roles (deploy, file publishing, lookup; tag-conditioned) of any target account: the shard jobs deploy and plan there as the CodeBuild shards do. The targets trust the pipeline account (cdk bootstrap --trust).',
            },
            {
              id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:iam::*:role/${props.verifyRoleName}]`,
              reason: `The verify role ${props.verifyRoleName} of any target account, which trusts this role.`,
            },
          ]
        : [
            {
              id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:iam::${account}:role/cdk-${qualifier}-*-${account}-*]`,
              reason:
                'The CDK bootstrap roles of this account (deploy, publishing, lookup) are named per region: the workflow deploys and plans through them, the way cdk deploy does.',
            },
          ]),
      ...logGroups.map((g) => ({
        id: `AwsSolutions-IAM5[Resource::${g.nag}]`,
        reason:
          'CreateLogGroup only, for the configured stack’s own function (named <stackName>-scwx-tdr-lambda-<integration> by the vendor template), so its metric filters can be made before it first ran.',
      })),
    );
  }
}
