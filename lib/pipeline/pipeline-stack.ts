import { BOOTSTRAP_QUALIFIER_CONTEXT, Duration, Stack, Validations, type StackProps } from 'aws-cdk-lib';
import * as codebuild from 'aws-cdk-lib/aws-codebuild';
import type * as codepipeline from 'aws-cdk-lib/aws-codepipeline';
import { PipelineType } from 'aws-cdk-lib/aws-codepipeline';
import * as cpactions from 'aws-cdk-lib/aws-codepipeline-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import {
  CodeBuildStep,
  CodePipeline,
  CodePipelineSource,
  FileSet,
  ManualApprovalStep,
  Step,
  type CodePipelineActionFactoryResult,
  type ICodePipelineActionFactory,
  type ProduceActionOptions,
} from 'aws-cdk-lib/pipelines';
import type { Construct } from 'constructs';
import type { TargetWiring } from '../stacks/targets.js';
import { artifactsDirInRepo, fetchArtifactsCommands, partitionOf, REPORTS_DIR, synthCommand } from './commands.js';
import { acknowledgeOwnWildcards, acknowledgePipelineGrants } from './grants.js';
import { verifyRoleNameOf, type PipelineConfig } from '../config/pipeline.js';
import { shardedWaves, type ShardedWave } from './shards.js';
import { CODEBUILD_IMAGE, codeBuildRuntimeVersions } from '../facts/ci-runtimes.js';

/** Construct id and default CloudFormation name of the pipeline stack. */
export const PIPELINE_STACK_ID = 'TaegisPipeline';
/** Name of the CodeBuild report group that receives every shard's JUnit (a test suite per target). */
export const VERIFY_REPORT_GROUP = 'taegis-migrate-verify';
/** The AWS profile the single-target gate commands (lib/pipeline/commands.ts) take (`--profile`). */
export const GATE_PROFILE = 'taegis-target';
/** Where the shards put their results for the wave's gate, per pipeline execution, in the results bucket. */
export const RESULTS_PREFIX = 'taegis-results';

export interface PipelineStackProps extends StackProps {
  readonly pipelineConfig: PipelineConfig;
  readonly wiring: TargetWiring;
  /** The config file's path in the repository (`cdk synth -c config=`). */
  readonly configFile: string;
}

/**
 * A step of one wave's stage: one action of the shared shard project, told by environment variables what to run
 * (a shard of the wave in a phase, or the wave's gate). The project is shared, so the pipeline's size grows with
 * waves and shards, never with targets.
 */
class ShardProjectStep extends Step implements ICodePipelineActionFactory {
  constructor(
    id: string,
    private readonly props: {
      readonly project: codebuild.IProject;
      /** The one role every shard and gate action runs as (one per action would grow with waves x shards). */
      readonly actionRole: iam.IRole;
      readonly input: FileSet;
      readonly env: Readonly<Record<string, string>>;
    },
  ) {
    super(id);
    this.addDependencyFileSet(props.input);
    this.configurePrimaryOutput(new FileSet('Reports', this));
  }

  public produceAction(stage: codepipeline.IStage, options: ProduceActionOptions): CodePipelineActionFactoryResult {
    stage.addAction(
      new cpactions.CodeBuildAction({
        actionName: options.actionName,
        runOrder: options.runOrder,
        project: this.props.project,
        role: this.props.actionRole,
        input: options.artifacts.toCodePipeline(this.props.input),
        outputs: [options.artifacts.toCodePipeline(this.primaryOutput!)],
        environmentVariables: {
          ...Object.fromEntries(Object.entries(this.props.env).map(([k, value]) => [k, { value }])),
          // One results folder per pipeline execution: a gate never reads an earlier run's shards.
          TAEGIS_EXECUTION: { value: '#{codepipeline.PipelineExecutionId}' },
        },
      }),
    );
    return { runOrdersConsumed: 1 };
  }
}

/**
 * `TaegisPipeline`: CDK Pipelines from the config's `pipeline` section. Synth runs `npm ci` and the
 * `cdk synth`, the pipeline updates itself, then one stage per wave: at most `shardsPerWave` shard actions, each a build
 * of one shared CodeBuild project running `taegis-migrate ci shard` (plan, deploy and verify of its share of the
 * wave's targets, a failed target never stopping the others), then a gate action running `taegis-migrate ci gate`
 * (the wave's failure tolerance: exit 1 stops the pipeline). With `approval`, plan shards and a manual approval come
 * first. Every target's result: a JUnit test suite per target in the report group, JSON in each action's output.
 */
export class PipelineStack extends Stack {
  public readonly pipeline: CodePipeline;
  public readonly verifyReports: codebuild.ReportGroup;
  public readonly shardProject: codebuild.PipelineProject;
  public readonly results: s3.Bucket;
  public readonly waves: readonly ShardedWave[];

