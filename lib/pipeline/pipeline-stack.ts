import { BOOTSTRAP_QUALIFIER_CONTEXT, Stack, Stage, type StackProps, type StageProps } from 'aws-cdk-lib';
import * as codebuild from 'aws-cdk-lib/aws-codebuild';
import { PipelineType } from 'aws-cdk-lib/aws-codepipeline';
import * as iam from 'aws-cdk-lib/aws-iam';
import {
  CodeBuildStep,
  CodePipeline,
  CodePipelineSource,
  ManualApprovalStep,
  type FileSet,
  type Step,
} from 'aws-cdk-lib/pipelines';
import type { Construct } from 'constructs';
import { addTargetStacks, type RegionStacks, type TargetWiring } from '../targets.js';
import type { RegionConfig } from '../config/schema.js';
import {
  artifactsDirInRepo,
  assumeRoleProfile,
  fetchArtifactsCommands,
  bootstrapDeployRoleName,
  keepExitCode,
  partitionOf,
  planCommand,
  REPORTS_DIR,
  roleArn,
  synthCommand,
  targetSlug,
  verifyCommand,
} from './commands.js';
import { acknowledgePipelineGrants } from './grants.js';
import { resolveWaves, verifyRoleNameOf, targetName, type PipelineConfig, type Target } from './config.js';

/** Construct id and default CloudFormation name of the pipeline stack. */
export const PIPELINE_STACK_ID = 'TaegisPipeline';
/** Name of the CodeBuild report group that receives every verify JUnit report. */
export const VERIFY_REPORT_GROUP = 'taegis-migrate-verify';
/** The AWS profile the gate steps create and pass to plan/verify (`--profile`). */
export const GATE_PROFILE = 'taegis-target';

/** One target's stacks in a pipeline Stage, built by the same `addTargetStacks` as `cdk deploy --all`. */
export class TargetStage extends Stage {
  public readonly stacks: RegionStacks;

  constructor(scope: Construct, id: string, props: StageProps & { region: RegionConfig; wiring: TargetWiring }) {
    super(scope, id, props);
    this.stacks = addTargetStacks(this, props.region, props.wiring);
  }
}

export interface PipelineStackProps extends StackProps {
  readonly pipelineConfig: PipelineConfig;
  readonly wiring: TargetWiring;
  /** The config file's path in the repository (`cdk synth -c config=`). */
  readonly configFile: string;
}

/**
 * `TaegisPipeline`: CDK Pipelines from the config's `pipeline` section. Synth runs `npm ci` and the README's
 * `cdk synth`; then one pipeline wave per config wave: per target a plan pre step (exit 1 stops the pipeline), an
 * optional manual approval after all of the wave's plans, the target's Stage, and a verify post step publishing JUnit
 * to a report group and JSON as an artifact. Gate steps assume roles in the target accounts, never an admin role.
 */
export class PipelineStack extends Stack {
  public readonly pipeline: CodePipeline;
  public readonly verifyReports: codebuild.ReportGroup;
  public readonly stages: readonly TargetStage[];

