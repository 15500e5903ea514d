import * as path from 'node:path';
import { stringify } from 'yaml';
import { driftSettings } from '../config/drift.js';
import type { MigrationConfig } from '../config/load.js';
import { TaegisError } from '../util/errors.js';
import { assumeRoleProfile, partitionOf, REPORTS_DIR, verifyCommand } from '../pipeline/commands.js';
import { readOnlySessionPolicy } from '../pipeline/drift-policy.js';
import { DEFAULT_GITHUB_ROLE_NAME, targetName, verifyRoleNameOf, type Target } from '../config/pipeline.js';
import { actionRef, CI_NODE_MAJOR } from '../facts/ci-runtimes.js';
import { VERIFY_PROFILE } from './github.js';

/** The drift workflow's file name; `ci github --write` puts it beside the deploy workflow. */
export const DRIFT_WORKFLOW_NAME = 'taegis-migrate-drift.yml';
/** GitHub runs at most 256 jobs from one matrix: each shard's matrix stays within it. */
export const MAX_MATRIX_JOBS = 256;
/** The label of the issues the drift workflow opens (one per drifted target). */
export const DRIFT_ISSUE_LABEL = 'taegis-drift';

/** The drift workflow's file beside the deploy workflow `workflowFile`. */
export const driftWorkflowFile = (workflowFile: string): string =>
  path.join(path.dirname(workflowFile), DRIFT_WORKFLOW_NAME);

const MATRIX_TARGET = { account: '${{ matrix.account }}', region: '${{ matrix.region }}' };

/** Opens one issue per drifted target, or comments on the one still open; the body lists each drift and its fix. */
const ISSUE_SCRIPT = `const fs = require('fs');
const target = process.env.TARGET;
const report = process.env.REPORT;
const run = \`\${context.serverUrl}/\${context.repo.owner}/\${context.repo.repo}/actions/runs/\${context.runId}\`;
let body = \`verify --check found drift in \${target} (run \${run}).\\n\\n\`;
if (fs.existsSync(report)) {
  const r = JSON.parse(fs.readFileSync(report, 'utf8'));
  for (const d of r.drifts ?? []) body += \`- \${d.region} \${d.stackName} \${d.check}: \${d.detail}\\n  fix: \\\`\${d.fix}\\\`\\n\`;
} else {
  body += 'The check did not finish (no report): see the run log.\\n';
}
const title = \`taegis-migrate drift: \${target}\`;
const open = await github.paginate(github.rest.issues.listForRepo, { ...context.repo, state: 'open', labels: '${DRIFT_ISSUE_LABEL}', per_page: 100 });
const found = open.find((i) => i.title === title);
if (found) await github.rest.issues.createComment({ ...context.repo, issue_number: found.number, body });
else await github.rest.issues.create({ ...context.repo, title, body, labels: ['${DRIFT_ISSUE_LABEL}'] });
`;

/**
 * The scheduled drift watch for GitHub: on the config's `pipeline.drift.schedule` (daily by default) every target runs
 * `verify --check` with the same OIDC role as the deploy workflow (as the verify role with `deployOidcRole`), so it
 * reads and never writes. A drifted target fails its job, and the red run is the alert GitHub sends; with
 * `openIssues` it also opens (or comments on) one issue per drifted target. Targets are sharded into jobs of at most
 * 256 (GitHub's matrix limit). The same config always gives the same bytes.
 */
