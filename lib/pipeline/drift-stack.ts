import { Duration, Stack, Validations, type StackProps } from 'aws-cdk-lib';
import * as codebuild from 'aws-cdk-lib/aws-codebuild';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as schedulerTargets from 'aws-cdk-lib/aws-scheduler-targets';
import * as sns from 'aws-cdk-lib/aws-sns';
import type { Construct } from 'constructs';
import { driftSettings, eventBridgeCron } from '../config/drift.js';
import { CODEBUILD_IMAGE, codeBuildRuntimeVersions } from '../facts/ci-runtimes.js';
import { partitionOf, REPORTS_DIR } from './commands.js';
import { readOnlySessionPolicy } from './drift-policy.js';
import { verifyRoleNameOf, type PipelineConfig } from '../config/pipeline.js';

/** Construct id and CloudFormation name of the drift watch stack. */
export const DRIFT_STACK_ID = 'TaegisDrift';
/** The CodeBuild report group that receives the drift check's JUnit reports. */
export const DRIFT_REPORT_GROUP = 'taegis-migrate-drift';
/** The CodeBuild project the schedule starts. */
export const DRIFT_PROJECT_NAME = 'taegis-migrate-drift';

export interface DriftStackProps extends StackProps {
  readonly pipelineConfig: PipelineConfig;
  /** The targets' accounts and the verify role's name come from the config. */
  readonly config: {
    readonly regions: readonly { readonly account: string; readonly region: string }[];
    readonly accessRole?: { readonly roleName: string };
    readonly pipeline?: Pick<PipelineConfig, 'verifyRoleName'>;
  };
  /** The config file's path in the repository. */
  readonly configFile: string;
}

/**
 * The build's commands: per target account, assume the verify role there with a read-only session policy (the
 * session can read and nothing else, whatever the role allows), then `verify --check` of that account's targets
 * with those credentials (environment variables of that one command; never echoed). Accounts run one after another
 * and every one runs: the build ends with the worst exit code, so one account's drift never hides another's.
 */
export function driftCommands(
  configFile: string,
  accounts: readonly string[],
  partition: string,
  roleName: string,
  since: string,
): string[] {
  return [
    `mkdir -p ${REPORTS_DIR}`,
    `rc=0; for a in ${accounts.join(' ')}; do c=0; (set -e; creds=$(aws sts assume-role --role-arn "arn:${partition}:iam::$a:role/${roleName}" --role-session-name taegis-migrate-drift --policy '${readOnlySessionPolicy()}' --query 'Credentials.[AccessKeyId,SecretAccessKey,SessionToken]' --output text); set -- $creds; AWS_ACCESS_KEY_ID=$1 AWS_SECRET_ACCESS_KEY=$2 AWS_SESSION_TOKEN=$3 npm run verify -- --config ${configFile} --account "$a" --check --since ${since} --junit ${REPORTS_DIR}/drift-"$a".xml --json ${REPORTS_DIR}/drift-"$a".json) || c=$?; if [ "$c" -gt "$rc" ]; then rc=$c; fi; done; echo "drift check exit code: $rc"; exit $rc`,
  ];
}

/**
 * `TaegisDrift`: the CodePipeline route's drift watch. An EventBridge Scheduler schedule (`pipeline.drift.schedule`,
 * daily by default) starts a CodeBuild project that checks out the repository through the pipeline's connection and
 * runs `verify --check` in every target account as the verify role; it writes nothing there. JUnit goes to a report
 * group; a failed build notifies an SNS topic (the config's, or one this stack creates: subscribe to it).
 */
export class DriftStack extends Stack {
  public readonly project: codebuild.Project;
  public readonly topic: sns.ITopic;
  public readonly reports: codebuild.ReportGroup;
  public readonly schedule: scheduler.Schedule;

