import * as path from 'node:path';
import { stringify } from 'yaml';
import type { TaegisConfig } from '../config/load.js';
import { TaegisError } from '../errors.js';
import {
  artifactsDirInRepo,
  assumeRoleProfile,
  bootstrapDeployRoleName,
  fetchArtifactsCommands,
  partitionOf,
  planCommand,
  REPORTS_DIR,
  synthCommand,
  verifyCommand,
} from '../pipeline/commands.js';
import {
  DEFAULT_GITHUB_ROLE_NAME,
  resolveWaves,
  targetName,
  verifyRoleNameOf,
  type ResolvedWave,
} from '../pipeline/config.js';
import { credentialsSecretFor } from '../secret/secret.js';
import { actionRef, CI_NODE_MAJOR } from '../vendor/ci-runtimes.js';

/** Where `npm run ci -- github --write` puts the workflow unless told otherwise. */
export const DEFAULT_WORKFLOW_FILE = '.github/workflows/taegis-migrate.yml';

/** Actions the workflow uses, each pinned to the major lib/vendor/ci-runtimes.ts records as running on node24. */
export const ACTIONS = {
  checkout: actionRef('checkout'),
  setupNode: actionRef('setupNode'),
  awsCredentials: actionRef('awsCredentials'),
  junit: actionRef('junit'),
  upload: actionRef('upload'),
} as const;

/** AWS profiles the gates run with when the app deploys the OIDC role (it may only assume other roles). */
export const PLAN_PROFILE = 'taegis-plan';
export const VERIFY_PROFILE = 'taegis-verify';

/** GitHub's largest matrix: 256 jobs. */
export const GITHUB_MATRIX_LIMIT = 256;

/** The matrix a wave's jobs run over: one entry per target. */
const MATRIX_TARGET = { account: '${{ matrix.account }}', region: '${{ matrix.region }}' };

/**
 * The GitHub Environment an approval wave's deploy job is bound to (its reviewers approve the deploy). The OIDC role's
 * trust policy (lib/stacks/github-oidc-stack.ts) admits exactly these names.
 */
export const githubEnvironmentName = (wave: Pick<ResolvedWave, 'name'>): string => `taegis-${wave.name.toLowerCase()}`;

/** A job id from a wave name: GitHub job ids are letters, digits, `-` and `_`, starting with a letter or `_`. */
const jobId = (wave: ResolvedWave, suffix = ''): string => `wave-${wave.name.toLowerCase()}${suffix}`;

/**
 * The GitHub Actions workflow for the config's `pipeline` waves: per wave, a job with a matrix over its targets that
 * runs npm ci, synth, plan (gate), deploy, verify (gate), publishes the JUnit report and uploads every report, also
 * when a gate failed. Waves run in order (`needs:`); a wave with `approval` plans in a job of its own and deploys in a
 * job bound to a GitHub Environment named `taegis-<wave>` (add required reviewers there), so the approver sees the
 * plan first. AWS access is GitHub OIDC only; the file holds no secret. The same config always gives the same bytes.
 */
