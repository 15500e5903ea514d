import { accessSync, constants, existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { AwsClientFactory } from '../aws/clients.js';
import { clientsFromFlags, parseFlags } from '../cli/run.js';
import { DEFAULT_CONFIG_FILE, loadConfig, selectRegions, type TaegisConfig } from '../config/load.js';
import { ExitCode, TaegisError, type Problem } from '../errors.js';
import { formatJUnit, formatTable } from './report.js';
import { restoreBackup } from './restore.js';
import { runVerify, type VerifyOptions } from './verify.js';
import { requireCredentials } from './credentials.js';
import { extraChecks } from './extra-checks.js';
import { DataSourcesApi } from '../taegis/datasources.js';
import { resolveTaegisApi, taegisClient } from '../taegis/setup.js';
import { Masker } from '../util/masking.js';

export const VERIFY_USAGE = `usage: npm run verify -- [--config PATH] [--region R]... [--stack NAME]... [--dry-run]
         [--expect-runtime RUNTIME] [--log-timeout SECONDS] [--since ISO-TIME|DURATION]
         [--json FILE] [--junit FILE] [--backup-dir DIR] [--concurrency N] [--endpoint-url URL] [--profile NAME]
         [--taegis]
       npm run verify -- restore --backup FILE [--backup-dir DIR] [--endpoint-url URL] [--profile NAME]

Checks every configured Taegis Lambda stack (status, runtime, health), moves the S3 trigger of its log bucket to
the updated function (backing up the bucket's notification configuration first) and waits for "Uploading data to s3"
in its logs. --taegis also asks the Taegis API (config "taegis" section) whether Taegis saw each stack's data
since the migration; with a "monitoring" section the alarms are checked too. Exit 0: every check passed; 1: a check failed; 2: bad input, nothing was written.`;

const FLAGS = {
  config: { type: 'string', short: 'c' },
  region: { type: 'string', multiple: true },
  stack: { type: 'string', multiple: true },
  'dry-run': { type: 'boolean' },
  'expect-runtime': { type: 'string' },
  'log-timeout': { type: 'string' },
  since: { type: 'string' },
  json: { type: 'string' },
  junit: { type: 'string' },
  'backup-dir': { type: 'string' },
  concurrency: { type: 'string' },
  'endpoint-url': { type: 'string' },
  profile: { type: 'string' },
  backup: { type: 'string' },
  taegis: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** Things the CLI needs from outside; tests pass their own. */
export interface VerifyCliDeps {
  /** @default - a factory from --endpoint-url/AWS_ENDPOINT_URL and --profile */
  readonly clients?: AwsClientFactory;
  readonly stdout?: (text: string) => void;
  readonly stderr?: (text: string) => void;
  readonly env?: NodeJS.ProcessEnv;
  readonly now?: () => Date;
  /** @default 10000 */
  readonly pollIntervalMs?: number;
  /** @default process.stderr.isTTY */
  readonly tty?: boolean;
  /** Pauses of the Taegis API client's retries. @default real timers */
  readonly sleep?: (ms: number) => Promise<void>;
}

const DURATION = /^(\d+)(s|m|h|d)$/;
const UNIT_MS = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** `--since`: an ISO time, or a duration back from now (`90s`, `15m`, `2h`, `1d`). */
export function parseSince(value: string, now: Date): Date | string {
  const d = DURATION.exec(value);
  if (d) return new Date(now.getTime() - Number(d[1]) * UNIT_MS[d[2] as keyof typeof UNIT_MS]);
  if (!/^\d{4}-\d{2}-\d{2}/.test(value) || Number.isNaN(Date.parse(value))) {
    return `"${value}" is neither an ISO time (2026-11-23T10:00:00Z) nor a duration (30m, 2h, 1d)`;
  }
  const t = new Date(value);
  if (t.getTime() > now.getTime()) return `"${value}" is in the future`;
  return t;
}

function intFlag(
  value: string | undefined,
  name: string,
  min: number,
  max: number,
  problems: Problem[],
): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value) || Number(value) < min || Number(value) > max) {
    problems.push({
      path: `--${name}`,
      message: `"${value}" is not a whole number from ${min} to ${max}`,
      fix: `pass e.g. --${name} ${min === 0 ? 300 : 8}`,
    });
    return undefined;
  }
  return Number(value);
}

/** Report files: their folder is created (like `reports/` in CI); anything that cannot be written is bad input. */
function checkWritableFile(flag: string, file: string | undefined, problems: Problem[]): void {
  if (file === undefined) return;
  const dir = path.dirname(path.resolve(file));
  try {
    mkdirSync(dir, { recursive: true });
  } catch (err) {
    problems.push({
      path: `--${flag}`,
      message: `folder ${dir} cannot be created (${(err as Error).message})`,
      fix: 'pick another path',
    });
    return;
  }
  if (!statSync(dir).isDirectory()) {
    problems.push({ path: `--${flag}`, message: `${dir} is not a folder`, fix: 'pick another path' });
  } else if (existsSync(file) && statSync(file).isDirectory()) {
    problems.push({ path: `--${flag}`, message: `${file} is a folder`, fix: 'name a file' });
  }
}

