import type { DateRange, JobHealth } from './health.js';
import {
  scopeLabel,
  type LogpushJob,
  type SetupStep,
  type StatusRow,
  type StrayReason,
  type UnconfiguredJob,
} from './jobs.js';

function table(
  header: readonly string[],
  rows: readonly (readonly string[])[],
  rightAlign: ReadonlySet<number> = new Set(),
): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => (rightAlign.has(i) ? c.padStart(widths[i] ?? 0) : c.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)];
}

export function setupLines(
  steps: readonly SetupStep[],
  dryRun: boolean,
  unconfigured: readonly UnconfiguredJob[] = [],
): string[] {
  const lines: string[] = [];
  const verb = (a: SetupStep['action']) =>
    (dryRun
      ? { create: 'would create', update: 'would update', unchanged: 'unchanged' }
      : { create: 'create', update: 'update', unchanged: 'unchanged' })[a];
  for (const s of steps) {
    const job = s.jobId === undefined ? '' : ` job ${s.jobId}`;
    const changes = s.action === 'update' ? ` (${s.changes.join(', ')})` : '';
    lines.push(`${verb(s.action)}${job}: ${scopeLabel(s.scope)} ${s.dataset} -> ${s.body.name}${changes}`);
    if (s.action === 'create' && dryRun) {
      lines.push(`    destination_conf ${s.body.destination_conf}`);
      const o = s.body.output_options;
      lines.push(
        `    output_options   ${o.output_type}, ${o.field_names.length} fields (all of the dataset), timestamps ${o.timestamp_format}`,
      );
      lines.push(
        `    max_upload_bytes ${s.body.max_upload_bytes}, max_upload_records ${s.body.max_upload_records}, enabled ${s.body.enabled}`,
      );
    }
    lines.push(...stepNotes(s));
  }
  lines.push(...unconfiguredNotes(unconfigured));
  lines.push(setupSummary(steps, dryRun ? 'dry-run' : 'plan'));
  return lines;
}

/** Jobs setup found but leaves alone, for the user to review. */
export function stepNotes(s: SetupStep): string[] {
  const notes: string[] = [];
  if (s.duplicates.length > 0) {
    notes.push(
      `    note: job(s) ${s.duplicates.join(', ')} push the same dataset to the same destination; left alone, delete them if unwanted`,
    );
  }
  if (s.strays.length > 0) {
    notes.push(
      `    note: job(s) ${s.strays.join(', ')} are named ${s.body.name} but push elsewhere (an old ingest URL?); left alone`,
    );
  }
  return notes;
}

/** The same note `status` prints for a job with our name whose dataset the config does not list. */
export function unconfiguredNotes(unconfigured: readonly UnconfiguredJob[]): string[] {
  return unconfigured.map(({ scope, job }) => strayNote(job, 'dataset-not-configured', scope, job.dataset ?? ''));
}

function strayNote(job: LogpushJob, reason: StrayReason, scope: StatusRow['scope'], dataset: string): string {
  return `note: job ${job.id} (${dash(job.name)}) ${STRAY_TEXT[reason]({ scope, dataset })}; left alone`;
}

export function setupSummary(steps: readonly SetupStep[], mode: 'dry-run' | 'plan' | 'applied'): string {
  const count = (a: SetupStep['action']) => steps.filter((s) => s.action === a).length;
  if (mode === 'applied')
    return `done: ${count('create')} created, ${count('update')} updated, ${count('unchanged')} unchanged`;
  const text = `${count('create')} to create, ${count('update')} to update, ${count('unchanged')} unchanged`;
  return mode === 'dry-run' ? `dry run: ${text}; nothing was changed` : text;
}

export function appliedLine(step: SetupStep, job: LogpushJob | undefined): string {
  const id = job?.id ?? step.jobId;
  const done = { create: 'created', update: 'updated', unchanged: 'unchanged' }[step.action];
  return `${done} job ${id ?? '?'}: ${scopeLabel(step.scope)} ${step.dataset} -> ${step.body.name}`;
}

