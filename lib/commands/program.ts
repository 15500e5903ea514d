import { readFileSync } from 'node:fs';
import { ExitCode, TaegisError } from '../util/errors.js';
import { COMMON_HELP } from '../cli/flags.js';
import { runCli, setInterruptContext } from '../cli/run.js';

/** The package's version, read from package.json next to lib/. */
export function programVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

export const RESTORE_USAGE = `usage: taegis-migrate restore --backup FILE [flags]     (the same as: taegis-migrate verify restore ...)

Puts a bucket's S3 notification configuration back from a backup that verify wrote before changing it.
  --backup FILE             the backup file (backups/<region>_<bucket>_<time>.json)
  --backup-dir DIR          where the backup of the configuration being replaced goes (default ./backups)
${COMMON_HELP.profile}
${COMMON_HELP['endpoint-url']}
${COMMON_HELP.help}
Exit: 0 restored, 1 the restore failed, 2 bad input (nothing was written).`;

interface Command {
  readonly summary: string;
  readonly run: (argv: readonly string[]) => Promise<ExitCode>;
}

/**
 * The subcommands, in the order a migration runs them. Each command's module is loaded when it runs: `--help` and a
 * command that needs no CDK toolkit do not pay for loading aws-cdk-lib and the toolkit.
 */
export const COMMANDS: Readonly<Record<string, Command>> = {
  discover: {
    summary: 'find the existing Taegis stacks in your regions; --write drafts the config (read-only)',
    run: async (argv) => (await import('./discover.js')).discoverMain(argv),
  },
  synth: {
    summary: 'check config and vendor files, build every stack and write cdk.out (no AWS call)',
    run: async (argv) => (await import('./synth.js')).synthMain(argv),
  },
  plan: {
    summary: 'one CloudFormation change set per Lambda stack: what deploy would change (nothing executed)',
    run: async (argv) => (await import('./plan.js')).planMain(argv),
  },
  deploy: {
    summary: 'deploy the staging, shared and Lambda stacks (credentials never on a command line)',
    run: async (argv) => (await import('./deploy.js')).deployMain(argv),
  },
  verify: {
    summary: 'move the S3 trigger to the updated function and wait for its logs ("verify restore" undoes it)',
    run: async (argv) => (await import('./verify.js')).verifyMain(argv),
  },
  restore: {
    summary: "put a bucket's notification configuration back from a verify backup",
    run: async (argv) => {
      if (argv.includes('-h') || argv.includes('--help')) {
        process.stdout.write(`${RESTORE_USAGE}\n`);
        return ExitCode.Ok;
      }
      return (await import('./verify.js')).verifyMain(['restore', ...argv]);
    },
  },
  replay: {
    summary: 'send the events a function failed on again, from its on-failure queue (config failedEvents)',
    run: async (argv) => (await import('./replay.js')).replayMain(argv),
  },
  backfill: {
    summary: 'send every object of a log bucket written in a time window to its function, once',
    run: async (argv) => (await import('./replay.js')).backfillMain(argv),
  },
  logpush: {
    summary: 'Cloudflare Logpush jobs feeding Taegis: setup, status, health',
    run: async (argv) => (await import('./logpush.js')).logpushMain(argv, { env: process.env }),
  },
  secret: {
    summary: 'put credentials.txt into AWS Secrets Manager for the shared stacks (never on a command line)',
    run: async (argv) => (await import('./secret.js')).secretMain(argv),
  },
  ci: {
    summary:
      'CI: write the GitHub Actions workflow ("ci github"); run one shard of a wave ("ci shard"), its gate ("ci gate")',
    run: async (argv) => (await import('./ci.js')).ciMain(argv),
  },
  demo: {
    summary: 'the whole migration on a local AWS emulator (moto), no AWS account needed',
    run: async (argv) => (await import('./demo.js')).demoMain(argv),
  },
};

export function programUsage(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((n) => n.length));
  return `usage: taegis-migrate <command> [flags]

Moves Secureworks Taegis XDR log integrations onto the vendor's new Lambda package, region by region, and proves
that logs flow again.

commands:
${Object.entries(COMMANDS)
  .map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`)
  .join('\n')}

common flags (the same meaning in every command that takes them; see "taegis-migrate <command> --help"):
${COMMON_HELP.config}
${COMMON_HELP.region}
${COMMON_HELP.profile}
${COMMON_HELP['endpoint-url']}
${COMMON_HELP.json}
${COMMON_HELP.help}
  -V, --version             print the version

exit codes: 0 pass, 1 a check failed, 2 bad input (nothing was called or changed), 3 unexpected (a bug, or an
answer from AWS or an endpoint that this tool does not know: report it), 130 interrupted (Ctrl-C).
"npm run <command> -- [flags]" runs the same command.`;
}

/** The whole program: `taegis-migrate <command> [flags]`. */
export async function programMain(argv: readonly string[]): Promise<ExitCode> {
  const [first, ...rest] = argv;
  if (first === '-h' || first === '--help' || first === 'help') {
    const topic = first === 'help' ? rest[0] : undefined;
    if (topic !== undefined && COMMANDS[topic]) return COMMANDS[topic].run(['--help']);
    process.stdout.write(`${programUsage()}\n`);
    return ExitCode.Ok;
  }
  if (first === '-V' || first === '--version') {
    process.stdout.write(`${programVersion()}\n`);
    return ExitCode.Ok;
  }
  if (first === undefined) {
    process.stderr.write(`${programUsage()}\n`);
    throw new TaegisError('INPUT_INVALID', 'no command given', {
      fix: 'name a command, e.g. taegis-migrate discover --help',
    });
  }
  const command = Object.hasOwn(COMMANDS, first) ? COMMANDS[first] : undefined;
  if (command === undefined) {
    throw new TaegisError(
      'INPUT_INVALID',
      first.startsWith('-') ? `flags go after the command, "${first}" came first` : `unknown command "${first}"`,
      { fix: `use one of ${Object.keys(COMMANDS).join(', ')} (taegis-migrate --help lists them)` },
    );
  }
  setInterruptContext({ command: first });
  return command.run(rest);
}

/**
 * The program entry: keeps the AWS SDK's notice that it will require Node 22 (a Node 20 project cannot act on it) out
 * of users' output, then runs the command through the single catch. Only that notice is switched off, by the SDK's own
 * setting, and only when the user has not set it.
 */
export async function runProgram(argv: readonly string[] = process.argv.slice(2)): Promise<void> {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  await runCli(programMain, [...argv]);
}
