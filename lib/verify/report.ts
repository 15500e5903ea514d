import { formatTable as renderTable } from '../cli/table.js';
import type { BucketNotifications } from './notifications.js';
import type { WaveOutcome } from '../cli/fleet.js';

/** The checks run for every stack, in order; a failed check makes the later ones `skip`. */
export type CheckName =
  'stack' | 'runtime' | 'health' | 'package' | 'trigger' | 'sns' | 'logs' | 'taegis' | 'alarms' | 'failed-events';
export const CHECK_NAMES: readonly CheckName[] = ['stack', 'runtime', 'health', 'trigger', 'logs'];

/** The checks of one stack in order: a stack whose bucket notifies an SNS topic has `sns` after `trigger`. */
export function checkNamesOf(viaSns: boolean): readonly CheckName[] {
  return viaSns ? CHECK_NAMES.flatMap((c): CheckName[] => (c === 'trigger' ? [c, 'sns'] : [c])) : CHECK_NAMES;
}
/**
 * Checks that run only when they can or are asked: `package` when the vendor zip's SHA-256 is known, `taegis` with
 * `--taegis`, `alarms` with a `monitoring` section, `failed-events` with `failedEvents`. They follow CHECK_NAMES in
 * reports.
 */
export const OPTIONAL_CHECK_NAMES: readonly CheckName[] = ['package', 'taegis', 'alarms', 'failed-events'];

/**
 * `warn` passes (exit 0) but says something needs attention; `skip` means an earlier check failed or was refused;
 * `interrupted` means Ctrl-C stopped the run before the check finished (only in a partial report).
 */
export type CheckStatus = 'pass' | 'warn' | 'fail' | 'skip' | 'interrupted';

export interface CheckResult {
  readonly name: CheckName;
  readonly status: CheckStatus;
  readonly detail: string;
  readonly warnings: readonly string[];
  readonly startedAt: string;
  readonly durationMs: number;
  /** `verify --check`: the command that puts a failed check right (lib/verify/drift.ts). */
  readonly fix?: string;
}

export interface StackResult {
  readonly region: string;
  readonly stackName: string;
  readonly functionName?: string;
  readonly functionArn?: string;
  readonly bucket?: string;
  readonly checks: readonly CheckResult[];
}

export type BucketOutcome = 'unchanged' | 'changed' | 'would-change' | 'refused' | 'aborted' | 'failed' | 'skipped';

/** What happened to one log bucket's notification configuration, with before and after. */
export interface BucketChange {
  readonly region: string;
  readonly bucket: string;
  readonly stacks: readonly string[];
  readonly outcome: BucketOutcome;
  readonly detail: string;
  readonly kept: readonly string[];
  readonly removed: readonly string[];
  readonly added: readonly string[];
  readonly permissionsAdded: readonly string[];
  readonly warnings: readonly string[];
  readonly backupFile?: string;
  readonly before?: BucketNotifications;
  readonly after?: BucketNotifications;
}

export interface RegionReport {
  /** The account, when the run spans several (reports group by account, then region). */
  readonly account?: string;
  readonly region: string;
  readonly stacks: readonly StackResult[];
  readonly buckets: readonly BucketChange[];
}

export interface VerifyReport {
  readonly tool: 'taegis-migrate verify';
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly durationMs: number;
  readonly dryRun: boolean;
  /** A `verify --check` run (read-only drift check). */
  readonly check?: boolean;
  /** `verify --check`: each drift (a failed check) with the command that fixes it. */
  readonly drifts?: readonly Drift[];
  readonly expectRuntime: string;
  readonly regions: readonly RegionReport[];
  readonly summary: {
    readonly pass: number;
    readonly warn: number;
    readonly fail: number;
    readonly skip: number;
    /** Present only in a partial report (Ctrl-C). */
    readonly interrupted?: number;
  };
  readonly exitCode: 0 | 1;
  /**
   * Each wave's failed targets against its tolerance, when the run had waves or a failure tolerance.
   * @default - absent: one run, no failure tolerated
   */
  readonly waves?: readonly WaveOutcome[];
  /** Set when Ctrl-C stopped the run: this report is partial, the checks not finished are `interrupted`. */
  readonly interrupted?: string;
}

/** One drift `verify --check` found: where, what, and the command that fixes it. */
export interface Drift {
  readonly account?: string;
  readonly region: string;
  readonly stackName: string;
  readonly check: CheckName;
  readonly detail: string;
  readonly fix: string;
}

export function summarize(regions: readonly RegionReport[]): VerifyReport['summary'] {
  const s = { pass: 0, warn: 0, fail: 0, skip: 0, interrupted: 0 };
  for (const r of regions) for (const st of r.stacks) for (const c of st.checks) s[c.status] += 1;
  const { interrupted, ...rest } = s;
  return interrupted > 0 ? { ...rest, interrupted } : rest;
}

/** Exit 1 when any check failed (or did not finish: a partial report never passes). */
export function exitCodeOf(regions: readonly RegionReport[]): 0 | 1 {
  const s = summarize(regions);
  return s.fail > 0 || (s.interrupted ?? 0) > 0 ? 1 : 0;
}

