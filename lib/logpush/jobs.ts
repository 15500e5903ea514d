import { TaegisError } from '../util/errors.js';
import type { CloudflareClient } from './client.js';
import {
  scopesOf,
  type LogpushConfigInput,
  type LogpushDatasetConfig,
  type Scope,
  type ScopeKind,
  type TimestampFormat,
} from '../config/logpush.js';
import { datasetKey } from './secrets.js';

/** A Logpush job as the API returns it (fields we use). */
export interface LogpushJob {
  readonly id: number;
  readonly name?: string | null;
  readonly dataset?: string | null;
  readonly destination_conf: string;
  readonly enabled?: boolean;
  /** Deprecated by Cloudflare; ignored when `output_options` is set. */
  readonly logpull_options?: string | null;
  readonly output_options?: OutputOptions | null;
  readonly max_upload_bytes?: number | null;
  readonly max_upload_records?: number | null;
  readonly last_complete?: string | null;
  readonly last_error?: string | null;
  readonly error_message?: string | null;
}

/** `output_options` of a job (the fields we set or compare; Cloudflare has more, all defaulted by `output_type`). */
export interface OutputOptions {
  readonly field_names?: readonly string[] | null;
  readonly timestamp_format?: TimestampFormat | null;
  readonly output_type?: 'ndjson' | 'csv' | null;
}

/** The body of a create (POST) call; an update (PUT) sends the same minus `dataset`, which cannot change. */
export interface JobBody {
  readonly name: string;
  readonly dataset: string;
  readonly destination_conf: string;
  /** Sent instead of the deprecated `logpull_options`, which Cloudflare ignores once this is set. */
  readonly output_options: {
    readonly field_names: readonly string[];
    readonly timestamp_format: TimestampFormat;
    readonly output_type: 'ndjson';
  };
  readonly max_upload_bytes: number;
  readonly max_upload_records: number;
  readonly enabled: boolean;
}

export const scopePath = (kind: ScopeKind, id: string): string => `/${kind === 'account' ? 'accounts' : 'zones'}/${id}`;

export const scopeLabel = (scope: { kind: ScopeKind; id: string; name?: string }): string =>
  `${scope.kind} ${scope.name ? `${scope.name} (${scope.id})` : scope.id}`;

/** The job name the vendor recipe uses: `secureworks-http-<dataset with _ as ->`. */
export const jobName = (dataset: string): string => `secureworks-http-${dataset.replaceAll('_', '-')}`;

/**
 * The destination the vendor recipe uses: the ingest URL with the integration key as a Bearer Authorization
 * header (Logpush's `header_*` convention) and a `dataset:` tag.
 */
export function destinationConf(ingestUrl: string, key: string, dataset: string): string {
  const sep = ingestUrl.includes('?') ? '&' : '?';
  return `${ingestUrl}${sep}header_Authorization=Bearer%20${encodeURIComponent(key)}&tags=dataset:${dataset}`;
}

/**
 * What identifies a destination regardless of the key: scheme, host, path and parameters other than
 * `header_*` and `tags`. Two jobs for the same dataset and identity are "the same job" (a rotated key updates it).
 */
export function destinationIdentity(conf: string): string {
  let url: URL;
  try {
    url = new URL(conf);
  } catch {
    return conf;
  }
  const kept = [...url.searchParams.entries()]
    .filter(([k]) => !/^header_/i.test(k) && k !== 'tags')
    .sort(([a], [b]) => a.localeCompare(b));
  const query = kept.length === 0 ? '' : `?${new URLSearchParams(kept).toString()}`;
  return `${url.protocol}//${url.host.toLowerCase()}${url.pathname.replace(/\/+$/, '')}${query}`;
}

/**
 * A `destination_conf` as Cloudflare means it: Cloudflare URL-encodes unencoded special characters when it stores
 * one, so two spellings that decode alike are the same destination (comparing raw strings would update every run).
 */
export function decodedDestination(conf: string): string {
  let out = conf;
  // Decoding until stable also covers a value encoded twice; a malformed escape is compared as written.
  for (let i = 0; i < 3; i++) {
    let next: string;
    try {
      next = decodeURIComponent(out);
    } catch {
      return out;
    }
    if (next === out) return out;
    out = next;
  }
  return out;
}

