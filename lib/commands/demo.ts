import * as path from 'node:path';
import { parseFlags } from '../cli/run.js';
import { ExitCode, TaegisError } from '../util/errors.js';
import { checkDemoDir, demoDir, runDemo } from '../demo/demo.js';

export const DEMO_USAGE = `usage: npm run demo -- [--dir DIR] [--log-timeout SECONDS]

Runs the whole migration on a local AWS emulator (moto, on a free 127.0.0.1 port), no AWS account needed:
seeds console-made Taegis stacks in two regions, then discover -> synth -> bootstrap -> plan -> deploy -> verify,
as a user runs them. Stops the emulator by its PID at the end (also on Ctrl-C).
  --dir DIR              new or empty folder for the config, vendor files, backups and reports (default: a temporary one, kept)
  --log-timeout SECONDS  how long verify waits for the log line (default 60)
Exit: 0 every step passed, 1 a step failed, 2 bad flags or no emulator.`;

/** `npm run demo`: flags checked before anything starts. */
export async function demoMain(
  argv: readonly string[],
  out: (line: string) => void = (l) => process.stdout.write(`${l}\n`),
): Promise<ExitCode> {
  const { values } = parseFlags(argv, {
    dir: { type: 'string' },
    'log-timeout': { type: 'string', default: '60' },
    help: { type: 'boolean', short: 'h', default: false },
  });
  if (values.help) {
    out(DEMO_USAGE);
    return ExitCode.Ok;
  }
  const timeout = Number(values['log-timeout']);
  if (!/^\d+$/.test(values['log-timeout']) || timeout > 3600) {
    throw new TaegisError('INPUT_INVALID', `--log-timeout ${values['log-timeout']} is not a number of seconds`, {
      fix: 'give whole seconds from 0 to 3600, e.g. --log-timeout 60',
    });
  }
  const dir = values.dir === undefined ? undefined : path.resolve(values.dir);
  if (dir !== undefined) checkDemoDir(dir);
  const result = await runDemo({ dir: dir ?? demoDir(), out, logTimeoutSeconds: timeout });
  return result.exitCode;
}