/** The readable table, one block per region, then per bucket what was (or would be) kept, removed and added. */
export function formatTable(report: VerifyReport): string {
  const out: string[] = [];
  for (const r of report.regions) {
    out.push(r.account !== undefined ? `== ${r.account} ${r.region} ==` : `== ${r.region} ==`);
    const rows: string[][] = [];
    for (const s of r.stacks) {
      for (const c of s.checks) {
        rows.push([s.stackName, c.name, c.status.toUpperCase(), c.detail]);
        for (const w of c.warnings) rows.push(['', '', '', `warning: ${w}`]);
        if (c.fix !== undefined) rows.push(['', '', '', `fix: ${c.fix}`]);
      }
    }
    out.push(renderTable(['STACK', 'CHECK', 'RESULT', 'DETAIL'], rows));
    for (const b of r.buckets) {
      out.push('');
      out.push(`bucket ${b.bucket} (${b.stacks.join(', ')}): ${b.outcome} - ${b.detail}`);
      for (const k of b.kept) out.push(`  keep    ${k}`);
      for (const k of b.removed) out.push(`  remove  ${k}`);
      for (const k of b.added) out.push(`  add     ${k}`);
      for (const p of b.permissionsAdded) out.push(`  permit  ${p}`);
      for (const w of b.warnings) out.push(`  warning ${w}`);
      if (b.backupFile) out.push(`  backup  ${b.backupFile}`);
    }
    out.push('');
  }
  if (report.drifts !== undefined && report.drifts.length > 0) {
    out.push(`DRIFT (${report.drifts.length}):`);
    for (const d of report.drifts) {
      const where = `${d.account !== undefined ? `${d.account}/` : ''}${d.region} ${d.stackName}`;
      out.push(`  ${where} ${d.check}: ${d.detail}`, `    fix: ${d.fix}`);
    }
    out.push('');
  }
  const s = report.summary;
  out.push(
    `${report.interrupted !== undefined ? 'INTERRUPTED' : report.exitCode === 0 ? 'PASS' : 'FAIL'}: ${s.pass} passed, ${s.warn} warning${s.warn === 1 ? '' : 's'}, ${s.fail} failed, ${s.skip} skipped` +
      `${s.interrupted !== undefined ? `, ${s.interrupted} interrupted` : ''}` +
      `${report.check === true ? ' (check: read-only, nothing was written)' : report.dryRun ? ' (dry run: nothing was written)' : ''} in ${(report.durationMs / 1000).toFixed(1)} s`,
  );
  return out.join('\n');
}

/** JUnit XML: a suite per region, a case per stack and check; failures carry the reason, skips are `<skipped/>`. */
export function formatJUnit(report: VerifyReport): string {
  const lines = ['<?xml version="1.0" encoding="UTF-8"?>'];
  const s = report.summary;
  lines.push(
    `<testsuites name="taegis-migrate verify" tests="${s.pass + s.warn + s.fail + s.skip + (s.interrupted ?? 0)}" failures="${s.fail}"${s.interrupted !== undefined ? ` errors="${s.interrupted}"` : ''} skipped="${s.skip}" time="${secs(report.durationMs)}">`,
  );
  for (const r of report.regions) {
    const suite = r.account !== undefined ? `${r.account}.${r.region}` : r.region;
    const checks = r.stacks.flatMap((st) => st.checks);
    const failures = checks.filter((c) => c.status === 'fail').length;
    const skipped = checks.filter((c) => c.status === 'skip').length;
    const errors = checks.filter((c) => c.status === 'interrupted').length;
    const time = checks.reduce((a, c) => a + c.durationMs, 0);
    lines.push(
      `  <testsuite name="${xml(suite)}" tests="${checks.length}" failures="${failures}" errors="${errors}" skipped="${skipped}" time="${secs(time)}" timestamp="${xml(report.startedAt)}">`,
    );
    for (const st of r.stacks) {
      for (const c of st.checks) {
        const open = `    <testcase classname="${xml(`${suite}.${st.stackName}`)}" name="${xml(c.name)}" time="${secs(c.durationMs)}"`;
        const body: string[] = [];
        const why = c.fix !== undefined ? `${c.detail}; fix: ${c.fix}` : c.detail;
        if (c.status === 'fail')
          body.push(`      <failure message="${xml(why)}" type="${c.name}">${xml(why)}</failure>`);
        if (c.status === 'skip') body.push(`      <skipped message="${xml(c.detail)}"/>`);
        if (c.status === 'interrupted') body.push(`      <error message="${xml(c.detail)}" type="interrupted"/>`);
        const out = [c.detail, ...c.warnings.map((w) => `warning: ${w}`)].join('\n');
        body.push(`      <system-out>${xml(out)}</system-out>`);
        lines.push(`${open}>`, ...body, '    </testcase>');
      }
    }
    lines.push('  </testsuite>');
  }
  lines.push('</testsuites>');
  return `${lines.join('\n')}\n`;
}

function secs(ms: number): string {
  return (ms / 1000).toFixed(3);
}

export function xml(s: string): string {
  return (
    s
      .replace(/&/g, '&amp;')
      .replace(/</g, '&lt;')
      .replace(/>/g, '&gt;')
      .replace(/"/g, '&quot;')
      .replace(/'/g, '&apos;')
      // XML 1.0 forbids most control characters even escaped.
      // eslint-disable-next-line no-control-regex
      .replace(/[^\x09\x0A\x0D\x20-\uD7FF\uE000-\uFFFD]/g, '')
  );
}
