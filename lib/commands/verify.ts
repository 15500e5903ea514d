import * as path from 'node:path';
import { targetsOf } from '../aws/accounts.js';
import { verify } from '../cli/definition/verify.js';
import { configPathFrom, isStdout } from '../cli/flags.js';
import { createOutput, type Output } from '../cli/output.js';
import { outputFileProblem } from '../cli/output-path.js';
import { parseCommand } from '../cli/parse.js';
import { onInterrupt, setInterruptContext } from '../cli/run.js';
import { openAccountSession } from '../cli/session.js';
import { selectAccounts, selectRegions, type MigrationConfig } from '../config/load.js';
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
  fleetFlags,
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
import { checkBackupDir, runRestore, type RestoreCliDeps } from './restore.js';
import { runVerify, type VerifyOptions } from '../verify/verify.js';
import { extraChecks } from '../verify/extra-checks.js';
import { withDriftFixes } from '../verify/drift.js';
import { expectedPackage } from '../verify/checks/runtime-health.js';
import { DataSourcesApi } from '../taegis/datasources.js';
import { resolveTaegisApi, taegisClient } from '../taegis/setup.js';
import { Masker } from '../util/masking.js';

/** Things the CLI needs from outside; tests pass their own. */
export interface VerifyCliDeps extends RestoreCliDeps {
  readonly stderr?: (text: string) => void;
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

/** Report files: checked now, their folder created only when the report is written. */
function checkWritableFile(flag: string, file: string | undefined, problems: Problem[]): void {
  if (file === undefined || isStdout(file)) return;
  const problem = outputFileProblem(`--${flag}`, file);
  if (problem) problems.push(problem);
}

/** `taegis-migrate verify` and `taegis-migrate verify restore`. Everything is validated before the first AWS call. */
export async function verifyMain(argv: readonly string[], deps: VerifyCliDeps = {}): Promise<ExitCode> {
  const output = createOutput(deps);
  const env = deps.env ?? process.env;
  const now = deps.now ?? (() => new Date());
  const { values: f, sub, help } = parseCommand(verify, argv);
  if (help !== undefined) {
    output.out(help);
    return ExitCode.Ok;
  }
  if (sub === 'restore') return runRestore(f, deps);
  const backupDir = path.resolve(f['backup-dir']);
  const roleName = f['role-name'];

  const problems: Problem[] = [];
  // --check is a dry run whose findings fail: it writes nothing and looks once.
  const check = f.check;
  const dryRun = f['dry-run'] || check;
  // A dry run moves no trigger, so waiting for new log lines would only delay the plan: look once unless told.
  const logTimeout = f['log-timeout'] ?? (dryRun ? 0 : 300);
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
  let config: MigrationConfig = selectRegions(selectAccounts(fullConfig, f.account), f.region);
  const stacks = f.stack;
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
  const logProgress = progressOf('"Uploading data to s3"', output);
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
    onProgress: logProgress,
  };
  const extra = extraChecks(clientsFor, {
    config,
    ...(taegisApi
      ? {
          taegis: new DataSourcesApi(
            taegisClient(taegisApi, {
              onRetry: (m) => output.err(`note: ${masker.mask(m)}`),
              ...(deps.sleep ? { sleep: deps.sleep } : {}),
            }),
          ),
        }
      : {}),
    logTimeoutSeconds: logTimeout,
    ...(deps.pollIntervalMs !== undefined ? { pollIntervalMs: deps.pollIntervalMs } : {}),
    now,
    onTaegisProgress: progressOf('Taegis data since the migration', output),
  });
  const multiAccount = new Set(config.regions.map((r) => r.account)).size > 1;
  // Ctrl-C: the report as it stands (the waves done, the running wave's checks so far, the rest `interrupted`) goes
  // where the run would have written it.
  const done: VerifyReport[] = [];
  let partial: ((reason: string) => VerifyReport) | undefined;
  setInterruptContext({
    command: 'verify',
    inFlight: `S3 writes already sent complete in AWS (backups in ${backupDir}); "taegis-migrate restore" undoes one`,
  });
  const unregister = onInterrupt(() => {
    if (partial === undefined) return;
    const reason = 'stopped by SIGINT (Ctrl-C) before every check finished';
    const parts = [...done, partial(reason)];
    writeReport({ ...mergeReports(parts, [], false), interrupted: reason, exitCode: 1 }, f, masker, output);
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
    output,
    waves.length > 1 || fleet.tolerance !== undefined ? formatWaves(run.waves) : undefined,
  );
  return report.exitCode;
}

/** The table (and the waves' table, when given) or JSON on stdout, and the files --json / --junit ask for; masked. */
function writeReport(
  report: VerifyReport,
  f: { readonly json?: string; readonly junit?: string },
  masker: Masker,
  output: Output,
  wavesTable?: string,
): void {
  // Taegis answers are ours to show only masked: the API client's id and secret never leave in a report.
  const json = `${masker.mask(JSON.stringify(report, null, 2))}\n`;
  output.report(json, f.json, {
    text: [masker.mask(formatTable(report)), ...(wavesTable !== undefined ? [wavesTable] : [])],
  });
  const junit = masker.mask(formatJUnit(report));
  // On stdout the XML is printed with its own final newline kept (a blank line after it).
  if (isStdout(f.junit)) output.out(junit);
  else output.report(junit, f.junit);
}

/** A wait's progress: how many stacks have shown what is waited for, and the seconds left. */
function progressOf(
  what: string,
  output: Output,
): (p: { readonly done: number; readonly total: number; readonly secondsLeft: number }) => void {
  const progress = output.progress();
  return ({ done, total, secondsLeft }) =>
    progress({
      line: `waiting for ${what}: ${done}/${total} stacks seen, ${secondsLeft} s left`,
      last: done === total || secondsLeft === 0,
    });
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