  constructor(scope: Construct, id: string, props: PipelineStackProps) {
    super(scope, id, props);
    const { pipelineConfig: pc, wiring, configFile } = props;
    const config = wiring.config;
    const source = CodePipelineSource.connection(pc.source.repository, pc.source.branch, {
      connectionArn: pc.source.connectionArn,
    });

    const synth = new CodeBuildStep('Synth', {
      input: source,
      installCommands: [
        ...fetchArtifactsCommands(pc, artifactsDirInRepo(config.configPath, config.artifactsDir, configFile)),
      ],
      commands: ['npm ci', synthCommand(configFile)],
      primaryOutputDirectory: 'cdk.out',
      rolePolicyStatements: pc.artifactsSource
        ? [
            new iam.PolicyStatement({
              actions: ['s3:GetObject'],
              resources: Object.keys(pc.artifactsSource.sha256).map(
                (file) =>
                  `arn:${partitionOf(pc.region)}:s3:::${pc.artifactsSource!.bucket}/${pc.artifactsSource!.prefix}${file}`,
              ),
            }),
          ]
        : [],
    });

    this.pipeline = new CodePipeline(this, 'Pipeline', {
      pipelineName: 'taegis-migrate',
      pipelineType: PipelineType.V2,
      synth,
      selfMutation: true,
      // Targets in other accounts read the artifacts: the artifact bucket needs a customer managed key.
      crossAccountKeys: true,
      enableKeyRotation: true,
      codeBuildDefaults: {
        buildEnvironment: { buildImage: codebuild.LinuxBuildImage.STANDARD_7_0 },
        partialBuildSpec: codebuild.BuildSpec.fromObject({
          phases: { install: { 'runtime-versions': { nodejs: 20 } } },
        }),
      },
    });

    this.verifyReports = new codebuild.ReportGroup(this, 'VerifyReports', {
      reportGroupName: VERIFY_REPORT_GROUP,
      type: codebuild.ReportGroupType.TEST,
    });

    // The least-privilege verify role the app deploys per account (`accessRole`), when the pipeline names none.
    const verifyRoleName = verifyRoleNameOf(config);
    const regionsByTarget = new Map(config.regions.map((r) => [targetName(r), r]));
    const synthOutput: FileSet = synth.primaryOutput!;
    const stages: TargetStage[] = [];
    for (const wave of resolveWaves(config.regions, pc.waves).waves) {
      const w = this.pipeline.addWave(wave.name);
      const plans = wave.targets.map((t) => this.planStep(t, configFile, synthOutput, source));
      const pre: Step[] = [...plans];
      if (wave.approval) {
        const approval = new ManualApprovalStep(`Approve-${wave.name}`, {
          comment: `Review the plan reports of wave "${wave.name}" (${wave.targets.map(targetName).join(', ')}), then approve to deploy.`,
        });
        // After every plan of the wave: the approver sees what the deploy will do.
        for (const p of plans) approval.addStepDependency(p);
        pre.push(approval);
      }
      w.addPre(...pre);
      for (const t of wave.targets) {
        const stage = new TargetStage(this, `${wave.name}-${targetSlug(t)}`, {
          env: { account: t.account, region: t.region },
          region: regionsByTarget.get(targetName(t))!,
          wiring,
        });
        stages.push(stage);
        w.addStage(stage, { post: [this.verifyStep(t, configFile, verifyRoleName, source)] });
      }
    }
    this.stages = stages;
    // Build now, so cdk-nag sees (and the tests assert on) the real CodePipeline, its projects and roles.
    this.pipeline.buildPipeline();
    acknowledgePipelineGrants(this.pipeline);
  }

  private planStep(t: Target, configFile: string, cdkOut: FileSet, source: CodePipelineSource): CodeBuildStep {
    // The qualifier the target stacks are synthesized with (cdk.json's context, as DefaultStackSynthesizer reads it).
    const qualifier: unknown = this.node.tryGetContext(BOOTSTRAP_QUALIFIER_CONTEXT);
    const role = roleArn(t, bootstrapDeployRoleName(t, typeof qualifier === 'string' ? qualifier : undefined));
    return new CodeBuildStep(`Plan-${targetSlug(t)}`, {
      input: source,
      additionalInputs: { 'cdk.out': cdkOut },
      commands: [
        assumeRoleProfile(GATE_PROFILE, role),
        'npm ci',
        `mkdir -p ${REPORTS_DIR}`,
        keepExitCode(planCommand(configFile, t, ['--assembly cdk.out', `--profile ${GATE_PROFILE}`])),
      ],
      primaryOutputDirectory: REPORTS_DIR,
      rolePolicyStatements: [new iam.PolicyStatement({ actions: ['sts:AssumeRole'], resources: [role] })],
    });
  }

  private verifyStep(t: Target, configFile: string, roleName: string, source: CodePipelineSource): CodeBuildStep {
    const role = roleArn(t, roleName);
    return new CodeBuildStep(`Verify-${targetSlug(t)}`, {
      input: source,
      commands: [
        assumeRoleProfile(GATE_PROFILE, role),
        'npm ci',
        `mkdir -p ${REPORTS_DIR}`,
        keepExitCode(verifyCommand(configFile, t, ['--log-timeout 600', `--profile ${GATE_PROFILE}`])),
      ],
      // The JSON report is the step's output artifact; the JUnit report goes to the report group. CodeBuild publishes
      // reports and uploads artifacts after the build phase, also when the gate failed it.
      primaryOutputDirectory: REPORTS_DIR,
      partialBuildSpec: codebuild.BuildSpec.fromObject({
        reports: {
          [this.verifyReports.reportGroupArn]: {
            files: [`verify-${targetSlug(t)}.xml`],
            'base-directory': REPORTS_DIR,
            'file-format': 'JUNITXML',
          },
        },
      }),
      rolePolicyStatements: [
        new iam.PolicyStatement({ actions: ['sts:AssumeRole'], resources: [role] }),
        new iam.PolicyStatement({
          actions: ['codebuild:CreateReport', 'codebuild:UpdateReport', 'codebuild:BatchPutTestCases'],
          resources: [this.verifyReports.reportGroupArn],
        }),
      ],
    });
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
