import { readFileSync } from 'node:fs';
import { ExitCode, TaegisError } from '../util/errors.js';
import { DEFINITION, type CommandName, type CommandSpec } from './definition/index.js';
import { commandHelp, programHelp } from './help.js';
import { runCli, setInterruptContext } from './run.js';

/** Runs one command's edge with the arguments after its name. */
export type CommandHandler = (argv: readonly string[]) => Promise<ExitCode>;
/** Every command of the definition, and only those, has its edge (lib/commands/index.ts). */
export type CommandHandlers = Readonly<Record<CommandName, CommandHandler>>;

/** The package's version, read from package.json next to lib/. */
export function programVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

const isCommand = (name: string): name is CommandName => Object.hasOwn(DEFINITION, name);
const isHelp = (arg: string): boolean => arg === '--help' || arg === '-h';

/**
 * `--help` of a command or subcommand, from the table alone: answered before the command's module loads, so help
 * never pays for aws-cdk-lib. Undefined when the command line does not ask for help.
 */
function helpOf(name: CommandName, rest: readonly string[]): string | undefined {
  const end = rest.indexOf('--');
  const args = end === -1 ? rest : rest.slice(0, end);
  if (!args.some(isHelp)) return undefined;
  const spec: CommandSpec = DEFINITION[name];
  const sub = args.find((a) => spec.subcommands !== undefined && Object.hasOwn(spec.subcommands, a));
  return commandHelp(spec, sub);
}

/** The whole program: `taegis-migrate <command> [flags]`, each command run by its edge from `handlers`. */
export async function programMain(argv: readonly string[], handlers: CommandHandlers): Promise<ExitCode> {
  const [first, ...rest] = argv;
  if (first === '-h' || first === '--help' || first === 'help') {
    const topic = first === 'help' ? rest[0] : undefined;
    process.stdout.write(
      `${topic !== undefined && isCommand(topic) ? commandHelp(DEFINITION[topic]) : programHelp()}\n`,
    );
    return ExitCode.Ok;
  }
  if (first === '-V' || first === '--version') {
    process.stdout.write(`${programVersion()}\n`);
    return ExitCode.Ok;
  }
  if (first === undefined) {
    process.stderr.write(`${programHelp()}\n`);
    throw new TaegisError('INPUT_INVALID', 'no command given', {
      fix: 'name a command, e.g. taegis-migrate discover --help',
    });
  }
  if (!isCommand(first)) {
    throw new TaegisError(
      'INPUT_INVALID',
      first.startsWith('-') ? `flags go after the command, "${first}" came first` : `unknown command "${first}"`,
      { fix: `use one of ${Object.keys(DEFINITION).join(', ')} (taegis-migrate --help lists them)` },
    );
  }
  const help = helpOf(first, rest);
  if (help !== undefined) {
    process.stdout.write(`${help}\n`);
    return ExitCode.Ok;
  }
  setInterruptContext({ command: first });
  return handlers[first](rest);
}

/**
 * The program entry: keeps the AWS SDK's notice that it will require Node 22 (a Node 20 project cannot act on it) out
 * of users' output, then runs the command through the single catch. Only that notice is switched off, by the SDK's own
 * setting, and only when the user has not set it.
 */
export async function runProgram(argv: readonly string[], handlers: CommandHandlers): Promise<void> {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  await runCli((args) => programMain(args, handlers), [...argv]);
}
