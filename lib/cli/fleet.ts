import { appendFileSync } from 'node:fs';
import type { MigrationConfig } from '../config/load.js';
import { resolveWaves, targetName, type Target } from '../config/pipeline.js';
import { TaegisError, type Problem } from '../util/errors.js';
import {
  FAILURE_TOLERANCE_FORM,
  NO_FAILURES,
  allowedFailures,
  formatFailureTolerance,
  parseFailureTolerance,
  toleranceExceeded,
  type FailureTolerance,
} from '../util/tolerance.js';
import { outputFileProblem, writeOutputFile } from './output-path.js';
import { formatTable } from './table.js';

/**
 * Runs by hand over many targets: `deploy`, `plan` and `verify` attempt every target of a wave, a failed
 * target never stops the others, and the run fails (exit 1) only when more targets failed than the wave tolerates.
 * With `--waves` the config's `pipeline.waves` run one after another, and a wave over its tolerance stops the next.
 * The flags themselves are defined in lib/cli/definition/shared.ts.
 */

/** The fleet flags after their check. */
export interface FleetFlags {
  /** @default - the wave's, else no failure tolerated */
  readonly tolerance?: FailureTolerance;
  /** @default - the wave's `maxConcurrency`, else the command's own default */
  readonly concurrency?: number;
  /** @default - no wave: every selected target as one */
  readonly wave?: string;
  /** @default false */
  readonly waves: boolean;
  /** @default - no summary file */
  readonly summary?: string;
}

/**
 * Checks the fleet flags the parser cannot (the tolerance's form, --wave against --waves, the summary path); each
 * problem goes to `problems` (bad input, exit 2, before any call).
 */
export function fleetFlags(
  values: {
    readonly 'failure-tolerance'?: string | undefined;
    readonly concurrency?: number | undefined;
    readonly wave?: string | undefined;
    readonly waves?: boolean;
    readonly summary?: string | undefined;
  },
  problems: Problem[],
): FleetFlags {
  let tolerance: FailureTolerance | undefined;
  const t = values['failure-tolerance'];
  if (t !== undefined) {
    tolerance = parseFailureTolerance(t);
    if (tolerance === undefined)
      problems.push({
        path: '--failure-tolerance',
        message: `"${t}" is not a failure tolerance`,
        fix: `use ${FAILURE_TOLERANCE_FORM}`,
      });
  }
  // The parser checked the bounds (lib/cli/definition/shared.ts).
  const concurrency = values.concurrency;
  if (values.wave !== undefined && values.waves === true)
    problems.push({
      path: '--wave',
      message: 'names one wave, and --waves runs them all',
      fix: 'give either --wave NAME or --waves',
    });
  if (values.summary !== undefined) {
    const p = outputFileProblem('--summary', values.summary);
    if (p) problems.push(p);
  }
  return {
    ...(tolerance ? { tolerance } : {}),
    ...(concurrency !== undefined ? { concurrency } : {}),
    ...(values.wave !== undefined ? { wave: values.wave } : {}),
    waves: values.waves === true,
    ...(values.summary !== undefined ? { summary: values.summary } : {}),
  };
}

/** A wave as a run by hand works it: its selected targets, its tolerance and how many targets at once. */
export interface FleetWave {
  readonly name: string;
  readonly targets: readonly Target[];
  readonly tolerance: FailureTolerance;
  readonly concurrency: number;
}

/** The one wave of a run without `--wave`/`--waves`. */
export const ALL_TARGETS_WAVE = 'all';

/**
 * The waves a run works through. `full` is the config before `--account`/`--region` (the waves are resolved on every
 * configured target), `selected` after: a wave keeps only selected targets, a wave left empty is dropped.
 */
export function fleetWaves(
  full: Pick<MigrationConfig, 'regions' | 'pipeline' | 'configPath'>,
  selected: Pick<MigrationConfig, 'regions'>,
  flags: FleetFlags,
  defaultConcurrency: number,
): FleetWave[] {
  const chosen = new Set(selected.regions.map((r) => targetName(r)));
  const pick = (ts: readonly Target[]) =>
    ts.filter((t) => chosen.has(targetName(t))).map((t) => ({ account: t.account, region: t.region }));
  if (flags.wave === undefined && !flags.waves) {
    return [
      {
        name: ALL_TARGETS_WAVE,
        targets: pick(selected.regions),
        tolerance: flags.tolerance ?? NO_FAILURES,
        concurrency: flags.concurrency ?? defaultConcurrency,
      },
    ];
  }
  const waves = full.pipeline?.waves;
  if (waves === undefined) {
    throw new TaegisError('INPUT_INVALID', `${flags.waves ? '--waves' : '--wave'}: ${full.configPath} has no waves`, {
      fix: 'add "pipeline": { "waves": [...] } to the config (docs/fleets.md), or leave the flag out',
    });
  }
  const { waves: resolved } = resolveWaves(full.regions, waves);
  const out = resolved.map((w, i) => {
    const configured = waves[i]!;
    return {
      name: w.name,
      targets: pick(w.targets),
      tolerance: flags.tolerance ?? parseFailureTolerance(configured.failureTolerance) ?? NO_FAILURES,
      concurrency: flags.concurrency ?? configured.maxConcurrency ?? defaultConcurrency,
    };
  });
  if (flags.wave !== undefined) {
    const one = out.find((w) => w.name === flags.wave);
    if (one === undefined)
      throw new TaegisError('INPUT_INVALID', `--wave "${flags.wave}" is not a wave of ${full.configPath}`, {
        fix: `use one of ${out.map((w) => w.name).join(', ')}`,
      });
    return [one];
  }
  return out.filter((w) => w.targets.length > 0);
}

