import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { ci } from '../cli/definition/ci.js';
import type { FlagValues } from '../cli/definition/types.js';
import { configPathFrom } from '../cli/flags.js';
import { createOutput } from '../cli/output.js';
import { parseCommand } from '../cli/parse.js';
import { loadConfig } from '../config/load.js';
import { ExitCode } from '../util/errors.js';
import { configFileInRepo, githubWorkflow } from '../ci/github.js';
import { driftWorkflow, driftWorkflowFile } from '../ci/drift-workflow.js';
import { runGate, runShard, type ShardDeps, type ShardOptions } from '../ci/shard.js';

export interface CiCliDeps {
  /** Writes text as it is (each line with its newline; a workflow as it is). @default process.stdout */
  readonly out?: (text: string) => void;
  readonly cwd?: string;
}

/** `taegis-migrate ci github|shard|gate`. */
export async function ciMain(argv: readonly string[], deps: CiCliDeps = {}): Promise<ExitCode> {
  const { values, sub, help } = parseCommand(ci, argv);
  const { out } = ciOutput(deps);
  if (help !== undefined) {
    out(help);
    return ExitCode.Ok;
  }
  const lines = { ...(deps.cwd !== undefined ? { cwd: deps.cwd } : {}), out };
  if (sub === 'shard') return runShard(shardOptions(values), lines);
  if (sub === 'gate') return runGate(gateOptions(values), lines);
  return ciGithub(values, deps, out);
}

/** The output sink from `deps.out`, which takes text as it is. */
const ciOutput = (deps: { readonly out?: (text: string) => void }) => {
  const { out } = deps;
  return createOutput(out ? { stdout: (line) => out(`${line}\n`) } : {});
};

type CiValues = FlagValues<typeof ci.flags>;

const shardOptions = (values: CiValues): ShardOptions => ({
  config: configPathFrom(values.config),
  wave: values.wave,
  shard: values.shard,
  phase: values.phase,
  credentialSource: values['credential-source'],
  logTimeout: values['log-timeout'],
});

const gateOptions = (values: CiValues) => ({
  config: configPathFrom(values.config),
  wave: values.wave,
  results: values.results,
});

/** `taegis-migrate ci shard [flags]` with the shard's own dependencies (tests pass a step runner). */
export async function ciShardMain(argv: readonly string[], deps: Partial<ShardDeps> = {}): Promise<ExitCode> {
  return runShard(shardOptions(parseCommand(ci, ['shard', ...argv]).values), {
    ...deps,
    out: deps.out ?? createOutput().out,
  });
}

/** `taegis-migrate ci gate [flags]` with the gate's own dependencies. */
export function ciGateMain(argv: readonly string[], deps: { out?: (t: string) => void; cwd?: string } = {}): ExitCode {
  return runGate(gateOptions(parseCommand(ci, ['gate', ...argv]).values), {
    ...deps,
    out: deps.out ?? createOutput().out,
  });
}

/** `ci github`: prints the workflows, writes them (--write) or compares them with the files (--check). */
function ciGithub(values: CiValues, deps: CiCliDeps, out: (line: string) => void): ExitCode {
  const cwd = deps.cwd ?? process.cwd();
  const config = loadConfig(path.resolve(cwd, configPathFrom(values.config)));
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
      out(ok ? `${f} is up to date` : `${f} differs from the config; run "taegis-migrate ci github --write"`);
      same &&= ok;
    }
    return same ? ExitCode.Ok : ExitCode.CheckFailed;
  }
  if (values.write === undefined) {
    // A workflow ends with its newline, which the line gives back.
    out((values.drift === true ? driftText : text).replace(/\n$/, ''));
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
    out(`${unchanged ? 'unchanged' : 'wrote'} ${f}`);
  }
  return ExitCode.Ok;
}