/** What Cloudflare uses of a job's output settings: its `output_options` when present, else its `logpull_options`. */
export interface EffectiveOutput {
  readonly source: 'output_options' | 'logpull_options' | 'none';
  readonly fields: readonly string[];
  /** Cloudflare's default, when none is given, is `unixnano`. */
  readonly timestampFormat: string;
  readonly outputType: string;
}

export function effectiveOutput(job: Pick<LogpushJob, 'output_options' | 'logpull_options'>): EffectiveOutput {
  const o = job.output_options;
  if (o !== undefined && o !== null) {
    return {
      source: 'output_options',
      fields: [...(o.field_names ?? [])],
      timestampFormat: o.timestamp_format ?? 'unixnano',
      outputType: o.output_type ?? 'ndjson',
    };
  }
  if (job.logpull_options) {
    const params = new URLSearchParams(job.logpull_options.replace(/^.*\?/, ''));
    const fields = (params.get('fields') ?? '').split(',').filter((f) => f !== '');
    return {
      source: 'logpull_options',
      fields,
      timestampFormat: params.get('timestamps') ?? 'unixnano',
      outputType: 'ndjson',
    };
  }
  return { source: 'none', fields: [], timestampFormat: 'unixnano', outputType: 'ndjson' };
}

const sameSet = (a: readonly string[], b: readonly string[]): boolean => {
  const sa = new Set(a);
  return sa.size === new Set(b).size && b.every((x) => sa.has(x));
};

export const listJobs = (
  client: CloudflareClient,
  kind: ScopeKind,
  id: string,
  datasets: readonly string[] = [],
): Promise<LogpushJob[]> => client.list<LogpushJob>(`${scopePath(kind, id)}/logpush/jobs`, { datasets });

/** All field names of a dataset (the keys of the fields object), in Cloudflare's order. */
export async function listFields(
  client: CloudflareClient,
  kind: ScopeKind,
  id: string,
  dataset: string,
): Promise<string[]> {
  const result = await client.get<Record<string, string> | null>(
    `${scopePath(kind, id)}/logpush/datasets/${encodeURIComponent(dataset)}/fields`,
    { datasets: [dataset] },
  );
  const fields = Object.keys(result ?? {});
  if (fields.length === 0) {
    throw new TaegisError('CLOUDFLARE_ERROR', `Cloudflare lists no field for dataset ${dataset} in ${kind} ${id}`, {
      fix: `check that ${dataset} is a ${kind}-level dataset available on this plan`,
    });
  }
  return fields;
}

/** Finds the jobs that push `dataset` to the same destination as `ingestUrl`; the lowest id first. */
export function matchingJobs(jobs: readonly LogpushJob[], dataset: string, ingestUrl: string): LogpushJob[] {
  const identity = destinationIdentity(ingestUrl);
  return jobs
    .filter((j) => j.dataset === dataset && destinationIdentity(j.destination_conf) === identity)
    .sort((a, b) => a.id - b.id);
}

export type SetupAction = 'create' | 'update' | 'unchanged';

/** What `setup` does (or would do, with --dry-run) for one configured dataset. */
export interface SetupStep {
  readonly scope: Scope;
  readonly dataset: string;
  readonly action: SetupAction;
  /** The job updated or left unchanged. */
  readonly jobId?: number;
  /** The fields of the job that differ from the wanted state (update only). */
  readonly changes: readonly string[];
  readonly body: JobBody;
  /** Other jobs for the same dataset and destination: left alone, reported so the user can delete them. */
  readonly duplicates: readonly number[];
  /** Jobs named like ours for this dataset but pushing elsewhere (an old ingest URL): left alone, reported. */
  readonly strays: readonly number[];
}

function wantedBody(
  config: LogpushConfigInput,
  d: LogpushDatasetConfig,
  key: string,
  fields: readonly string[],
): JobBody {
  return {
    name: jobName(d.dataset),
    dataset: d.dataset,
    destination_conf: destinationConf(d.ingestUrl, key, d.dataset),
    output_options: { field_names: fields, timestamp_format: config.timestampFormat, output_type: 'ndjson' },
    max_upload_bytes: config.maxUploadBytes,
    max_upload_records: config.maxUploadRecords,
    enabled: d.enabled,
  };
}