const dash = (v: string | null | undefined): string => (v === null || v === undefined || v === '' ? '-' : v);

export function statusLines(rows: readonly StatusRow[]): string[] {
  if (rows.length === 0) return ['no Logpush job in the configured accounts and zones'];
  const body = rows.map((r) => [
    scopeLabel(r.scope),
    r.job ? String(r.job.id) : '-',
    r.dataset,
    r.job ? dash(r.job.name) : '(no job)',
    r.managed ? 'yes' : r.stray ? 'stray' : 'no',
    r.state,
    dash(r.job?.last_complete),
    dash(r.job?.last_error),
    dash(r.job?.error_message),
  ]);
  const lines = table(
    ['SCOPE', 'JOB', 'DATASET', 'NAME', 'MANAGED', 'STATE', 'LAST_COMPLETE', 'LAST_ERROR', 'ERROR_MESSAGE'],
    body,
  );
  for (const r of rows) {
    if (r.stray && r.job) lines.push(strayNote(r.job, r.stray, r.scope, r.dataset));
  }
  return lines;
}

const STRAY_TEXT: Record<StrayReason, (r: Pick<StatusRow, 'scope' | 'dataset'>) => string> = {
  'dataset-not-configured': (r) =>
    `is a stray: it has our name, but dataset ${r.dataset} is not configured for ${scopeLabel(r.scope)} (delete the job, or add the dataset to the config)`,
  'other-destination': () =>
    'is a stray: it has our name, but pushes elsewhere than the configured ingest URL (an old ingest URL?)',
  duplicate: (r) => `duplicates the managed job for ${r.dataset} (same dataset and destination); delete one of them`,
};

export function statusJson(rows: readonly StatusRow[]): unknown {
  return rows.map((r) => ({
    scope: r.scope.kind,
    scopeId: r.scope.id,
    dataset: r.dataset,
    managed: r.managed,
    stray: r.stray ?? null,
    state: r.state,
    job: r.job
      ? {
          id: r.job.id,
          name: r.job.name ?? null,
          enabled: r.job.enabled ?? null,
          destination_conf: r.job.destination_conf,
          last_complete: r.job.last_complete ?? null,
          last_error: r.job.last_error ?? null,
          error_message: r.job.error_message ?? null,
        }
      : null,
  }));
}

export function healthLines(results: readonly JobHealth[], range: DateRange): string[] {
  const lines: string[] = [`Logpush health ${range.since} .. ${range.until} (UTC days, inclusive)`];
  for (const r of results) {
    lines.push('');
    lines.push(`${scopeLabel(r.scope)} ${r.dataset}${r.job ? ` job ${r.job.id} (${dash(r.job.name)})` : ''}`);
    if (r.job) {
      const rows = [...r.days, { date: 'total', ...r.total }].map((d) => [
        d.date,
        String(d.records),
        String(d.bytes),
        String(d.bytesCompressed),
        String(d.uploads),
      ]);
      lines.push(
        ...table(['DATE', 'RECORDS', 'BYTES', 'COMPRESSED', 'UPLOADS'], rows, new Set([1, 2, 3, 4])).map(
          (l) => `  ${l}`,
        ),
      );
    }
    lines.push(r.problem ? `  FAIL: ${r.problem}` : '  OK');
  }
  const failed = results.filter((r) => r.problem).length;
  lines.push('');
  lines.push(
    failed === 0 ? `all ${results.length} job(s) pushed records` : `${failed} of ${results.length} job(s) failed`,
  );
  return lines;
}

export function healthJson(results: readonly JobHealth[], range: DateRange): unknown {
  return {
    since: range.since,
    until: range.until,
    ok: results.every((r) => !r.problem),
    jobs: results.map((r) => ({
      scope: r.scope.kind,
      scopeId: r.scope.id,
      dataset: r.dataset,
      jobId: r.job?.id ?? null,
      name: r.job?.name ?? null,
      ok: !r.problem,
      problem: r.problem ?? null,
      total: r.total,
      days: r.days,
    })),
  };
}
