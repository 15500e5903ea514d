import { CONFIG, HELP } from './shared.js';
import { defineCommand } from './types.js';

/** `ci github --write` alone: the workflow's usual place (lib/ci/github.ts DEFAULT_WORKFLOW_FILE; a test keeps them equal). */
export const DEFAULT_WORKFLOW_FILE = '.github/workflows/taegis-migrate.yml';
/** Where shards write their results (lib/ci/shard.ts RESULTS_DIR; a test keeps them equal). */
export const DEFAULT_RESULTS_DIR = 'reports/ci';

export const ci = defineCommand({
  name: 'ci',
  summary:
    'CI: write the GitHub Actions workflow ("ci github"); run one shard of a wave ("ci shard"), its gate ("ci gate")',
  usage: [
    'taegis-migrate ci github [--config PATH] [--write [FILE]] [--check FILE] [--drift]',
    'taegis-migrate ci shard --wave NAME --shard I [flags]',
    'taegis-migrate ci gate --wave NAME [flags]',
  ],
  description:
    'The pipeline of the config\'s "pipeline" waves: "ci github" writes its GitHub Actions workflow, whose jobs run "ci shard" per shard of a wave and "ci gate" after them.',
  subcommands: {
    github: {
      summary: 'print or write the GitHub Actions workflow and the drift workflow beside it',
      usage: ['taegis-migrate ci github [--config PATH] [--write [FILE]] [--check FILE] [--drift]'],
      description: `Generates the GitHub Actions workflow for the config's "pipeline" waves (OIDC to the pipeline account; per wave a matrix over its shards running "ci shard", then a gate job running "ci gate"; JUnit published, reports uploaded), and the scheduled drift watch beside it ("verify --check" for every target on "pipeline.drift.schedule", daily by default). Prints the deploy workflow (--drift: the drift workflow), or with --write writes both (the drift workflow in the same folder); --check FILE exits 1 when FILE or the drift workflow beside it differs from what would be written. Run from the repository root: the workflow names the config by its path relative to the working directory.`,
      exit: '0 printed, written or up to date, 1 --check found a difference, 2 bad input.',
    },
    shard: {
      summary: 'work through one shard of a wave: plan, deploy and verify per target',
      usage: ['taegis-migrate ci shard --wave NAME --shard I [flags]'],
      description: `Works through shard I (from 0) of wave NAME of the config's pipeline, as a CodeBuild build or GitHub job runs it: per target, plan (--phase plan), or plan, deploy and verify (--phase apply), each step this program's own command in its own process, at most the wave's maxConcurrency shared by its shards at once. A failed target never stops the others; each target's result goes to ${DEFAULT_RESULTS_DIR}/<wave>-<phase>-<I>.json and a JUnit test suite per target to reports/junit/, with each step's log in reports/logs/. "ci gate" applies the wave's failure tolerance.`,
      exit: '0 every target attempted and its result written (failed targets included), 2 bad input (nothing run).',
    },
    gate: {
      summary: "apply the wave's failure tolerance to its shards' results",
      usage: ['taegis-migrate ci gate --wave NAME [flags]'],
      description: `Reads the results the wave's shards wrote (${DEFAULT_RESULTS_DIR}/<wave>-apply-*.json) and applies the wave's failureTolerance: a target with no result (its shard did not finish) counts as failed. Prints every failed target with its reason and writes reports/<wave>-gate.json.`,
      exit: '0 the wave passed (failures within its tolerance), 1 more targets failed than it tolerates (the next wave must not start), 2 bad input.',
    },
  },
  flags: {
    config: CONFIG,
    write: {
      type: 'string',
      value: '[FILE]',
      bare: DEFAULT_WORKFLOW_FILE,
      in: ['github'],
      description: `write the workflow to FILE (${DEFAULT_WORKFLOW_FILE} when FILE is left out) and the drift workflow beside it`,
    },
    check: {
      type: 'string',
      value: 'FILE',
      in: ['github'],
      description: 'exit 1 when FILE or the drift workflow beside it differs from what would be written',
    },
    drift: { type: 'boolean', in: ['github'], description: 'print the drift workflow instead of the deploy workflow' },
    wave: { type: 'string', value: 'NAME', in: ['shard', 'gate'], description: 'the wave (pipeline.waves[].name)' },
    shard: {
      type: 'int',
      value: 'I',
      min: 0,
      max: 999,
      in: ['shard'],
      description: 'the shard, 0 to (shards of the wave - 1)',
    },
    phase: {
      type: 'choice',
      choices: ['plan', 'apply'],
      default: 'apply',
      in: ['shard'],
      description: 'plan only, or plan, deploy and verify',
    },
    'credential-source': {
      type: 'choice',
      choices: ['EcsContainer', 'Environment'],
      in: ['shard'],
      defaultText: 'none: every step runs with the ambient credentials',
      description:
        "make one AWS profile per target and step, assuming the role the step runs as (plan: the target's CDK deploy role; verify: the verify role) with the build's own credentials (CodeBuild: EcsContainer; GitHub OIDC: Environment)",
    },
    'log-timeout': {
      type: 'int',
      value: 'SECONDS',
      min: 0,
      max: 999_999,
      default: 600,
      in: ['shard'],
      description: "verify's log wait",
    },
    results: {
      type: 'string',
      value: 'DIR',
      default: DEFAULT_RESULTS_DIR,
      in: ['gate'],
      description: 'where the shard results are',
    },
    help: HELP,
  },
  exit: '0 pass, 1 a check failed (ci github --check, ci gate), 2 bad input.',
});
