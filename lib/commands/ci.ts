import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { parseFlags } from '../cli/run.js';
import { DEFAULT_CONFIG_FILE } from '../config/load.js';
import { loadConfig } from '../config/load.js';
import { ExitCode, TaegisError } from '../util/errors.js';
import { configFileInRepo, DEFAULT_WORKFLOW_FILE, githubWorkflow } from '../ci/github.js';
import { DRIFT_WORKFLOW_NAME, driftWorkflow, driftWorkflowFile } from '../ci/drift-workflow.js';
import { ciGateMain, ciShardMain } from '../ci/shard.js';

export const CI_USAGE = `usage: taegis-migrate ci github [--config PATH] [--write [FILE]] [--check FILE] [--drift]
       taegis-migrate ci shard --wave NAME --shard I [...]   (a CI build works through one shard; ci shard --help)
       taegis-migrate ci gate --wave NAME [...]              (applies the wave's failure tolerance; ci gate --help)

Generates the GitHub Actions workflow for the config's "pipeline" waves (OIDC to the pipeline account; per wave
a matrix over its shards running "ci shard", then a gate job running "ci gate"; JUnit published, reports uploaded),
and the scheduled drift watch beside it (${DRIFT_WORKFLOW_NAME}: "verify --check" for every target on "pipeline.drift.schedule", daily by default). Prints
the deploy workflow (--drift: the drift workflow), or with --write writes both (default ${DEFAULT_WORKFLOW_FILE} and
the drift workflow in its folder); --check FILE exits 1 when FILE or the drift workflow beside it differs from what
would be written.
Run from the repository root: the workflow names the config by its path relative to the working directory.`;

export interface CiCliDeps {
  readonly out?: (text: string) => void;
  readonly cwd?: string;
}

/** `taegis-migrate ci github|shard|gate`. */
export async function ciMain(argv: readonly string[], deps: CiCliDeps = {}): Promise<ExitCode> {
  // shard and gate print lines; github prints the workflow as it is.
  const lines = {
    ...(deps.cwd !== undefined ? { cwd: deps.cwd } : {}),
    ...(deps.out !== undefined ? { out: (t: string) => deps.out!(`${t}\n`) } : {}),
  };
  if (argv[0] === 'shard') return ciShardMain(argv.slice(1), lines);
  if (argv[0] === 'gate') return ciGateMain(argv.slice(1), lines);
  return ciGithubMain(argv, deps);
}

function ciGithubMain(argv: readonly string[], deps: CiCliDeps): ExitCode {
  const out = deps.out ?? ((t: string) => process.stdout.write(t));
  const cwd = deps.cwd ?? process.cwd();
  // --write takes an optional file: a bare --write is followed by nothing or by another flag.
  const args = argv.flatMap((a, i) =>
    a === '--write' && (argv[i + 1] === undefined || argv[i + 1]!.startsWith('--'))
      ? ['--write', DEFAULT_WORKFLOW_FILE]
      : [a],
  );
  const { values, positionals } = parseFlags(
    args,
    {
      config: { type: 'string', default: DEFAULT_CONFIG_FILE },
      write: { type: 'string' },
      check: { type: 'string' },
      drift: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    true,
  );
  if (values.help) {
    out(`${CI_USAGE}\n`);
    return ExitCode.Ok;
  }
  if (positionals.length !== 1 || positionals[0] !== 'github') {
    throw new TaegisError('INPUT_INVALID', `"${positionals.join(' ')}" is not a ci target`, {
      fix: 'run "taegis-migrate ci github [--write]", "ci shard" or "ci gate"',
    });
  }
  const config = loadConfig(path.resolve(cwd, values.config));
  const configFile = configFileInRepo(config.configPath, cwd);
  const text = githubWorkflow(config, { configFile });
  const driftText = driftWorkflow(config, { configFile });
  if (values.check !== undefined) {
    const file = path.resolve(cwd, values.check);
    let same = true;
    for (const [f, t] of [
      [file, text],
      [driftWorkflowFile(file), driftText],
    ] as const) {
      const ok = existsSync(f) && readFileSync(f, 'utf8') === t;
      out(ok ? `${f} is up to date\n` : `${f} differs from the config; run "npm run ci -- github --write"\n`);
      same &&= ok;
    }
    return same ? ExitCode.Ok : ExitCode.CheckFailed;
  }
  if (values.write === undefined) {
    out(values.drift === true ? driftText : text);
    return ExitCode.Ok;
  }
  const file = path.resolve(cwd, values.write);
  mkdirSync(path.dirname(file), { recursive: true });
  for (const [f, t] of [
    [file, text],
    [driftWorkflowFile(file), driftText],
  ] as const) {
    const unchanged = existsSync(f) && readFileSync(f, 'utf8') === t;
    if (!unchanged) writeFileSync(f, t);
    out(`${unchanged ? 'unchanged' : 'wrote'} ${f}\n`);
  }
  return ExitCode.Ok;
}
