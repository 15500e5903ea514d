import * as path from 'node:path';
import { stringify } from 'yaml';
import type { MigrationConfig } from '../config/load.js';
import { TaegisError } from '../util/errors.js';
import { artifactsDirInRepo, fetchArtifactsCommands, partitionOf, REPORTS_DIR } from '../pipeline/commands.js';
import {
  DEFAULT_GITHUB_ROLE_NAME,
  GITHUB_SESSION_SECONDS,
  githubEnvironmentName,
  targetName,
} from '../config/pipeline.js';
import { shardedWaves, type ShardedWave } from '../pipeline/shards.js';
import { credentialsSecretFor } from '../secret/secret.js';
import { formatFailureTolerance } from '../util/tolerance.js';
import { actionRef, CI_NODE_MAJOR } from '../facts/ci-runtimes.js';
import { RESULTS_DIR } from './shard.js';

/** Where `taegis-migrate ci github --write` puts the workflow unless told otherwise. */
export const DEFAULT_WORKFLOW_FILE = '.github/workflows/taegis-migrate.yml';

/** Actions the workflow uses, each pinned to the major lib/facts/ci-runtimes.ts records as running on node24. */
export const ACTIONS = {
  checkout: actionRef('checkout'),
  setupNode: actionRef('setupNode'),
  awsCredentials: actionRef('awsCredentials'),
  junit: actionRef('junit'),
  upload: actionRef('upload'),
  download: actionRef('download'),
} as const;

/** The AWS profile the drift workflow's verify runs with when the app deploys the OIDC role. */
export const VERIFY_PROFILE = 'taegis-verify';

/** GitHub's largest matrix: 256 jobs. A wave's matrix is its shards (at most `shardsPerWave`, 24), far below it. */
export const GITHUB_MATRIX_LIMIT = 256;

/** A job id from a wave name: GitHub job ids are letters, digits, `-` and `_`, starting with a letter or `_`. */
const jobId = (wave: Pick<ShardedWave, 'name'>, suffix = ''): string => `wave-${wave.name.toLowerCase()}${suffix}`;

/** The artifact a wave's apply shard leaves for its gate: only its result file (`reports/ci/<wave>-apply-<I>.json`). */
const resultsArtifact = (wave: ShardedWave, shard: string): string => `taegis-results-${wave.name}-shard-${shard}`;

/**
 * The GitHub Actions workflow for the config's `pipeline` waves, sharded as the CodePipeline route is
 * (lib/pipeline/shards.ts): per wave a job with a matrix over its shards (at most `shardsPerWave`, never more than
 * the wave's maxConcurrency, all at once), each running `ci shard` (plan, deploy and verify of its targets, a failed
 * target never stopping the others), publishing its JUnit (a suite per target) and uploading its reports; then the
 * wave's gate job (`ci gate`: the wave's failure tolerance over the shards' results); the next wave needs the gate. A
 * wave with `approval` first runs its shards with `--phase plan`, then deploys in jobs bound to the GitHub
 * Environment `taegis-<wave>` (add required reviewers there). The workflow's size grows with waves and shards, never
 * with targets. AWS access is GitHub OIDC to `github.roleName` in the pipeline account, from which `ci shard` assumes
 * each target's roles; the file holds no secret. The same config always gives the same bytes.
 */
