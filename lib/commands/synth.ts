import * as path from 'node:path';
import { buildApp, checkAssemblyLimits } from '../app/app.js';
import { loadConfig } from '../config/load.js';
import { ExitCode, invalidInput } from '../util/errors.js';
import { synth } from '../cli/definition/synth.js';
import { configPathFrom } from '../cli/flags.js';
import { outputDirProblem } from '../cli/output-path.js';
import { createOutput } from '../cli/output.js';
import { parseCommand } from '../cli/parse.js';

export interface SynthCliDeps {
  readonly out?: (text: string) => void;
  readonly err?: (text: string) => void;
  readonly env?: NodeJS.ProcessEnv;
}

/** `taegis-migrate synth`: the CDK app in-process, so bad input keeps its exit code 2. */
export async function synthMain(argv: readonly string[], deps: SynthCliDeps = {}): Promise<ExitCode> {
  const { out, err } = createOutput({
    ...(deps.out ? { stdout: deps.out } : {}),
    ...(deps.err ? { stderr: deps.err } : {}),
  });
  const env = deps.env ?? process.env;
  const { values, help } = parseCommand(synth, argv);
  if (help !== undefined) {
    out(help);
    return ExitCode.Ok;
  }
  const outdir = path.resolve(values.output);
  const problem = outputDirProblem('--output', outdir);
  if (problem) throw invalidInput('INPUT_INVALID', 'flags', [problem]);

  const config = loadConfig(configPathFrom(values.config));
  const built = await buildApp(config, {
    regions: values.region,
    // As in bin/cdk-app.ts: aws-cdk-lib's own template validation is slow and lints the vendor's templates.
    appProps: { outdir, builtinCloudFormationValidation: env.CDK_VALIDATION === 'true' },
    warn: err,
  });
  const assembly = built.app.synth();
  checkAssemblyLimits(assembly, config.configPath);
  let errors = 0;
  let warnings = 0;
  for (const stack of assembly.stacks) {
    for (const m of stack.messages) {
      const level = String(m.level);
      if (level !== 'error' && level !== 'warning') continue;
      if (level === 'error') errors += 1;
      else warnings += 1;
      const data = typeof m.entry.data === 'string' ? m.entry.data : JSON.stringify(m.entry.data);
      err(`[${level}] ${m.id}: ${data}`);
    }
  }
  for (const stack of assembly.stacks) out(`${stack.id}  ${stack.stackName}  ${stack.environment.region}`);
  const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
  out(
    `synthesized ${plural(assembly.stacks.length, 'stack')} to ${outdir} (${plural(errors, 'error')}, ${plural(warnings, 'warning')})`,
  );
  return errors > 0 ? ExitCode.CheckFailed : ExitCode.Ok;
}
