import * as path from 'node:path';
import { buildApp, checkAssemblyLimits } from '../app/app.js';
import { loadConfig } from '../config/load.js';
import { ExitCode, invalidInput } from '../util/errors.js';
import { COMMON_FLAGS, COMMON_HELP, configPathFrom, listFlag } from '../cli/flags.js';
import { outputDirProblem } from '../cli/output-path.js';
import { parseFlags } from '../cli/run.js';

export const SYNTH_USAGE = `usage: taegis-migrate synth [flags]

Checks the config and the vendor files, builds every stack (cdk-nag AwsSolutions included) and writes the cloud
assembly, in this process: the same app "npx cdk synth" runs. No AWS call.
${COMMON_HELP.config}
${COMMON_HELP.region}
  -o, --output DIR          cloud assembly folder (default cdk.out)
${COMMON_HELP.help}
Exit: 0 synthesized, 1 an error annotation (a cdk-nag finding on our own stacks), 2 bad input (config, vendor files).
"npx cdk synth -c config=PATH" runs the same app but exits 1 on bad input: the CDK CLI reports any failing app as 1.`;

export interface SynthCliDeps {
  readonly out?: (text: string) => void;
  readonly err?: (text: string) => void;
  readonly env?: NodeJS.ProcessEnv;
}

/** `taegis-migrate synth`: the CDK app in-process, so bad input keeps its exit code 2. */
export async function synthMain(argv: readonly string[], deps: SynthCliDeps = {}): Promise<ExitCode> {
  const out = deps.out ?? ((t: string) => process.stdout.write(`${t}\n`));
  const err = deps.err ?? ((t: string) => process.stderr.write(`${t}\n`));
  const env = deps.env ?? process.env;
  const { values } = parseFlags(argv, {
    config: COMMON_FLAGS.config,
    region: COMMON_FLAGS.region,
    help: COMMON_FLAGS.help,
    output: { type: 'string', short: 'o' },
  });
  if (values.help) {
    out(SYNTH_USAGE);
    return ExitCode.Ok;
  }
  const outdir = path.resolve(values.output ?? 'cdk.out');
  const problem = outputDirProblem('--output', outdir);
  if (problem) throw invalidInput('INPUT_INVALID', 'flags', [problem]);

  const config = loadConfig(configPathFrom(values.config));
  const built = await buildApp(config, {
    regions: listFlag(values.region),
    // As in bin/cdk-app.ts: aws-cdk-lib's own template validation is slow and lints the vendor's templates.
    appProps: { outdir, builtinCloudFormationValidation: env.CDK_VALIDATION === 'true' },
    warn: (message) => err(message),
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
