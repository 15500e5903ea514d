import * as path from 'node:path';
import type { PipelineConfig, Target } from '../config/pipeline.js';

/**
 * The command lines the pipelines run per target, shared by CDK Pipelines (lib/pipeline/pipeline-stack.ts) and the GitHub
 * workflow (lib/ci/github.ts) so both gate on exactly the same commands. None of them ever carries a secret.
 */

/** Where the gates write their reports, relative to the repository root. */
export const REPORTS_DIR = 'reports';

/** AWS partition of a region, for role ARNs written into build commands (which cannot hold CloudFormation tokens). */
export function partitionOf(region: string): string {
  if (region.startsWith('cn-')) return 'aws-cn';
  if (region.startsWith('us-gov-')) return 'aws-us-gov';
  if (region.startsWith('us-iso-')) return 'aws-iso';
  if (region.startsWith('us-isob-')) return 'aws-iso-b';
  return 'aws';
}

export const roleArn = (t: Target, roleName: string): string =>
  `arn:${partitionOf(t.region)}:iam::${t.account}:role/${roleName}`;

/** The CDK bootstrap deploy role of a target (`cdk bootstrap --trust <pipeline account>` lets the pipeline assume it). */
export const bootstrapDeployRoleName = (t: Target, qualifier = 'hnb659fds'): string =>
  `cdk-${qualifier}-deploy-role-${t.account}-${t.region}`;

/** A file-system-safe name of a target, for report files and step names: `222222222222-us-east-1`. */
export const targetSlug = (t: Target): string => `${t.account}-${t.region}`;

export const synthCommand = (configFile: string): string => `npx cdk synth -c config=${configFile}`;

/** `npm run verify` for one target with both reports; exit 1 stops the pipeline. */
export function verifyCommand(configFile: string, t: Target, extra: readonly string[] = []): string {
  return [
    'npm run verify --',
    `--config ${configFile}`,
    `--account ${t.account}`,
    `--region ${t.region}`,
    `--junit ${REPORTS_DIR}/verify-${targetSlug(t)}.xml`,
    `--json ${REPORTS_DIR}/verify-${targetSlug(t)}.json`,
    ...extra,
  ].join(' ');
}

/**
 * Shell lines that make an AWS profile `name` assuming `role` with the build's own credentials (CodeBuild's container
 * credentials, or the environment variables GitHub's configure-aws-credentials exports), so the SDK's default chain
 * (`--profile name`) does the AssumeRole and refreshes it; no key ever appears in the build log.
 */
export function assumeRoleProfile(
  name: string,
  role: string,
  credentialSource: 'EcsContainer' | 'Environment' = 'EcsContainer',
): string {
  return `mkdir -p ~/.aws && printf '[profile ${name}]\\nrole_arn = ${role}\\ncredential_source = ${credentialSource}\\nrole_session_name = taegis-migrate-${name}\\n' >> ~/.aws/config`;
}

/** The vendor folder as a path in the repository, for the synth step's download commands. */
export function artifactsDirInRepo(configPath: string, artifactsDir: string, configFile: string): string {
  const rel = path.relative(path.dirname(configPath), artifactsDir).split(path.sep).join('/');
  return path.posix.normalize(path.posix.join(path.posix.dirname(configFile), rel || '.'));
}

/** With `artifactsSource`: download the zip and templates and check each SHA-256 before anything else runs. */
export function fetchArtifactsCommands(pc: PipelineConfig, dir: string): string[] {
  const src = pc.artifactsSource;
  if (src === undefined) return [];
  const files = Object.keys(src.sha256).sort();
  return [
    `mkdir -p ${dir}`,
    ...files.map((f) => `aws s3 cp --only-show-errors s3://${src.bucket}/${src.prefix}${f} ${dir}/${f}`),
    ...files.map((f) => `echo "${src.sha256[f]}  ${dir}/${f}" | sha256sum -c -`),
  ];
}