function differences(job: LogpushJob, body: JobBody): string[] {
  const changes: string[] = [];
  if ((job.name ?? '') !== body.name) changes.push('name');
  if (decodedDestination(job.destination_conf) !== decodedDestination(body.destination_conf))
    changes.push('destination_conf');
  const used = effectiveOutput(job);
  const wanted = body.output_options;
  // A job still on logpull_options moves to output_options even when its fields match: the old field is deprecated.
  if (
    used.source !== 'output_options' ||
    !sameSet(used.fields, wanted.field_names) ||
    used.timestampFormat !== wanted.timestamp_format ||
    used.outputType !== wanted.output_type
  )
    changes.push('output_options');
  if ((job.max_upload_bytes ?? 0) !== body.max_upload_bytes) changes.push('max_upload_bytes');
  if ((job.max_upload_records ?? 0) !== body.max_upload_records) changes.push('max_upload_records');
  if ((job.enabled ?? false) !== body.enabled) changes.push('enabled');
  return changes;
}

/** A job with our name for a dataset the config does not list for its scope: setup leaves it alone, and says so. */
export interface UnconfiguredJob {
  readonly scope: Scope;
  readonly job: LogpushJob;
}

/** What `setup` will do, and the jobs it found with our name that no configured dataset accounts for. */
export interface SetupPlan {
  readonly steps: SetupStep[];
  /** The strays `status` reports as `dataset-not-configured` (the others are in each step's duplicates/strays). */
  readonly unconfigured: readonly UnconfiguredJob[];
}

/**
 * Reads the fields of every dataset and the existing jobs, and works out what to create or update. Read-only:
 * every dataset is checked against Cloudflare before `applySetup` changes anything.
 */
export async function planSetup(
  client: CloudflareClient,
  config: LogpushConfigInput,
  keys: ReadonlyMap<string, string>,
): Promise<SetupPlan> {
  const steps: SetupStep[] = [];
  const unconfigured: UnconfiguredJob[] = [];
  for (const scope of scopesOf(config)) {
    const jobs = await listJobs(
      client,
      scope.kind,
      scope.id,
      scope.datasets.map((d) => d.dataset),
    );
    for (const job of [...jobs].sort((a, b) => a.id - b.id))
      if (strayReason(job, scope) === 'dataset-not-configured') unconfigured.push({ scope, job });
    for (const d of scope.datasets) {
      const key = keys.get(datasetKey(scope.kind, scope.id, d.dataset));
      if (key === undefined) throw new Error(`integration key for ${d.dataset} was not resolved`);
      const fields = await listFields(client, scope.kind, scope.id, d.dataset);
      const body = wantedBody(config, d, key, fields);
      const [existing, ...duplicates] = matchingJobs(jobs, d.dataset, d.ingestUrl);
      const identity = destinationIdentity(d.ingestUrl);
      const strays = jobs
        .filter(
          (j) =>
            j.dataset === d.dataset && j.name === body.name && destinationIdentity(j.destination_conf) !== identity,
        )
        .map((j) => j.id);
      const common = { scope, dataset: d.dataset, body, duplicates: duplicates.map((j) => j.id), strays };
      if (existing === undefined) {
        steps.push({ ...common, action: 'create', changes: [] });
      } else {
        const changes = differences(existing, body);
        steps.push({ ...common, action: changes.length === 0 ? 'unchanged' : 'update', jobId: existing.id, changes });
      }
    }
  }
  return { steps, unconfigured };
}

/** Carries out a plan; `onDone` reports each step as it completes, so a failure midway leaves a clear trail. */
export async function applySetup(
  client: CloudflareClient,
  steps: readonly SetupStep[],
  onDone: (step: SetupStep, job: LogpushJob | undefined) => void,
): Promise<void> {
  for (const step of steps) {
    const base = scopePath(step.scope.kind, step.scope.id);
    if (step.action === 'create') {
      const hint = { datasets: [step.dataset] };
      const job = await client.request<LogpushJob>('POST', `${base}/logpush/jobs`, step.body, hint);
      onDone(step, job.result);
    } else if (step.action === 'update' && step.jobId !== undefined) {
      const { dataset: _dataset, ...update } = step.body;
      const job = await client.request<LogpushJob>('PUT', `${base}/logpush/jobs/${step.jobId}`, update, {
        datasets: [step.dataset],
      });
      onDone(step, job.result);
    } else {
      onDone(step, undefined);
    }
  }
}