export function driftWorkflow(config: MigrationConfig, options: { readonly configFile: string }): string {
  const pc = config.pipeline;
  if (pc === undefined) {
    throw new TaegisError('CONFIG_INVALID', `config ${config.configPath} has no "pipeline" section`, {
      fix: 'add "pipeline" with its "waves" (see docs/pipelines.md); the workflows are generated from it',
    });
  }
  const partitions = [...new Set(config.regions.map((r) => partitionOf(r.region)))];
  if (partitions.length > 1) {
    throw new TaegisError('CONFIG_INVALID', `targets span AWS partitions ${partitions.join(', ')}`, {
      fix: 'generate one workflow per partition (one config each)',
    });
  }
  const partition = partitions[0] ?? 'aws';
  const drift = driftSettings(pc.drift);
  const roleName = pc.github?.roleName ?? DEFAULT_GITHUB_ROLE_NAME;
  const gates = pc.github?.deployOidcRole === true;
  const seen = new Set<string>();
  const targets: Target[] = [];
  for (const r of config.regions) {
    if (seen.has(targetName(r))) continue;
    seen.add(targetName(r));
    targets.push({ account: r.account, region: r.region });
  }

  const steps: Record<string, unknown>[] = [
    { name: 'Check out', uses: actionRef('checkout') },
    { name: 'Set up Node.js', uses: actionRef('setupNode'), with: { 'node-version': CI_NODE_MAJOR, cache: 'npm' } },
    {
      name: 'AWS credentials (OIDC)',
      uses: actionRef('awsCredentials'),
      with: {
        'role-to-assume': `arn:${partition}:iam::\${{ matrix.account }}:role/${roleName}`,
        'aws-region': '${{ matrix.region }}',
        'role-session-name': 'taegis-migrate-drift-${{ github.run_id }}',
        // The session may only read (and, with deployOidcRole, assume the verify role), whatever the role allows.
        'inline-session-policy': readOnlySessionPolicy(gates),
      },
    },
    ...(gates
      ? [
          {
            name: 'AWS profile of the verify role',
            run: assumeRoleProfile(
              VERIFY_PROFILE,
              `arn:${partition}:iam::\${{ matrix.account }}:role/${verifyRoleNameOf(config)}`,
              'Environment',
            ),
          },
        ]
      : []),
    { name: 'Install', run: 'npm ci' },
    {
      name: 'Drift check (verify --check, read-only)',
      run: `mkdir -p ${REPORTS_DIR}\n${verifyCommand(options.configFile, MATRIX_TARGET, [
        '--check',
        `--since ${drift.since}`,
        ...(gates ? [`--profile ${VERIFY_PROFILE}`] : []),
      ])}`,
    },
    {
      name: 'Upload reports',
      if: 'always()',
      uses: actionRef('upload'),
      with: {
        name: 'drift-reports-${{ matrix.account }}-${{ matrix.region }}',
        path: `${REPORTS_DIR}/`,
        'if-no-files-found': 'warn',
      },
    },
    ...(drift.openIssues
      ? [
          {
            name: 'Open or update the drift issue',
            if: 'failure()',
            uses: actionRef('githubScript'),
            env: {
              TARGET: '${{ matrix.target }}',
              REPORT: `${REPORTS_DIR}/verify-\${{ matrix.account }}-\${{ matrix.region }}.json`,
            },
            with: { script: ISSUE_SCRIPT },
          },
        ]
      : []),
  ];

  const shards: Target[][] = [];
  for (let i = 0; i < targets.length; i += MAX_MATRIX_JOBS) shards.push(targets.slice(i, i + MAX_MATRIX_JOBS));
  const jobs: Record<string, unknown> = {};
  shards.forEach((shard, i) => {
    jobs[`drift-${i + 1}`] = {
      name: `drift ${i + 1}/${shards.length}: \${{ matrix.target }}`,
      'runs-on': pc.github?.runsOn ?? 'ubuntu-latest',
      // Every target is checked: one drifted target must not hide another.
      strategy: {
        'fail-fast': false,
        matrix: { include: shard.map((t) => ({ target: targetName(t), account: t.account, region: t.region })) },
      },
      steps,
    };
  });

  const workflow = {
    name: 'taegis-migrate drift',
    on: { schedule: [{ cron: drift.schedule }], workflow_dispatch: {} },
    // Its own group: queued behind a deploy run, a drift run would cancel that run's pending successor.
    concurrency: { group: 'taegis-migrate-drift', 'cancel-in-progress': false },
    permissions: {
      'id-token': 'write',
      contents: 'read',
      ...(drift.openIssues ? { issues: 'write' } : {}),
    },
    jobs,
  };
  const header = [
    `# Generated by "npm run ci -- github --config ${options.configFile}" from the config's "pipeline" section. Do not`,
    '# edit: change the config and generate again. Runs "verify --check" (read-only) for every target on a schedule;',
    '# a failed run means a target drifted (the job log and the uploaded reports name each drift and its fix).',
    '',
  ].join('\n');
  return header + stringify(workflow, { lineWidth: 0, aliasDuplicateObjects: false });
}