/** `npm run verify` and `npm run verify -- restore`. Everything is validated before the first AWS call. */
export async function verifyMain(argv: readonly string[], deps: VerifyCliDeps = {}): Promise<ExitCode> {
  const stdout = deps.stdout ?? ((t: string) => process.stdout.write(`${t}\n`));
  const stderr = deps.stderr ?? ((t: string) => process.stderr.write(`${t}\n`));
  const env = deps.env ?? process.env;
  const now = deps.now ?? (() => new Date());
  const { values: f, positionals } = parseFlags(argv, FLAGS, true);
  if (f.help) {
    stdout(VERIFY_USAGE);
    return ExitCode.Ok;
  }
  const command = positionals[0];
  if (positionals.length > 1 || (command !== undefined && command !== 'restore')) {
    throw new TaegisError('INPUT_INVALID', `unexpected argument "${positionals.join(' ')}"`, {
      fix: 'the only subcommand is "restore --backup FILE"; see --help',
    });
  }
  const backupDir = path.resolve(f['backup-dir'] ?? 'backups');
  if (existsSync(backupDir) && !statSync(backupDir).isDirectory()) {
    throw new TaegisError('INPUT_INVALID', `--backup-dir ${backupDir} is a file`, {
      fix: 'name a folder (it is created when missing)',
    });
  }
  // A write needs somewhere to put its backup: prove that now, before any AWS call, not after a permission was added.
  if (!f['dry-run']) {
    try {
      mkdirSync(backupDir, { recursive: true });
      accessSync(backupDir, constants.W_OK);
    } catch (err) {
      throw new TaegisError('INPUT_INVALID', `--backup-dir ${backupDir} cannot be written: ${(err as Error).message}`, {
        fix: 'name a folder you can write to with --backup-dir, or run with --dry-run',
      });
    }
  }

  if (command === 'restore') {
    const stray = (
      ['region', 'stack', 'dry-run', 'expect-runtime', 'log-timeout', 'since', 'json', 'junit', 'concurrency'] as const
    ).filter((k) => f[k] !== undefined);
    if (stray.length > 0 || !f.backup) {
      throw new TaegisError(
        'INPUT_INVALID',
        stray.length > 0 ? `restore does not take --${stray.join(', --')}` : 'restore needs --backup FILE',
        {
          fix: 'npm run verify -- restore --backup backups/<region>_<bucket>_<time>.json',
        },
      );
    }
    const clients = deps.clients ?? clientsFromFlags(f, env);
    return restoreBackup(clients, {
      file: f.backup,
      backupDir,
      now,
      stdout,
      checkCredentials: deps.clients === undefined,
    });
  }
  if (f.backup !== undefined) {
    throw new TaegisError('INPUT_INVALID', '--backup is only for "restore"', {
      fix: 'npm run verify -- restore --backup FILE',
    });
  }

  const problems: Problem[] = [];
  // A dry run moves no trigger, so waiting for new log lines would only delay the plan: look once unless told.
  const logTimeout = intFlag(f['log-timeout'], 'log-timeout', 0, 86_400, problems) ?? (f['dry-run'] ? 0 : 300);
  const concurrency = intFlag(f.concurrency, 'concurrency', 1, 256, problems) ?? 16;
  let since: Date | undefined;
  if (f.since !== undefined) {
    const s = parseSince(f.since, now());
    if (typeof s === 'string')
      problems.push({ path: '--since', message: s, fix: 'pass an ISO time or a duration like 30m' });
    else since = s;
  }
  if (f['expect-runtime'] !== undefined && !/^[a-z][a-z0-9.]*$/.test(f['expect-runtime'])) {
    problems.push({
      path: '--expect-runtime',
      message: `"${f['expect-runtime']}" is not a Lambda runtime id`,
      fix: 'e.g. provided.al2 or provided.al2023',
    });
  }
  checkWritableFile('json', f.json, problems);
  checkWritableFile('junit', f.junit, problems);
  if (problems.length > 0) {
    const n = problems.length;
    throw new TaegisError('INPUT_INVALID', `flags: ${n} problem${n === 1 ? '' : 's'} found; nothing was changed`, {
      problems,
    });
  }

  // Verify needs only the stacks, not the vendor artifacts: loadConfig does not look at them.
  let config: TaegisConfig = selectRegions(loadConfig(f.config ?? DEFAULT_CONFIG_FILE), f.region ?? []);
  const stacks = (f.stack ?? [])
    .flatMap((s) => s.split(','))
    .map((s) => s.trim())
    .filter(Boolean);
  if (stacks.length > 0) {
    const known = new Set(config.regions.flatMap((r) => r.lambdaStacks.map((s) => s.stackName)));
    const unknown = stacks.filter((s) => !known.has(s));
    if (unknown.length > 0) {
      throw new TaegisError(
        'INPUT_INVALID',
        `stack ${unknown.join(', ')} is not in the selected regions of ${config.configPath}`,
        {
          fix: `use one of ${[...known].join(', ') || '(none configured)'}, or add it to "lambdaStacks"`,
        },
      );
    }
    config = {
      ...config,
      regions: config.regions.filter((r) => r.lambdaStacks.some((s) => stacks.includes(s.stackName))),
    };
  }
  if (config.regions.every((r) => r.lambdaStacks.length === 0)) {
    throw new TaegisError('CONFIG_INVALID', `no Lambda stacks to verify in ${config.configPath}`, {
      fix: 'list the stacks under regions[].lambdaStacks',
    });
  }

  // --taegis: the API client's secrets are read (and any problem reported, exit 2) before any AWS or Taegis call.
  const masker = new Masker();
  const taegisApi = f.taegis
    ? resolveTaegisApi({
        section: config.taegis,
        configPath: config.configPath,
        taegisRegion: config.taegisRegion,
        env,
        baseUrlOverride: env.TAEGIS_API_BASE_URL,
        masker,
      })
    : undefined;

  const clients = deps.clients ?? clientsFromFlags(f, env);
  if (deps.clients === undefined) await requireCredentials(clients, config.regions[0]!.region);

  const tty = deps.tty ?? process.stderr.isTTY === true;
  let lastPlain = 0;
  const opts: VerifyOptions = {
    config,
    stacks,
    dryRun: f['dry-run'] === true,
    expectRuntime: f['expect-runtime'] ?? config.lambdaRuntime,
    logTimeoutSeconds: logTimeout,
    ...(since ? { since } : {}),
    backupDir,
    concurrency,
    ...(deps.pollIntervalMs !== undefined ? { pollIntervalMs: deps.pollIntervalMs } : {}),
    now,
    onProgress: ({ done, total, secondsLeft }) => {
      const line = `waiting for "Uploading data to s3": ${done}/${total} stacks seen, ${secondsLeft} s left`;
      if (tty) process.stderr.write(`\r\x1b[2K${line}${done === total || secondsLeft === 0 ? '\n' : ''}`);
      else if (Date.now() - lastPlain >= 30_000 || done === total || secondsLeft === 0) {
        lastPlain = Date.now();
        stderr(line);
      }
    },
  };
  const taegisProgress = progressPrinter('Taegis data since the migration', tty, stderr);
  const extra = extraChecks(clients, {
    config,
    ...(taegisApi
      ? {
          taegis: new DataSourcesApi(
            taegisClient(taegisApi, {
              onRetry: (m) => stderr(`note: ${masker.mask(m)}`),
              ...(deps.sleep ? { sleep: deps.sleep } : {}),
            }),
          ),
        }
      : {}),
    logTimeoutSeconds: logTimeout,
    ...(deps.pollIntervalMs !== undefined ? { pollIntervalMs: deps.pollIntervalMs } : {}),
    now,
    onTaegisProgress: taegisProgress,
  });
  const report = await runVerify(clients, { ...opts, ...(extra ? { extraChecks: extra } : {}) });
  // Taegis answers are ours to show only masked: the API client's id and secret never leave in a report.
  stdout(masker.mask(formatTable(report)));
  if (f.json) writeFileSync(f.json, `${masker.mask(JSON.stringify(report, null, 2))}\n`);
  if (f.junit) writeFileSync(f.junit, masker.mask(formatJUnit(report)));
  if (deps.clients === undefined) clients.destroy();
  return report.exitCode;
}

/** A progress line like the log wait's: rewritten in place on a terminal, every 30 s otherwise. */
function progressPrinter(
  what: string,
  tty: boolean,
  stderr: (text: string) => void,
): (p: { readonly done: number; readonly total: number; readonly secondsLeft: number }) => void {
  let lastPlain = 0;
  return ({ done, total, secondsLeft }) => {
    const line = `waiting for ${what}: ${done}/${total} stacks seen, ${secondsLeft} s left`;
    if (tty) process.stderr.write(`\r\x1b[2K${line}${done === total || secondsLeft === 0 ? '\n' : ''}`);
    else if (Date.now() - lastPlain >= 30_000 || done === total || secondsLeft === 0) {
      lastPlain = Date.now();
      stderr(line);
    }
  };
}