export function githubWorkflow(
  config: TaegisConfig,
  options: {
    readonly configFile: string;
    /**
     * CDK bootstrap qualifier of the target accounts, for the deploy role plan runs as (with `deployOidcRole`).
     * @default "hnb659fds"
     */
    readonly bootstrapQualifier?: string;
  },
): string {
  const pc = config.pipeline;
  if (pc === undefined) {
    throw new TaegisError('CONFIG_INVALID', `config ${config.configPath} has no "pipeline" section`, {
      fix: 'add "pipeline" with its "waves" (see README "Pipeline"); the workflow is generated from them',
    });
  }
  const missing = config.regions.filter((r) => credentialsSecretFor(config, r) === undefined);
  if (missing.length > 0) {
    throw new TaegisError('CONFIG_INVALID', `target ${missing.map(targetName).join(', ')} has no credentials secret`, {
      fix: 'set "credentialsSecret" (the workflow never sees credentials.txt) and run "npm run secret -- put"',
    });
  }
  const configFile = options.configFile;
  const roleName = pc.github?.roleName ?? DEFAULT_GITHUB_ROLE_NAME;
  const runsOn = pc.github?.runsOn ?? 'ubuntu-latest';
  const artifactsDir = artifactsDirInRepo(config.configPath, config.artifactsDir, configFile);
  const waves = resolveWaves(config.regions, pc.waves).waves;
  const partitions = [...new Set(config.regions.map((r) => partitionOf(r.region)))];
  if (partitions.length > 1) {
    throw new TaegisError('CONFIG_INVALID', `targets span AWS partitions ${partitions.join(', ')}`, {
      fix: 'generate one workflow per partition (one config each)',
    });
  }
  const partition = partitions[0] ?? 'aws';

  const gates = pc.github?.deployOidcRole === true;
  const gateRole = (name: string): string => `arn:${partition}:iam::\${{ matrix.account }}:role/${name}`;
  const setup = (): Record<string, unknown>[] => [
    { name: 'Check out', uses: ACTIONS.checkout },
    { name: 'Set up Node.js', uses: ACTIONS.setupNode, with: { 'node-version': CI_NODE_MAJOR, cache: 'npm' } },
    {
      name: 'AWS credentials (OIDC)',
      uses: ACTIONS.awsCredentials,
      with: {
        'role-to-assume': `arn:${partition}:iam::\${{ matrix.account }}:role/${roleName}`,
        'aws-region': '${{ matrix.region }}',
        'role-session-name': 'taegis-migrate-${{ github.run_id }}',
      },
    },
    // With the app's own OIDC role (`deployOidcRole`), that role may only assume others: plan runs as the target's
    // CDK deploy role (as in CodePipeline), verify as the verify role.
    ...(gates
      ? [
          {
            name: 'AWS profiles for the gates',
            run: [
              assumeRoleProfile(
                PLAN_PROFILE,
                gateRole(bootstrapDeployRoleName(MATRIX_TARGET, options.bootstrapQualifier)),
                'Environment',
              ),
              assumeRoleProfile(VERIFY_PROFILE, gateRole(verifyRoleNameOf(config)), 'Environment'),
            ].join('\n'),
          },
        ]
      : []),
    { name: 'Install', run: 'npm ci' },
    ...(pc.artifactsSource
      ? [{ name: 'Vendor files (SHA-256 checked)', run: fetchArtifactsCommands(pc, artifactsDir).join('\n') }]
      : []),
    { name: 'Synth', run: `${synthCommand(configFile)} -c region=\${{ matrix.region }}` },
  ];
  const publish = (what: string): Record<string, unknown>[] => [
    ...(what === 'verify'
      ? [
          {
            name: 'Publish JUnit',
            if: 'always()',
            uses: ACTIONS.junit,
            with: {
              report_paths: `${REPORTS_DIR}/verify-*.xml`,
              check_name: 'taegis-migrate verify ${{ matrix.account }}/${{ matrix.region }}',
              require_tests: false,
            },
          },
        ]
      : []),
    {
      name: 'Upload reports',
      if: 'always()',
      uses: ACTIONS.upload,
      with: {
        name: `${what}-reports-\${{ matrix.account }}-\${{ matrix.region }}`,
        path: `${REPORTS_DIR}/`,
        'if-no-files-found': 'warn',
      },
    },
  ];
  const planStep = {
    name: 'Plan (gate)',
    run: `mkdir -p ${REPORTS_DIR}\n${planCommand(configFile, MATRIX_TARGET, gates ? [`--profile ${PLAN_PROFILE}`] : [])}`,
  };
  const deployStep = {
    name: 'Deploy',
    // The matrix says which one job of each account in the wave deploys its per-account stacks: jobs run at once,
    // and two updating TaegisAccess-<account> together would fail one of them.
    run: `npm run deploy -- --config ${configFile} --account \${{ matrix.account }} --region \${{ matrix.region }} --account-stacks \${{ matrix.accountStacks }}`,
  };
  const verifyStep = {
    name: 'Verify (gate)',
    run: verifyCommand(configFile, MATRIX_TARGET, [
      '--log-timeout 600',
      ...(gates ? [`--profile ${VERIFY_PROFILE}`] : []),
    ]),
  };

  const jobs: Record<string, unknown> = {};
  let previous: string[] | undefined;
  for (const wave of waves) {
    const spec = pc.waves.find((w) => w.name === wave.name);
    const entries = wave.targets.map((t, i) => ({
      target: targetName(t),
      account: t.account,
      region: t.region,
      // The account's first target in this wave deploys its per-account stacks; the others skip them.
      accountStacks: wave.targets.findIndex((o) => o.account === t.account) === i ? 'include' : 'skip',
    }));
    // GitHub refuses a matrix of more than 256 jobs: a larger wave runs as several jobs of at most 256 each.
    const parts = Array.from({ length: Math.ceil(entries.length / GITHUB_MATRIX_LIMIT) }, (_, i) =>
      entries.slice(i * GITHUB_MATRIX_LIMIT, (i + 1) * GITHUB_MATRIX_LIMIT),
    );
    const matrix = (include: typeof entries) => ({
      'fail-fast': false,
      // The wave's maxConcurrency over all its parts.
      ...(spec?.maxConcurrency !== undefined
        ? { 'max-parallel': Math.max(1, Math.floor(spec.maxConcurrency / parts.length)) }
        : {}),
      matrix: { include },
    });
    const base = (name: string, needs: string[] | undefined, include: typeof entries) => ({
      name,
      'runs-on': runsOn,
      ...(needs !== undefined ? { needs: needs.length === 1 ? needs[0] : needs } : {}),
      strategy: matrix(include),
    });
    const part = (i: number) => (parts.length === 1 ? '' : ` (part ${i + 1} of ${parts.length})`);
    const suffix = (i: number) => (i === 0 ? '' : `-part${i + 1}`);
    if (wave.approval) {
      const planJobs = parts.map((_, i) => jobId(wave, `-plan${suffix(i)}`));
      parts.forEach((include, i) => {
        jobs[planJobs[i]!] = {
          ...base(`${wave.name}${part(i)}: plan \${{ matrix.target }}`, previous, include),
          steps: [...setup(), planStep, ...publish('plan')],
        };
      });
      const deployJobs = parts.map((_, i) => jobId(wave, suffix(i)));
      parts.forEach((include, i) => {
        jobs[deployJobs[i]!] = {
          ...base(`${wave.name}${part(i)}: deploy and verify \${{ matrix.target }}`, planJobs, include),
          environment: githubEnvironmentName(wave),
          steps: [...setup(), planStep, deployStep, verifyStep, ...publish('verify')],
        };
      });
      previous = deployJobs;
    } else {
      const ids = parts.map((_, i) => jobId(wave, suffix(i)));
      parts.forEach((include, i) => {
        jobs[ids[i]!] = {
          ...base(`${wave.name}${part(i)}: \${{ matrix.target }}`, previous, include),
          steps: [...setup(), planStep, deployStep, verifyStep, ...publish('verify')],
        };
      });
      previous = ids;
    }
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
