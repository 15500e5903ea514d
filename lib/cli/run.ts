import { ExitCode, reportError } from '../util/errors.js';

/** Exit code of a command stopped by SIGINT (Ctrl-C): 128 + the signal number, as shells report it. */
export const INTERRUPTED_EXIT_CODE = 130;

/** What Ctrl-C must still do before the process exits (see onInterrupt). */
const interruptCleanups = new Set<() => void>();

/**
 * Registers a synchronous cleanup that runs when Ctrl-C stops the command (e.g. stopping a child process by its PID),
 * before the process exits. Returns the function that unregisters it.
 */
export function onInterrupt(cleanup: () => void): () => void {
  interruptCleanups.add(cleanup);
  return () => interruptCleanups.delete(cleanup);
}

/** What the Ctrl-C line names: the command stopped, and what it may have left running in AWS. */
interface InterruptContext {
  command?: string;
  inFlight?: string;
}
const interruptContext: InterruptContext = {};

/**
 * Names the command a Ctrl-C would stop (`verify`, `deploy`, ...) and what it may have started in AWS that goes on
 * without it, for the one line printed on SIGINT. Later calls refine earlier ones.
 */
export function setInterruptContext(context: InterruptContext): void {
  Object.assign(interruptContext, context);
}

/** The line printed when Ctrl-C stops the command. */
export function interruptedLine(): string {
  const what = interruptContext.command === undefined ? 'the command' : `"${interruptContext.command}"`;
  return `error INTERRUPTED: stopped by SIGINT (Ctrl-C) before ${what} finished; ${
    interruptContext.inFlight ?? 'AWS operations already started go on in AWS'
  }`;
}

/**
 * The CLI's single catch: runs a command, prints a TaegisError's cause and fix on failure and sets
 * `process.exitCode` (0 pass, 1 a check failed, 2 bad input, 3 unexpected). Entry points call only this.
 * Ctrl-C (SIGINT) stops the command at once with one line on stderr and exit code 130.
 */
export async function runCli(
  main: (argv: readonly string[]) => Promise<ExitCode>,
  argv = process.argv.slice(2),
): Promise<void> {
  const onSigint = () => {
    for (const cleanup of interruptCleanups) {
      try {
        cleanup();
      } catch {
        // the exit below must happen whatever a cleanup does
      }
    }
    process.stderr.write(`${interruptedLine()}\n`);
    process.exit(INTERRUPTED_EXIT_CODE);
  };
  process.once('SIGINT', onSigint);
  try {
    process.exitCode = await main(argv);
  } catch (err) {
    process.exitCode = reportError(err);
  } finally {
    process.removeListener('SIGINT', onSigint);
  }
}

/** The AWS endpoint override: `--endpoint-url`, else `AWS_ENDPOINT_URL`. Read only at the CLI edge. */
export function endpointFrom(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const value = flag ?? env.AWS_ENDPOINT_URL;
  return value === undefined || value === '' ? undefined : value;
}
