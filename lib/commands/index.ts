import type { ExitCode } from '../util/errors.js';
import { programMain as dispatch, runProgram as run, type CommandHandlers } from '../cli/program.js';

/**
 * Each command's edge, loaded when it runs: a command that needs no CDK toolkit does not pay for loading aws-cdk-lib.
 * Its flags, usage and help live in lib/cli/definition/<command>.ts.
 */
export const HANDLERS: CommandHandlers = {
  discover: async (argv) => (await import('./discover.js')).discoverMain(argv),
  synth: async (argv) => (await import('./synth.js')).synthMain(argv),
  plan: async (argv) => (await import('./plan.js')).planMain(argv),
  deploy: async (argv) => (await import('./deploy.js')).deployMain(argv),
  verify: async (argv) => (await import('./verify.js')).verifyMain(argv),
  restore: async (argv) => (await import('./restore.js')).restoreMain(argv),
  replay: async (argv) => (await import('./replay.js')).replayMain(argv),
  backfill: async (argv) => (await import('./backfill.js')).backfillMain(argv),
  logpush: async (argv) => (await import('./logpush.js')).logpushMain(argv, { env: process.env }),
  secret: async (argv) => (await import('./secret.js')).secretMain(argv),
  ci: async (argv) => (await import('./ci.js')).ciMain(argv),
  demo: async (argv) => (await import('./demo.js')).demoMain(argv),
};

/** The whole program: `taegis-migrate <command> [flags]`. */
export function programMain(argv: readonly string[]): Promise<ExitCode> {
  return dispatch(argv, HANDLERS);
}

/** The program entry bin/taegis-migrate.mjs calls: the command through the CLI's single catch. */
export function runProgram(argv: readonly string[] = process.argv.slice(2)): Promise<void> {
  return run(argv, HANDLERS);
}
