import * as path from 'node:path';
import { AwsClientFactory } from '../aws/clients.js';
import { AccountClients, targetsOf } from '../aws/accounts.js';
import { COMMON_FLAGS, COMMON_HELP, configPathFrom, isStdout, roleNameFlag, withOptionalValue } from '../cli/flags.js';
import { outputDirProblem, outputFileProblem, writeOutputFile } from '../cli/output-path.js';
import { onInterrupt, parseFlags, setInterruptContext } from '../cli/run.js';
import { openAccountSession } from '../cli/session.js';
import { selectAccounts, selectRegions, type MigrationConfig } from '../config/load.js';
import type { AccessConfig } from '../config/schema.js';
import { loadConfig } from '../config/load.js';
import { ExitCode, TaegisError, type Problem } from '../util/errors.js';
import {
  exitCodeOf,
  formatJUnit,
  formatTable,
  summarize,
  type RegionReport,
  type VerifyReport,
} from '../verify/report.js';
import {
  FLEET_FLAGS,
  fleetFlags,
  fleetHelp,
  fleetWaves,
  formatFleetSummary,
  formatWaves,
  notStartedRows,
  runWaves,
  writeFleetSummary,
  type FleetRow,
  type FleetWave,
  type TargetOutcome,
  type WaveOutcome,
} from '../cli/fleet.js';
import { targetName, type Target } from '../config/pipeline.js';
import { restoreBackup } from '../verify/restore.js';
import { runVerify, type VerifyOptions } from '../verify/verify.js';
import { extraChecks } from '../verify/extra-checks.js';
import { withDriftFixes } from '../verify/drift.js';
import { expectedPackage } from '../verify/checks/runtime-health.js';
import { DataSourcesApi } from '../taegis/datasources.js';
import { resolveTaegisApi, taegisClient } from '../taegis/setup.js';
import { Masker } from '../util/masking.js';

export const VERIFY_USAGE = `usage: taegis-migrate verify [flags]                      (npm run verify -- [flags] is the same)
       taegis-migrate verify restore --backup FILE [flags]  (or: taegis-migrate restore --backup FILE)

Checks every configured Taegis Lambda stack (status, runtime, health), moves the S3 trigger of its log bucket to
the updated function (backing up the bucket's notification configuration first) and waits for "Uploading data to s3"
in its logs. --taegis also asks the Taegis API (config "taegis" section) whether Taegis saw each stack's data
since the migration; with a "monitoring" section the alarms are checked too, with "failedEvents" the events waiting
in each function's failed-event queue (fix the cause, then "taegis-migrate replay").
${COMMON_HELP.config}
${COMMON_HELP.region}
  --account A               only this account (repeatable, or a comma list)
  --stack NAME              only this stack (repeatable, or a comma list)
  --dry-run                 show what would change; write nothing
  --check                   read-only drift check: writes nothing at all (no notification, no permission, no
                            backup) and fails (exit 1) on anything it would write or any failed check, naming each
                            drift and the command that fixes it; --since defaults to 24h (the log window)
  --expect-runtime RUNTIME  the runtime the function must have (default: the config's lambdaRuntime)
  --log-timeout SECONDS     how long to wait for the log line (default 300; 0 with --dry-run)
  --since ISO-TIME|DURATION look for log lines from then on (e.g. 30m, 2h, 2026-11-23T10:00:00Z)
${COMMON_HELP.json}
  --junit FILE              JUnit XML report for CI
  --backup-dir DIR          where bucket configurations are backed up before a write (default ./backups)
  --taegis                  also check that Taegis itself saw each stack's data since the migration
${fleetHelp("stacks checked at once (default 16, or the wave's maxConcurrency)")}
  --backup FILE             (restore only) the backup file to put back, or an SNS route record to undo
  --role-name NAME          the role to assume in every configured account that is not the caller's, instead of
                            the config's "access" roleName (restore: in the backup's account)
${COMMON_HELP.profile}
${COMMON_HELP['endpoint-url']}
${COMMON_HELP.help}
Exit 0: every check passed (or no more targets failed than tolerated); 1: more targets failed a check than
tolerated; 2: bad input, nothing was written.`;