/** One target's result in a run by hand. */
export interface TargetOutcome {
  readonly account: string;
  readonly region: string;
  readonly failed: boolean;
  /** The first reason it failed. */
  readonly reason?: string;
}

/** How a wave went. */
export interface WaveOutcome {
  readonly name: string;
  readonly tolerance: string;
  /** How many targets may fail. */
  readonly allowed: number;
  readonly targets: number;
  readonly failed: number;
  /** `exceeded`: more failed than tolerated (the run fails, later waves do not start). */
  readonly result: 'pass' | 'exceeded' | 'not-started';
}

/**
 * Runs the waves in order: every target of a wave is attempted (`runWave` must not give up on the first failure);
 * a wave over its tolerance stops the ones after it, which are reported as not started.
 */
export async function runWaves<R>(
  waves: readonly FleetWave[],
  runWave: (wave: FleetWave) => Promise<{ readonly result: R; readonly targets: readonly TargetOutcome[] }>,
): Promise<{ readonly results: R[]; readonly waves: WaveOutcome[]; readonly exceeded: boolean }> {
  const results: R[] = [];
  const outcomes: WaveOutcome[] = [];
  let stopped = false;
  for (const w of waves) {
    const base = {
      name: w.name,
      tolerance: formatFailureTolerance(w.tolerance),
      allowed: allowedFailures(w.tolerance, w.targets.length),
      targets: w.targets.length,
    };
    if (stopped) {
      outcomes.push({ ...base, failed: 0, result: 'not-started' });
      continue;
    }
    const { result, targets } = await runWave(w);
    results.push(result);
    const failed = targets.filter((t) => t.failed).length;
    const exceeded = toleranceExceeded(w.tolerance, w.targets.length, failed);
    outcomes.push({ ...base, failed, result: exceeded ? 'exceeded' : 'pass' });
    stopped = exceeded;
  }
  return { results, waves: outcomes, exceeded: stopped };
}

/** A line per wave for the terminal: how many failed, against what it tolerates. */
export function formatWaves(waves: readonly WaveOutcome[]): string {
  return waves
    .map((w) =>
      w.result === 'not-started'
        ? `wave ${w.name}: not started (an earlier wave failed more targets than it tolerates)`
        : `wave ${w.name}: ${w.failed} of ${w.targets} target(s) failed, tolerance ${w.tolerance} (${w.allowed} allowed): ${w.result === 'pass' ? 'PASS' : 'FAIL'}`,
    )
    .join('\n');
}

// ---------------------------------------------------------------------------------------------------------------
// The fleet summary (Markdown): one format for deploy, plan and verify.

/** One stack (or a whole target, when nothing of it could be reached) in the fleet summary. */
export interface FleetRow {
  readonly wave: string;
  readonly account: string;
  readonly region: string;
  /** The stack, or `-` for a target with no stack reached. */
  readonly stack: string;
  /** Each step's result, in order (`stack: pass`, `deploy: fail`). */
  readonly steps: readonly {
    readonly name: string;
    readonly status: 'pass' | 'warn' | 'fail' | 'skip' | 'interrupted';
  }[];
  readonly result: 'pass' | 'fail' | 'not-started';
  /** The step that failed first and its reason. */
  readonly failedStep?: string;
  readonly reason?: string;
}

/** GitHub shows at most 1 MiB of a step's summary: the per-target table is left out past this. */
export const SUMMARY_MAX_BYTES = 1_000_000;

/** The rows of targets in waves that did not start, so every target appears in the summary. */
export function notStartedRows(
  waves: readonly FleetWave[],
  outcomes: readonly WaveOutcome[],
  stacksOf: (t: Target) => readonly string[],
): FleetRow[] {
  return waves
    .filter((w) => outcomes.find((o) => o.name === w.name)?.result === 'not-started')
    .flatMap((w) =>
      w.targets.flatMap((t) =>
        (stacksOf(t).length > 0 ? stacksOf(t) : ['-']).map((stack): FleetRow => ({
          wave: w.name,
          ...t,
          stack,
          steps: [],
          result: 'not-started',
        })),
      ),
    );
}

const cell = (s: string): string => s.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');

/**
 * The Markdown fleet summary: the verdict, counts per wave and per account, then every failed stack with the step
 * and first reason, then every stack with each step's result.
 */