  constructor(scope: Construct, id: string, props: DriftStackProps) {
    super(scope, id, props);
    const pc = props.pipelineConfig;
    const drift = driftSettings(pc.drift);
    const partition = partitionOf(pc.region);
    const verifyRole = verifyRoleNameOf(props.config);
    const accounts = [...new Set(props.config.regions.map((r) => r.account))].sort();
    const roleArnOf = (a: string): string => `arn:${partition}:iam::${a}:role/${verifyRole}`;

    const key = new kms.Key(this, 'Key', {
      description: 'taegis-migrate drift watch: build artifacts, logs and the alarm topic',
      enableKeyRotation: true,
    });
    // EventBridge publishes the failure to the encrypted topic.
    key.grant(new iam.ServicePrincipal('events.amazonaws.com'), 'kms:Decrypt', 'kms:GenerateDataKey*');

    this.reports = new codebuild.ReportGroup(this, 'Reports', {
      reportGroupName: DRIFT_REPORT_GROUP,
      type: codebuild.ReportGroupType.TEST,
    });

    const [owner, repo] = pc.source.repository.split('/') as [string, string];
    this.project = new codebuild.Project(this, 'Project', {
      projectName: DRIFT_PROJECT_NAME,
      description: 'taegis-migrate drift watch: verify --check (read-only) in every target account',
      source: codebuild.Source.gitHub({ owner, repo, branchOrRef: pc.source.branch, reportBuildStatus: false }),
      environment: {
        buildImage: codebuild.LinuxBuildImage.fromCodeBuildImageId(CODEBUILD_IMAGE.image),
        computeType: codebuild.ComputeType.SMALL,
      },
      encryptionKey: key,
      timeout: Duration.hours(2),
      buildSpec: codebuild.BuildSpec.fromObject({
        version: '0.2',
        phases: {
          install: { 'runtime-versions': codeBuildRuntimeVersions(), commands: ['npm ci'] },
          build: { commands: driftCommands(props.configFile, accounts, partition, verifyRole, drift.since) },
        },
        reports: {
          [this.reports.reportGroupArn]: {
            files: ['drift-*.xml'],
            'base-directory': REPORTS_DIR,
            'file-format': 'JUNITXML',
          },
        },
      }),
    });
    // The repository through the pipeline's own connection (CodeBuild's CODECONNECTIONS source auth; the L2 has no
    // property for it).
    const cfn = this.project.node.defaultChild as codebuild.CfnProject;
    cfn.addPropertyOverride('Source.Auth', { Type: 'CODECONNECTIONS', Resource: pc.source.connectionArn });
    const service = pc.source.connectionArn.split(':')[2] ?? 'codeconnections';
    this.project.addToRolePolicy(
      new iam.PolicyStatement({
        actions: [`${service}:UseConnection`, `${service}:GetConnectionToken`, `${service}:GetConnection`],
        resources: [pc.source.connectionArn],
      }),
    );
    // Its only way into the targets: the verify role of each target account. Nothing in the project's own account
    // beyond its logs and reports.
    this.project.addToRolePolicy(
      new iam.PolicyStatement({ actions: ['sts:AssumeRole'], resources: accounts.map(roleArnOf) }),
    );
    this.reports.grantWrite(this.project);

    this.topic =
      drift.topicArn !== undefined
        ? sns.Topic.fromTopicArn(this, 'Topic', drift.topicArn)
        : new sns.Topic(this, 'Topic', {
            displayName: 'taegis-migrate drift',
            masterKey: key,
            enforceSSL: true,
          });
    this.project.onBuildFailed('OnFailed', {
      description: 'taegis-migrate drift watch failed: a target drifted (or the check could not run)',
      target: new targets.SnsTopic(this.topic, {
        message: events.RuleTargetInput.fromText(
          `taegis-migrate drift check failed (build ${events.EventField.fromPath('$.detail.build-id')}): a target drifted or the check could not run. The build log and the ${DRIFT_REPORT_GROUP} report group name each drift and the command that fixes it.`,
        ),
      }),
    });

    // CodeBuild's own grants to the project, each acknowledged by its exact finding (a wider grant still fails synth).
    const projectId = this.getLogicalId(cfn);
    // The partition is a literal with cdk.json's flags, a token without them: both forms name the same grants.
    const partitions = [partition, '<AWS::Partition>'];
    Validations.of(this.project.role!).acknowledge(
      ...partitions.flatMap((p) => [
        {
          id: `AwsSolutions-IAM5[Resource::arn:${p}:logs:${pc.region}:${pc.account}:log-group:/aws/codebuild/<${projectId}>:*]`,
          reason: "The project's own log streams under its own /aws/codebuild log group (CodeBuild's grant).",
        },
        {
          id: `AwsSolutions-IAM5[Resource::arn:${p}:codebuild:${pc.region}:${pc.account}:report-group/<${projectId}>-*]`,
          reason: "The project's own report groups (CodeBuild's grant); the drift reports go to the named group.",
        },
      ]),
      ...['GenerateDataKey*', 'ReEncrypt*'].map((a) => ({
        id: `AwsSolutions-IAM5[Action::kms:${a}]`,
        reason:
          "Use of the stack's own key only (the statement names it): CodeBuild encrypts the build's output with it.",
      })),
    );

    this.schedule = new scheduler.Schedule(this, 'Schedule', {
      description: `taegis-migrate drift watch (${drift.schedule} UTC)`,
      schedule: scheduler.ScheduleExpression.expression(eventBridgeCron(drift.schedule)),
      target: new schedulerTargets.CodeBuildStartBuild(this.project),
    });
  }
}

/** Adds the `TaegisDrift` stack to the app beside the pipeline (same account and region). */
export function addDriftStack(
  scope: Construct,
  pipelineConfig: PipelineConfig,
  config: DriftStackProps['config'],
  options: { readonly configFile: string },
): DriftStack {
  return new DriftStack(scope, DRIFT_STACK_ID, {
    env: { account: pipelineConfig.account, region: pipelineConfig.region },
    stackName: DRIFT_STACK_ID,
    description: 'taegis-migrate: scheduled drift watch (verify --check, read-only) of every target',
    pipelineConfig,
    config,
    configFile: pipelineConfig.configFile ?? options.configFile,
  });
}