const FLAGS = {
  config: COMMON_FLAGS.config,
  region: COMMON_FLAGS.region,
  account: { type: 'string', multiple: true },
  stack: { type: 'string', multiple: true },
  'dry-run': { type: 'boolean' },
  check: { type: 'boolean' },
  'expect-runtime': { type: 'string' },
  'log-timeout': { type: 'string' },
  since: { type: 'string' },
  json: COMMON_FLAGS.json,
  junit: { type: 'string' },
  'backup-dir': { type: 'string' },
  ...FLEET_FLAGS,
  'endpoint-url': COMMON_FLAGS['endpoint-url'],
  profile: COMMON_FLAGS.profile,
  backup: { type: 'string' },
  'role-name': { type: 'string' },
  help: COMMON_FLAGS.help,
  taegis: { type: 'boolean' },
} as const;

/** Things the CLI needs from outside; tests pass their own. */
export interface VerifyCliDeps {
  /** @default - a factory from --endpoint-url/AWS_ENDPOINT_URL and --profile */
  readonly clients?: AwsClientFactory;
  /**
   * Clients per account (tests aim these at moto); ignored when `clients` is given.
   * @default - from --endpoint-url/AWS_ENDPOINT_URL and --profile
   */
  readonly accounts?: AccountClients;
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
/** `verify --check`'s log window unless --since says otherwise. */
export const DEFAULT_CHECK_SINCE = '24h';
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

/** Report files: checked now, their folder created only when the report is written. */
function checkWritableFile(flag: string, file: string | undefined, problems: Problem[]): void {
  if (file === undefined || isStdout(file)) return;
  const problem = outputFileProblem(`--${flag}`, file);
  if (problem) problems.push(problem);
}

/**
 * A write needs somewhere to put its backup: proved before any AWS call, not after a permission was added, and
 * without creating anything (the folder is made by the first backup).
 */
function checkBackupDir(backupDir: string): void {
  const problem = outputDirProblem('--backup-dir', backupDir);
  if (problem) {
    throw new TaegisError('INPUT_INVALID', `${problem.path}: ${problem.message}`, {
      fix: 'name a folder you can write to with --backup-dir, or run with --dry-run',
    });
  }
}

/**
 * How restore enters the backup's account: `--role-name`, else the config's top-level `access` when `--config` is
 * given (restore needs no config otherwise).
 */
function restoreAccess(roleName: string | undefined, configPath: string | undefined): AccessConfig | undefined {
  if (roleName !== undefined) return { roleName };
  return configPath !== undefined ? loadConfig(configPath).access : undefined;
}

/** `npm run verify` and `npm run verify -- restore`. Everything is validated before the first AWS call. */
export async function verifyMain(argv: readonly string[], deps: VerifyCliDeps = {}): Promise<ExitCode> {
  const stdout = deps.stdout ?? ((t: string) => process.stdout.write(`${t}\n`));
  const stderr = deps.stderr ?? ((t: string) => process.stderr.write(`${t}\n`));
  const env = deps.env ?? process.env;
  const now = deps.now ?? (() => new Date());
  const { values: f, positionals } = parseFlags(withOptionalValue(argv, '--json'), FLAGS, true);
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
  const roleName = roleNameFlag(f['role-name']);

  if (command === 'restore') {
    const stray = (
      [
        'region',
        'account',
        'stack',
        'dry-run',
        'check',
        'expect-runtime',
        'log-timeout',
        'since',
        'json',
        'junit',
        'concurrency',
        'failure-tolerance',
        'wave',
        'waves',
        'summary',
      ] as const
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
    checkBackupDir(backupDir);
    // The backup names its bucket's account: the restore goes there, through that account's credentials.
    const session = openAccountSession({ command: 'verify-restore', flags: f, env, deps });
    try {
      // restoreBackup checks the credentials in the backup's region; an endpoint that does not answer is named here.
      await session.requireEndpoint();
      const access = restoreAccess(roleName, f.config);
      return await restoreBackup(session, { ...(access ? { access } : {}), file: f.backup, backupDir, now, stdout });
    } finally {
      session.close();
    }
  }
  if (f.backup !== undefined) {
    throw new TaegisError('INPUT_INVALID', '--backup is only for "restore"', {
      fix: 'npm run verify -- restore --backup FILE',
    });
  }

  const problems: Problem[] = [];
  // --check is a dry run whose findings fail: it writes nothing and looks once.
  const check = f.check === true;
  const dryRun = f['dry-run'] === true || check;
  // A dry run moves no trigger, so waiting for new log lines would only delay the plan: look once unless told.
  const logTimeout = intFlag(f['log-timeout'], 'log-timeout', 0, 86_400, problems) ?? (dryRun ? 0 : 300);
  const fleet = fleetFlags(f, problems);
  let since: Date | undefined;
  // The drift check's log window: the success line within the last day unless told.
  const sinceFlag = f.since ?? (check ? DEFAULT_CHECK_SINCE : undefined);
  if (sinceFlag !== undefined) {
    const s = parseSince(sinceFlag, now());
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
  const fullConfig = loadConfig(configPathFrom(f.config), { now: now() });
  let config: MigrationConfig = selectRegions(selectAccounts(fullConfig, f.account ?? []), f.region ?? []);
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
  const waves = fleetWaves(fullConfig, config, fleet, 16);
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

  if (!dryRun) checkBackupDir(backupDir);

  const session = openAccountSession({ command: 'verify', flags: f, env, deps });
  const clients = session.clients;
  await session.preflight(config.regions[0]!.region);
  // Every account reachable (or bad input, exit 2) before anything is read or written; accounts whose role cannot
  // be assumed are reported and the others go on.
  const { clientsFor, unreachable } = await session.route(targetsOf(config), roleName);

  const pkg = expectedPackage(config);
  const tty = deps.tty ?? process.stderr.isTTY === true;
  let lastPlain = 0;
  const opts: VerifyOptions = {
    config,
    stacks,
    dryRun,
    ...(check ? { check } : {}),
    expectRuntime: f['expect-runtime'] ?? config.lambdaRuntime,
    logTimeoutSeconds: logTimeout,
    ...(since ? { since } : {}),
    backupDir,
    concurrency: waves[0]?.concurrency ?? 16,
    ...(pkg ? { expectPackage: pkg } : {}),
    clientsFor,
    unreachable,
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
  const extra = extraChecks(clientsFor, {
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
  const multiAccount = new Set(config.regions.map((r) => r.account)).size > 1;
  // Ctrl-C: the report as it stands (the waves done, the running wave's checks so far, the rest `interrupted`) goes
  // where the run would have written it.
  const done: VerifyReport[] = [];
  let partial: ((reason: string) => VerifyReport) | undefined;
  setInterruptContext({
    command: 'verify',
    inFlight: `S3 writes already sent complete in AWS (backups in ${backupDir}); "verify -- restore" undoes one`,
  });
  const unregister = onInterrupt(() => {
    if (partial === undefined) return;
    const reason = 'stopped by SIGINT (Ctrl-C) before every check finished';
    const parts = [...done, partial(reason)];
    writeReport({ ...mergeReports(parts, [], false), interrupted: reason, exitCode: 1 }, f, masker, stdout);
  });
  let run;
  try {
    run = await runWaves(waves, async (wave) => {
      const inWave = new Set(wave.targets.map((t) => targetName(t)));
      const waveConfig = { ...config, regions: config.regions.filter((r) => inWave.has(targetName(r))) };
      const part = await runVerify(clients, {
        ...opts,
        config: waveConfig,
        concurrency: wave.concurrency,
        ...(multiAccount ? { nameAccounts: true } : {}),
        ...(extra ? { extraChecks: extra } : {}),
        onSnapshot: (take) => (partial = take),
      });
      // A wave within one account of a fleet still names the account, as the whole run's report does.
      const labelled = multiAccount
        ? {
            ...part,
            regions: part.regions.map((r) =>
              r.account !== undefined
                ? r
                : { ...r, account: waveConfig.regions.find((x) => x.region === r.region)!.account },
            ),
          }
        : part;
      done.push(labelled);
      partial = undefined;
      return { result: labelled, targets: failedTargets(wave.targets, labelled.regions) };
    });
  } finally {
    unregister();
    session.close();
  }
  let report = mergeReports(run.results, run.waves, run.exceeded);
  if (check) report = withDriftFixes(report, f.config);
  const rows = [
    ...verifyRows(report, waves, config.regions[0]!.account),
    ...notStartedRows(waves, run.waves, (t) =>
      config.regions
        .filter((r) => targetName(r) === targetName(t))
        .flatMap((r) => r.lambdaStacks.map((s) => s.stackName)),
    ),
  ];
  writeFleetSummary(
    masker.mask(formatFleetSummary({ command: 'verify', rows, waves: run.waves, exitCode: report.exitCode })),
    fleet.summary,
    env,
  );
  writeReport(
    report,
    f,
    masker,
    stdout,
    waves.length > 1 || fleet.tolerance !== undefined ? formatWaves(run.waves) : undefined,
  );
  return report.exitCode;
}

/** The table (and the waves' table, when given) or JSON on stdout, and the files --json / --junit ask for; masked. */
function writeReport(
  report: VerifyReport,
  f: { readonly json?: string; readonly junit?: string },
  masker: Masker,
  stdout: (text: string) => void,
  wavesTable?: string,
): void {
  // Taegis answers are ours to show only masked: the API client's id and secret never leave in a report.
  const json = `${masker.mask(JSON.stringify(report, null, 2))}\n`;
  if (isStdout(f.json)) stdout(json.trimEnd());
  else {
    stdout(masker.mask(formatTable(report)));
    if (wavesTable !== undefined) stdout(wavesTable);
  }
  if (f.json !== undefined && !isStdout(f.json)) writeOutputFile(f.json, json);
  const junit = masker.mask(formatJUnit(report));
  if (f.junit !== undefined && !isStdout(f.junit)) writeOutputFile(f.junit, junit);
  else if (f.junit !== undefined) stdout(junit);
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

/** A target fails when a check of one of its stacks failed; the first failed check is its reason. */
export function failedTargets(targets: readonly Target[], regions: readonly RegionReport[]): TargetOutcome[] {
  return targets.map((t) => {
    const checks = regions
      .filter((r) => r.region === t.region && (r.account === undefined || r.account === t.account))
      .flatMap((r) => r.stacks.flatMap((s) => s.checks.map((c) => ({ stack: s.stackName, c }))));
    const first = checks.find((x) => x.c.status === 'fail');
    return {
      account: t.account,
      region: t.region,
      failed: first !== undefined,
      ...(first ? { reason: `${first.stack} ${first.c.name}: ${first.c.detail}` } : {}),
    };
  });
}

/** The waves' reports as one: every region, account-labelled when the run spans several accounts. */
export function mergeReports(
  parts: readonly VerifyReport[],
  waves: readonly WaveOutcome[],
  exceeded: boolean,
): VerifyReport {
  const first = parts[0]!;
  const last = parts[parts.length - 1]!;
  const labelled = parts.flatMap((p) => p.regions);
  const tolerant = waves.length > 1 || waves.some((w) => w.allowed > 0);
  return {
    ...first,
    finishedAt: last.finishedAt,
    durationMs: Date.parse(last.finishedAt) - Date.parse(first.startedAt),
    regions: labelled,
    summary: summarize(labelled),
    // With a tolerance, the run fails only past it; without, as always (any failed check).
    exitCode: tolerant ? (exceeded ? 1 : 0) : exitCodeOf(labelled),
    ...(tolerant || waves.some((w) => w.name !== 'all') ? { waves } : {}),
  };
}

/** The fleet summary's rows: one per stack, each check a step, the first failed check its reason. */
export function verifyRows(report: VerifyReport, waves: readonly FleetWave[], onlyAccount: string): FleetRow[] {
  const waveOf = (account: string, region: string): string =>
    waves.find((w) => w.targets.some((t) => t.account === account && t.region === region))?.name ?? '-';
  return report.regions.flatMap((r) =>
    r.stacks.map((s): FleetRow => {
      const account = r.account ?? onlyAccount;
      const failed = s.checks.find((c) => c.status === 'fail');
      return {
        wave: waveOf(account, r.region),
        account,
        region: r.region,
        stack: s.stackName,
        steps: s.checks.map((c) => ({ name: c.name, status: c.status })),
        result: failed ? 'fail' : 'pass',
        ...(failed ? { failedStep: failed.name, reason: failed.detail } : {}),
      };
    }),
  );
}