  constructor(scope: Construct, id: string, props: PipelineStackProps) {
    super(scope, id, props);
    const { pipelineConfig: pc, wiring, configFile } = props;
    const config = wiring.config;
    const source = CodePipelineSource.connection(pc.source.repository, pc.source.branch, {
      connectionArn: pc.source.connectionArn,
    });
    const artifactsDir = artifactsDirInRepo(config.configPath, config.artifactsDir, configFile);
    const artifactObjects = pc.artifactsSource
      ? Object.keys(pc.artifactsSource.sha256).map(
          (file) =>
            `arn:${partitionOf(pc.region)}:s3:::${pc.artifactsSource!.bucket}/${pc.artifactsSource!.prefix}${file}`,
        )
      : [];

    const synth = new CodeBuildStep('Synth', {
      input: source,
      installCommands: [...fetchArtifactsCommands(pc, artifactsDir)],
      commands: ['npm ci', synthCommand(configFile)],
      primaryOutputDirectory: 'cdk.out',
      rolePolicyStatements:
        artifactObjects.length > 0
          ? [new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: artifactObjects })]
          : [],
    });

    this.pipeline = new CodePipeline(this, 'Pipeline', {
      pipelineName: 'taegis-migrate',
      pipelineType: PipelineType.V2,
      synth,
      selfMutation: true,
      // A customer managed key for the artifact bucket, which the CodeBuild projects encrypt with too. Every action
      // runs in the pipeline's region (the shards deploy from there), so there is no replication bucket per region.
      crossAccountKeys: true,
      enableKeyRotation: true,
      codeBuildDefaults: {
        buildEnvironment: { buildImage: codebuild.LinuxBuildImage.fromCodeBuildImageId(CODEBUILD_IMAGE.image) },
        partialBuildSpec: codebuild.BuildSpec.fromObject({
          phases: { install: { 'runtime-versions': codeBuildRuntimeVersions() } },
        }),
      },
    });

    this.verifyReports = new codebuild.ReportGroup(this, 'VerifyReports', {
      reportGroupName: VERIFY_REPORT_GROUP,
      type: codebuild.ReportGroupType.TEST,
    });
    this.results = new s3.Bucket(this, 'Results', {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      lifecycleRules: [{ expiration: Duration.days(90) }],
    });
    this.shardProject = this.shardProjectFor(pc, configFile, artifactsDir, artifactObjects, verifyRoleNameOf(config));

    // Assumed by the pipeline's role for each shard and gate action (what CDK makes per action, made once).
    const actionRole = new iam.Role(this, 'ShardActionRole', { assumedBy: new iam.AccountRootPrincipal() });
    this.waves = shardedWaves({ regions: config.regions, pipeline: pc });
    for (const wave of this.waves) {
      const step = (id: string, env: Record<string, string>) =>
        new ShardProjectStep(id, {
          project: this.shardProject,
          actionRole,
          input: source.primaryOutput!,
          env: { TAEGIS_WAVE: wave.name, ...env },
        });
      const shard = (phase: 'plan' | 'apply', i: number) =>
        step(`${phase === 'plan' ? 'Plan' : 'Shard'}-${i + 1}`, {
          TAEGIS_STEP: 'shard',
          TAEGIS_PHASE: phase,
          TAEGIS_SHARD: String(i),
        });
      const apply = wave.shards.map((_, i) => shard('apply', i));
      const steps: Step[] = [];
      if (wave.approval) {
        const plans = wave.shards.map((_, i) => shard('plan', i));
        const approval = new ManualApprovalStep(`Approve-${wave.name}`, {
          comment: `Review the plan reports of wave "${wave.name}" (${wave.targets.length} target(s), each Plan action's output and log), then approve to deploy.`,
        });
        for (const p of plans) approval.addStepDependency(p);
        for (const a of apply) a.addStepDependency(approval);
        steps.push(...plans, approval);
      }
      const gate = step('Gate', { TAEGIS_STEP: 'gate' });
      for (const a of apply) gate.addStepDependency(a);
      steps.push(...apply, gate);
      this.pipeline.addWave(wave.name).addPost(...steps);
    }
    // Build now, so cdk-nag sees (and the tests assert on) the real CodePipeline, its projects and roles.
    this.pipeline.buildPipeline();
    acknowledgePipelineGrants(this.pipeline);
  }

  /**
   * The one CodeBuild project every shard and gate action of every wave runs (told what by environment variables).
   * It may assume, in any target account, the CDK bootstrap roles (tag-conditioned, as self-mutation) and the verify
   * role: the roles the single-target steps assumed; a target list in the policy would outgrow IAM's policy size.
   */
  private shardProjectFor(
    pc: PipelineConfig,
    configFile: string,
    artifactsDir: string,
    artifactObjects: readonly string[],
    verifyRoleName: string,
  ): codebuild.PipelineProject {
    const results = `s3://${this.results.bucketName}/${RESULTS_PREFIX}/$TAEGIS_EXECUTION/$TAEGIS_WAVE/`;
    const program = 'npx taegis-migrate';
    const project = new codebuild.PipelineProject(this, 'ShardProject', {
      description: 'taegis-migrate: one shard of a wave (ci shard) or its gate (ci gate)',
      environment: { buildImage: codebuild.LinuxBuildImage.fromCodeBuildImageId(CODEBUILD_IMAGE.image) },
      timeout: Duration.hours(8),
      buildSpec: codebuild.BuildSpec.fromObject({
        version: '0.2',
        phases: {
          install: {
            'runtime-versions': codeBuildRuntimeVersions(),
            commands: [...fetchArtifactsCommands(pc, artifactsDir), 'npm ci'],
          },
          build: {
            commands: [
              `mkdir -p ${REPORTS_DIR}/ci`,
              [
                'if [ "$TAEGIS_STEP" = gate ]; then',
                `  aws s3 cp --only-show-errors --recursive ${results} ${REPORTS_DIR}/ci/;`,
                `  ${program} ci gate --config ${configFile} --wave "$TAEGIS_WAVE";`,
                'else',
                `  ${program} ci shard --config ${configFile} --wave "$TAEGIS_WAVE" --shard "$TAEGIS_SHARD" --phase "$TAEGIS_PHASE" --credential-source EcsContainer`,
                `  && aws s3 cp --only-show-errors --recursive ${REPORTS_DIR}/ci/ ${results};`,
                'fi',
              ].join('\n'),
            ],
          },
        },
        reports: {
          [this.verifyReports.reportGroupArn]: {
            files: ['**/*.xml'],
            'base-directory': `${REPORTS_DIR}/junit`,
            'file-format': 'JUNITXML',
          },
        },
        artifacts: { 'base-directory': REPORTS_DIR, files: ['**/*'] },
      }),
    });
    const partition = partitionOf(pc.region);
    const qualifier: unknown = this.node.tryGetContext(BOOTSTRAP_QUALIFIER_CONTEXT);
    const cdkRoles = `arn:${partition}:iam::*:role/cdk-${typeof qualifier === 'string' ? qualifier : 'hnb659fds'}-*`;
    const verifyRoles = `arn:${partition}:iam::*:role/${verifyRoleName}`;
    const statements = [
      new iam.PolicyStatement({
        actions: ['sts:AssumeRole'],
        resources: [cdkRoles],
        conditions: {
          'ForAnyValue:StringEquals': {
            'iam:ResourceTag/aws-cdk:bootstrap-role': ['deploy', 'file-publishing', 'lookup'],
          },
        },
      }),
      new iam.PolicyStatement({ actions: ['sts:AssumeRole'], resources: [verifyRoles] }),
      new iam.PolicyStatement({
        actions: ['codebuild:CreateReport', 'codebuild:UpdateReport', 'codebuild:BatchPutTestCases'],
        resources: [this.verifyReports.reportGroupArn],
      }),
      new iam.PolicyStatement({
        actions: ['s3:GetObject', 's3:PutObject'],
        resources: [this.results.arnForObjects(`${RESULTS_PREFIX}/*`)],
      }),
      new iam.PolicyStatement({ actions: ['s3:ListBucket'], resources: [this.results.bucketArn] }),
      ...(artifactObjects.length > 0
        ? [new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: [...artifactObjects] })]
        : []),
    ];
    for (const st of statements) project.addToRolePolicy(st);
    acknowledgeOwnWildcards(project.role!, [
      {
        resource: cdkRoles,
        reason:
          'The CDK bootstrap roles (deploy, file publishing, lookup; tag-conditioned) of any target account: the shards deploy and plan there as the single-target steps did. The targets trust the pipeline account (cdk bootstrap --trust).',
      },
      {
        resource: verifyRoles,
        reason: `The verify role ${verifyRoleName} of any target account, which trusts the pipeline account.`,
      },
      {
        resource: this.results.arnForObjects(`${RESULTS_PREFIX}/*`),
        reason: 'The shard results of this pipeline, in its own results bucket.',
      },
    ]);
    Validations.of(this.results).acknowledge({
      id: 'AwsSolutions-S1',
      reason:
        'Holds only shard results (which targets passed), written and read by the shard project; CloudTrail records its access.',
    });
    return project;
  }
}

/** Adds the `TaegisPipeline` stack to the app (called by buildApp when the config has a `pipeline` section). */
export function addPipelineStack(
  scope: Construct,
  pipelineConfig: PipelineConfig,
  wiring: TargetWiring,
  options: { readonly configFile: string },
): PipelineStack {
  return new PipelineStack(scope, PIPELINE_STACK_ID, {
    env: { account: pipelineConfig.account, region: pipelineConfig.region },
    stackName: pipelineConfig.stackName ?? PIPELINE_STACK_ID,
    description: 'taegis-migrate: CDK Pipeline deploying the Taegis migration wave by wave, gated by plan and verify',
    pipelineConfig,
    wiring,
    configFile: pipelineConfig.configFile ?? options.configFile,
  });
}
