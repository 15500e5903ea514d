import * as path from 'node:path';
import { demo } from '../cli/definition/demo.js';
import { createOutput } from '../cli/output.js';
import { parseCommand } from '../cli/parse.js';
import { ExitCode } from '../util/errors.js';
import { checkDemoDir, demoDir, runDemo } from '../demo/demo.js';

/** `taegis-migrate demo`: flags checked before anything starts. */
export async function demoMain(
  argv: readonly string[],
  out: (line: string) => void = createOutput().out,
): Promise<ExitCode> {
  const { values, help } = parseCommand(demo, argv);
  if (help !== undefined) {
    out(help);
    return ExitCode.Ok;
  }
  const timeout = values['log-timeout'];
  const dir = values.dir === undefined ? undefined : path.resolve(values.dir);
  if (dir !== undefined) checkDemoDir(dir);
  const result = await runDemo({ dir: dir ?? demoDir(), out, logTimeoutSeconds: timeout });
  return result.exitCode;
}