export type JobState = 'ok' | 'failing' | 'disabled' | 'missing' | 'never-pushed';

/** One line of `status`: a job in a configured account/zone, or a configured dataset that has no job. */
export interface StatusRow {
  readonly scope: Scope;
  readonly dataset: string;
  /** Absent when the configured dataset has no job. */
  readonly job?: LogpushJob;
  /** True when the job is the one `setup` manages for a configured dataset. */
  readonly managed: boolean;
  /** For managed rows: whether the config wants the job enabled (a disabled job is then no failure). */
  readonly wantEnabled?: boolean;
  readonly state: JobState;
  /**
   * Why an unmanaged job carries our name (`secureworks-http-<dataset>`): its dataset is not configured here, or it
   * pushes elsewhere than the configured ingest URL, or it duplicates the managed job. Left alone, reported.
   */
  readonly stray?: StrayReason;
}

/** See {@link StatusRow.stray}. */
export type StrayReason = 'dataset-not-configured' | 'other-destination' | 'duplicate';

function stateOf(job: LogpushJob): JobState {
  if (job.enabled === false) return 'disabled';
  const complete = job.last_complete ? Date.parse(job.last_complete) : NaN;
  const error = job.last_error ? Date.parse(job.last_error) : NaN;
  if (job.error_message || (!Number.isNaN(error) && (Number.isNaN(complete) || error > complete))) return 'failing';
  if (Number.isNaN(complete)) return 'never-pushed';
  return 'ok';
}

/** Why an unmanaged job is named like one `setup` makes; undefined when its name is not ours. */
export function strayReason(job: LogpushJob, scope: Scope): StrayReason | undefined {
  if (!job.dataset || job.name !== jobName(job.dataset)) return undefined;
  const configured = scope.datasets.find((d) => d.dataset === job.dataset);
  if (configured === undefined) return 'dataset-not-configured';
  return destinationIdentity(job.destination_conf) === destinationIdentity(configured.ingestUrl)
    ? 'duplicate'
    : 'other-destination';
}

/** Every job in the configured accounts and zones, plus a row for each configured dataset without a job. */
export async function collectStatus(client: CloudflareClient, config: LogpushConfigInput): Promise<StatusRow[]> {
  const rows: StatusRow[] = [];
  for (const scope of scopesOf(config)) {
    const jobs = await listJobs(
      client,
      scope.kind,
      scope.id,
      scope.datasets.map((d) => d.dataset),
    );
    const managed = new Map<number, boolean>();
    for (const d of scope.datasets) {
      const [job] = matchingJobs(jobs, d.dataset, d.ingestUrl);
      if (job === undefined)
        rows.push({ scope, dataset: d.dataset, managed: true, wantEnabled: d.enabled, state: 'missing' });
      else managed.set(job.id, d.enabled);
    }
    for (const job of [...jobs].sort((a, b) => a.id - b.id)) {
      const wantEnabled = managed.get(job.id);
      const stray = wantEnabled === undefined ? strayReason(job, scope) : undefined;
      rows.push({
        scope,
        dataset: job.dataset ?? '',
        job,
        managed: wantEnabled !== undefined,
        ...(wantEnabled === undefined ? {} : { wantEnabled }),
        state: stateOf(job),
        ...(stray ? { stray } : {}),
      });
    }
  }
  return rows;
}

/** `status` fails (exit 1) when a managed job is missing, failing, or disabled though the config wants it enabled. */
export const statusFailed = (rows: readonly StatusRow[]): boolean =>
  rows.some(
    (r) =>
      r.managed &&
      (r.state === 'missing' || r.state === 'failing' || (r.state === 'disabled' && r.wantEnabled !== false)),
  );
