import { TaegisError } from '../util/errors.js';
import type { CloudflareClient } from './client.js';
import { scopesOf, type LogpushConfigInput, type Scope, type ScopeKind } from '../config/logpush.js';
import { listJobs, matchingJobs, type LogpushJob } from './jobs.js';

const DATE = /^\d{4}-\d{2}-\d{2}$/;

/** How long Cloudflare keeps `logpushHealthAdaptiveGroups` (its Logpush health docs). */
export const HEALTH_RETENTION_DAYS = 30;

/** An inclusive range of UTC days. */
export interface DateRange {
  readonly since: string;
  readonly until: string;
}

/** Parses `--since` / `--until` (inclusive, UTC days); the default is the last 7 days including today. */
export function parseRange(since: string | undefined, until: string | undefined, now: Date = new Date()): DateRange {
  const today = now.toISOString().slice(0, 10);
  const u = until ?? today;
  const s = since ?? addDays(u, -6);
  for (const [flag, value] of [
    ['--since', s],
    ['--until', u],
  ] as const) {
    if (
      !DATE.test(value) ||
      Number.isNaN(Date.parse(`${value}T00:00:00Z`)) ||
      new Date(`${value}T00:00:00Z`).toISOString().slice(0, 10) !== value
    ) {
      throw new TaegisError('INPUT_INVALID', `${flag} "${value}" is not a date`, {
        fix: `use YYYY-MM-DD, e.g. ${flag} ${today}`,
      });
    }
  }
  if (s > u) throw new TaegisError('INPUT_INVALID', `--since ${s} is after --until ${u}`, { fix: 'swap them' });
  if (s > today)
    throw new TaegisError('INPUT_INVALID', `--since ${s} is in the future`, { fix: `use a date up to ${today}` });
  const earliest = addDays(today, -HEALTH_RETENTION_DAYS);
  if (s < earliest) {
    // Older days are gone: an empty answer would read as "pushed nothing" and fail a healthy job.
    throw new TaegisError(
      'INPUT_INVALID',
      `--since ${s} is older than Cloudflare keeps Logpush health data (${HEALTH_RETENTION_DAYS} days)`,
      { fix: `use --since ${earliest} or later` },
    );
  }
  return { since: s, until: u };
}