export function formatFleetSummary(input: {
  readonly command: 'deploy' | 'plan' | 'verify';
  readonly rows: readonly FleetRow[];
  readonly waves: readonly WaveOutcome[];
  readonly exitCode: number;
}): string {
  const { rows, waves } = input;
  const targetKey = (r: FleetRow) => `${r.account}/${r.region}`;
  const targetsOf = (rs: readonly FleetRow[]) => {
    const by = new Map<string, FleetRow['result']>();
    for (const r of rs) {
      const prev = by.get(targetKey(r));
      by.set(targetKey(r), prev === 'fail' || r.result === 'fail' ? 'fail' : r.result);
    }
    return [...by.values()];
  };
  const count = (results: readonly FleetRow['result'][]) => ({
    total: results.length,
    pass: results.filter((x) => x === 'pass').length,
    fail: results.filter((x) => x === 'fail').length,
    notStarted: results.filter((x) => x === 'not-started').length,
  });
  const all = count(targetsOf(rows));
  const out: string[] = [];
  out.push(`# taegis-migrate ${input.command}: ${input.exitCode === 0 ? 'PASS' : 'FAIL'}`, '');
  out.push(
    `${all.total} target(s): ${all.pass} passed, ${all.fail} failed, ${all.notStarted} not started; ${rows.length} stack row(s).`,
    '',
  );
  out.push('## Waves', '', '| Wave | Targets | Passed | Failed | Not started | Tolerance | Result |');
  out.push('| --- | ---: | ---: | ---: | ---: | --- | --- |');
  for (const w of waves) {
    const c = count(targetsOf(rows.filter((r) => r.wave === w.name)));
    out.push(
      `| ${cell(w.name)} | ${w.targets} | ${c.pass} | ${c.fail} | ${c.notStarted} | ${w.tolerance} (${w.allowed} allowed) | ${w.result === 'pass' ? 'PASS' : w.result === 'exceeded' ? 'FAIL' : 'not started'} |`,
    );
  }
  out.push(
    '',
    '## Accounts',
    '',
    '| Account | Targets | Passed | Failed | Not started |',
    '| --- | ---: | ---: | ---: | ---: |',
  );
  const accounts = [...new Set(rows.map((r) => r.account))].sort();
  // Accounts with failures first, so the ones that need attention lead.
  const accountCounts = accounts.map((a) => ({ a, c: count(targetsOf(rows.filter((r) => r.account === a))) }));
  accountCounts.sort((x, y) => y.c.fail - x.c.fail || x.a.localeCompare(y.a));
  for (const { a, c } of accountCounts) out.push(`| ${a} | ${c.total} | ${c.pass} | ${c.fail} | ${c.notStarted} |`);
  const failures = rows.filter((r) => r.result === 'fail');
  out.push('', `## Failures (${failures.length})`, '');
  if (failures.length === 0) out.push('None.');
  else {
    out.push('| Wave | Account | Region | Stack | Step | Reason |', '| --- | --- | --- | --- | --- | --- |');
    for (const r of failures)
      out.push(
        `| ${cell(r.wave)} | ${r.account} | ${r.region} | ${cell(r.stack)} | ${cell(r.failedStep ?? '-')} | ${cell(r.reason ?? '-')} |`,
      );
  }
  const head = out.join('\n');
  const table: string[] = ['', `## All targets (${rows.length})`, ''];
  table.push('| Wave | Account | Region | Stack | Result | Steps |', '| --- | --- | --- | --- | --- | --- |');
  for (const r of rows)
    table.push(
      `| ${cell(r.wave)} | ${r.account} | ${r.region} | ${cell(r.stack)} | ${r.result} | ${cell(r.steps.map((s) => `${s.name}: ${s.status}`).join(', ') || '-')} |`,
    );
  const full = `${head}\n${table.join('\n')}\n`;
  if (Buffer.byteLength(full) <= SUMMARY_MAX_BYTES) return full;
  return `${head}\n\n(The table of every target is left out: it would pass GitHub's 1 MiB step summary; the JSON report has it.)\n`;
}

/** Writes the summary to `$GITHUB_STEP_SUMMARY` (appended, as GitHub expects) and to `--summary FILE`. */
export function writeFleetSummary(markdown: string, file: string | undefined, env: NodeJS.ProcessEnv): string[] {
  const written: string[] = [];
  const step = env.GITHUB_STEP_SUMMARY;
  if (step !== undefined && step !== '') {
    appendFileSync(step, markdown);
    written.push(step);
  }
  if (file !== undefined) written.push(writeOutputFile(file, markdown));
  return written;
}

/** A terminal table of the failed rows, for commands whose own output is long. */
export function formatFailedRows(rows: readonly FleetRow[]): string {
  const failed = rows.filter((r) => r.result === 'fail');
  if (failed.length === 0) return '';
  return formatTable(
    ['ACCOUNT', 'REGION', 'STACK', 'STEP', 'REASON'],
    failed.map((r) => [r.account, r.region, r.stack, r.failedStep ?? '-', r.reason ?? '-']),
  );
}