export function githubWorkflow(config: MigrationConfig, options: { readonly configFile: string }): string {
  const pc = config.pipeline;
  if (pc === undefined) {
    throw new TaegisError('CONFIG_INVALID', `config ${config.configPath} has no "pipeline" section`, {
      fix: 'add "pipeline" with its "waves" (see docs/pipelines.md); the workflow is generated from them',
    });
  }
  const missing = config.regions.filter((r) => credentialsSecretFor(config, r) === undefined);
  if (missing.length > 0) {
    throw new TaegisError('CONFIG_INVALID', `target ${missing.map(targetName).join(', ')} has no credentials secret`, {
      fix: 'set "credentialsSecret" (the workflow never sees credentials.txt) and run "taegis-migrate secret put"',
    });
  }
  const configFile = options.configFile;
  const roleName = pc.github?.roleName ?? DEFAULT_GITHUB_ROLE_NAME;
  const runsOn = pc.github?.runsOn ?? 'ubuntu-latest';
  const artifactsDir = artifactsDirInRepo(config.configPath, config.artifactsDir, configFile);
  const partitions = [...new Set(config.regions.map((r) => partitionOf(r.region)))];
  if (partitions.length > 1) {
    throw new TaegisError('CONFIG_INVALID', `targets span AWS partitions ${partitions.join(', ')}`, {
      fix: 'generate one workflow per partition (one config each)',
    });
  }
  const waves = shardedWaves({ regions: config.regions, pipeline: pc });

  const setup = (aws: boolean): Record<string, unknown>[] => [
    { name: 'Check out', uses: ACTIONS.checkout },
    { name: 'Set up Node.js', uses: ACTIONS.setupNode, with: { 'node-version': CI_NODE_MAJOR, cache: 'npm' } },
    ...(aws
      ? [
          {
            // The pipeline account's role, as the CodeBuild shards' role: ci shard assumes each target's roles from it.
            name: 'AWS credentials (OIDC, pipeline account)',
            uses: ACTIONS.awsCredentials,
            with: {
              'role-to-assume': `arn:${partitionOf(pc.region)}:iam::${pc.account}:role/${roleName}`,
              'aws-region': pc.region,
              'role-session-name': 'taegis-migrate-${{ github.run_id }}',
              'role-duration-seconds': GITHUB_SESSION_SECONDS,
            },
          },
        ]
      : []),
    { name: 'Install', run: 'npm ci' },
    ...(aws && pc.artifactsSource
      ? [{ name: 'Vendor files (SHA-256 checked)', run: fetchArtifactsCommands(pc, artifactsDir).join('\n') }]
      : []),
  ];
  const shardJob = (wave: ShardedWave, phase: 'plan' | 'apply', needs: string | undefined) => ({
    name: `${wave.name}: ${phase === 'plan' ? 'plan ' : ''}shard \${{ matrix.shard }} (0-${wave.shards.length - 1})`,
    'runs-on': runsOn,
    ...(needs !== undefined ? { needs } : {}),
    ...(phase === 'apply' && wave.approval ? { environment: githubEnvironmentName(wave) } : {}),
    strategy: {
      // Every shard runs to its end: one failed target (or shard) never stops the others; the gate decides.
      'fail-fast': false,
      // All shards at once (there are never more than the wave's maxConcurrency), each with its share of it.
      'max-parallel': Math.min(wave.maxConcurrency, wave.shards.length),
      matrix: { shard: wave.shards.map((_, i) => i) },
    },
    steps: [
      ...setup(true),
      {
        name:
          phase === 'plan' ? 'Plan its targets (ci shard --phase plan)' : 'Plan, deploy, verify its targets (ci shard)',
        run: [
          'npm run ci -- shard',
          `--config ${configFile}`,
          `--wave ${wave.name}`,
          '--shard ${{ matrix.shard }}',
          `--phase ${phase}`,
          '--credential-source Environment',
        ].join(' '),
      },
      {
        name: 'Publish JUnit (a suite per target)',
        if: 'always()',
        uses: ACTIONS.junit,
        with: {
          report_paths: `${REPORTS_DIR}/junit/*.xml`,
          check_name: `taegis-migrate ${wave.name} ${phase} shard \${{ matrix.shard }}`,
          require_tests: false,
        },
      },
      ...(phase === 'apply'
        ? [
            {
              name: 'Upload results (for the gate)',
              if: 'always()',
              uses: ACTIONS.upload,
              with: {
                name: resultsArtifact(wave, '${{ matrix.shard }}'),
                path: `${RESULTS_DIR}/${wave.name}-apply-\${{ matrix.shard }}.json`,
                'if-no-files-found': 'warn',
                // "Re-run failed jobs" uploads again under the same name.
                overwrite: true,
              },
            },
          ]
        : []),
      {
        name: 'Upload reports',
        if: 'always()',
        uses: ACTIONS.upload,
        with: {
          name: `taegis-reports-${wave.name}-${phase}-shard-\${{ matrix.shard }}`,
          path: `${REPORTS_DIR}/`,
          'if-no-files-found': 'warn',
          overwrite: true,
        },
      },
    ],
  });
  const gateJob = (wave: ShardedWave, shards: string) => ({
    name: `${wave.name}: gate (failure tolerance ${formatFailureTolerance(wave.tolerance)})`,
    'runs-on': runsOn,
    needs: shards,
    // Also after a failed shard (its targets count as failed); not when the shards never ran (an earlier wave failed).
    if: `\${{ !cancelled() && needs.${shards}.result != 'skipped' }}`,
    steps: [
      ...setup(false),
      {
        name: "Download the shards' results",
        uses: ACTIONS.download,
        with: { pattern: resultsArtifact(wave, '*'), path: RESULTS_DIR, 'merge-multiple': true },
      },
      { name: 'Gate (ci gate)', run: `npm run ci -- gate --config ${configFile} --wave ${wave.name}` },
      {
        name: 'Upload the gate report',
        if: 'always()',
        uses: ACTIONS.upload,
        with: {
          name: `taegis-gate-${wave.name}`,
          path: `${REPORTS_DIR}/${wave.name}-gate.json`,
          'if-no-files-found': 'warn',
          overwrite: true,
        },
      },
    ],
  });

  const jobs: Record<string, unknown> = {};
  let previous: string | undefined;
  for (const wave of waves) {
    let needs = previous;
    if (wave.approval) {
      jobs[jobId(wave, '-plan')] = shardJob(wave, 'plan', needs);
      needs = jobId(wave, '-plan');
    }
    jobs[jobId(wave)] = shardJob(wave, 'apply', needs);
    jobs[jobId(wave, '-gate')] = gateJob(wave, jobId(wave));
    previous = jobId(wave, '-gate');
  }

  const workflow = {
    name: 'taegis-migrate',
    on: { push: { branches: [pc.source.branch] }, workflow_dispatch: {} },
    // One run at a time: two runs deploying the same stacks would race.
    concurrency: { group: 'taegis-migrate', 'cancel-in-progress': false },
    permissions: { 'id-token': 'write', contents: 'read', checks: 'write' },
    jobs,
  };
  const header = [
    `# Generated by "npm run ci -- github --config ${configFile}" from the config's "pipeline" section. Do not edit:`,
    '# change the config and generate again. No secret is in this file: AWS access is GitHub OIDC, the Taegis',
    "# credentials come from Secrets Manager through the shared stacks' dynamic reference.",
    '',
  ].join('\n');
  return header + stringify(workflow, { lineWidth: 0, aliasDuplicateObjects: false });
}

/** The config file as the workflow names it: relative to the repository root (the working directory). */
export function configFileInRepo(configPath: string, cwd: string): string {
  return path.relative(cwd, configPath).split(path.sep).join('/');
}