export function addDays(date: string, days: number): string {
  const d = new Date(`${date}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
}

export function daysOf(range: DateRange): string[] {
  const out: string[] = [];
  for (let d = range.since; d <= range.until; d = addDays(d, 1)) out.push(d);
  return out;
}

/**
 * The vendor's health query: successful (`status_lt: 300`), final upload attempts of one job, grouped by day.
 * Values are inlined: each is validated (hex id, integer job id, YYYY-MM-DD dates) before it gets here.
 */
export function healthQuery(kind: ScopeKind, tag: string, jobId: number, range: DateRange): string {
  if (!/^[0-9a-f]{32}$/.test(tag) || !Number.isSafeInteger(jobId)) throw new Error('invalid health query input');
  const [list, tagField] = kind === 'account' ? ['accounts', 'accountTag'] : ['zones', 'zoneTag'];
  return [
    'query LogpushHealth {',
    '  viewer {',
    `    ${list}(filter: { ${tagField}: "${tag}" }) {`,
    `      logpushHealthAdaptiveGroups(limit: 10000, filter: { date_geq: "${range.since}", date_lt: "${addDays(range.until, 1)}", jobId: ${jobId}, status_lt: 300, final: 1 }) {`,
    '        sum { bytes bytesCompressed records }',
    '        count',
    '        dimensions { date }',
    '      }',
    '    }',
    '  }',
    '}',
  ].join('\n');
}

export interface DayHealth {
  readonly date: string;
  readonly records: number;
  readonly bytes: number;
  readonly bytesCompressed: number;
  readonly uploads: number;
}

/** Health of one configured dataset's job (or of its absence). */
export interface JobHealth {
  readonly scope: Scope;
  readonly dataset: string;
  readonly job?: Pick<LogpushJob, 'id' | 'name' | 'enabled'>;
  readonly days: readonly DayHealth[];
  readonly total: Omit<DayHealth, 'date'>;
  /** Why it fails; absent when the job pushed records in the range. */
  readonly problem?: string;
}

interface Group {
  readonly sum?: { readonly bytes?: number; readonly bytesCompressed?: number; readonly records?: number } | null;
  readonly count?: number;
  readonly dimensions?: { readonly date?: string } | null;
}
type HealthData = { viewer?: Record<string, { logpushHealthAdaptiveGroups?: Group[] }[] | undefined> };

async function queryJob(client: CloudflareClient, scope: Scope, jobId: number, range: DateRange): Promise<DayHealth[]> {
  const data = await client.graphql<HealthData>(healthQuery(scope.kind, scope.id, jobId, range));
  const list = data.viewer?.[scope.kind === 'account' ? 'accounts' : 'zones'];
  if (!list || list.length === 0) {
    throw new TaegisError('CLOUDFLARE_ERROR', `GraphQL returned no ${scope.kind} ${scope.id}`, {
      fix: `check the ${scope.kind} id and that the token has ${scope.kind === 'account' ? 'Account Analytics' : 'Analytics'}: Read on it`,
    });
  }
  const byDate = new Map<string, DayHealth>();
  for (const g of list[0]?.logpushHealthAdaptiveGroups ?? []) {
    const date = g.dimensions?.date;
    if (!date) continue;
    const prev = byDate.get(date) ?? { date, records: 0, bytes: 0, bytesCompressed: 0, uploads: 0 };
    byDate.set(date, {
      date,
      records: prev.records + (g.sum?.records ?? 0),
      bytes: prev.bytes + (g.sum?.bytes ?? 0),
      bytesCompressed: prev.bytesCompressed + (g.sum?.bytesCompressed ?? 0),
      uploads: prev.uploads + (g.count ?? 0),
    });
  }
  return daysOf(range).map(
    (date) => byDate.get(date) ?? { date, records: 0, bytes: 0, bytesCompressed: 0, uploads: 0 },
  );
}

function totalOf(days: readonly DayHealth[]): Omit<DayHealth, 'date'> {
  return days.reduce(
    (t, d) => ({
      records: t.records + d.records,
      bytes: t.bytes + d.bytes,
      bytesCompressed: t.bytesCompressed + d.bytesCompressed,
      uploads: t.uploads + d.uploads,
    }),
    { records: 0, bytes: 0, bytesCompressed: 0, uploads: 0 },
  );
}

/** Per-day health of the job of every enabled configured dataset (optionally only the named datasets). */
export async function collectHealth(
  client: CloudflareClient,
  config: LogpushConfigInput,
  range: DateRange,
  onlyDatasets: readonly string[] = [],
): Promise<JobHealth[]> {
  const out: JobHealth[] = [];
  const empty = daysOf(range).map((date) => ({ date, records: 0, bytes: 0, bytesCompressed: 0, uploads: 0 }));
  for (const scope of scopesOf(config)) {
    // A dataset the config disables is expected to push nothing: not checked.
    const datasets = scope.datasets.filter(
      (d) => d.enabled && (onlyDatasets.length === 0 || onlyDatasets.includes(d.dataset)),
    );
    if (datasets.length === 0) continue;
    const jobs = await listJobs(
      client,
      scope.kind,
      scope.id,
      datasets.map((d) => d.dataset),
    );
    for (const d of datasets) {
      const [job] = matchingJobs(jobs, d.dataset, d.ingestUrl);
      if (job === undefined) {
        out.push({
          scope,
          dataset: d.dataset,
          days: empty,
          total: totalOf(empty),
          problem: 'no Logpush job for this dataset and ingest URL (run setup)',
        });
        continue;
      }
      const days = await queryJob(client, scope, job.id, range);
      const total = totalOf(days);
      out.push({
        scope,
        dataset: d.dataset,
        job: { id: job.id, name: job.name ?? null, enabled: job.enabled ?? false },
        days,
        total,
        ...(total.records === 0 ? { problem: `pushed nothing between ${range.since} and ${range.until}` } : {}),
      });
    }
  }
  return out;
}
