import { TaegisError } from '../util/errors.js';
import { lastSeenDate, type DataSourcesApi, type LastSeenAsset } from './datasources.js';
import { pollRounds } from '../util/poll.js';

/** One thing whose data should reach Taegis: a Lambda stack's log bucket, or a Logpush dataset. */
export interface SourceTarget {
  /** Unique key of the target in this run. */
  readonly key: string;
  /** Searched for in source ids (`sourceIdSearch`): the log bucket's name, or the dataset's. */
  readonly hint?: string;
  /** From config: narrows the search, and is checked against the sensor types the tenant has. */
  readonly sensorType?: string;
  /** From config: the source to use when the search cannot decide. */
  readonly sourceId?: string;
  /** Taegis must have seen data at or after this time (the migration). */
  readonly since: Date;
}

export type SourceMapping = 'api' | 'config' | 'unknown';

export interface SourceOutcome {
  readonly status: 'pass' | 'warn' | 'fail';
  readonly detail: string;
  readonly warnings: readonly string[];
  readonly mapping: SourceMapping;
  readonly sourceId?: string;
  readonly startedAt: Date;
  readonly finishedAt: Date;
}

export interface WaitOptions {
  /** Seconds to keep asking; 0 asks once. */
  readonly timeoutSeconds: number;
  /** First pause between rounds; it grows by half each round up to a minute. @default 10000 */
  readonly pollIntervalMs?: number;
  /** @default () => new Date() */
  readonly now?: () => Date;
  /** @default real timers */
  readonly sleep?: (ms: number) => Promise<void>;
  readonly onProgress?: (p: { readonly done: number; readonly total: number; readonly secondsLeft: number }) => void;
}

interface Watch {
  readonly t: SourceTarget;
  readonly start: Date;
  readonly warnings: string[];
  asset?: LastSeenAsset;
  mapping: SourceMapping;
  candidates: string[];
  done?: SourceOutcome;
}

const MAX_INTERVAL_MS = 60_000;

/**
 * Asks Taegis, round after round with growing pauses, whether it has seen each target's data since its `since` and
 * whether the source is healthy. Which source is the target's: the API's search by `hint` when it yields one
 * source (or the configured id among several), else the configured `sourceId`, else `unknown` (a warning,
 * never a pass). An API failure ends the wait for every target with that failure.
 */
export async function waitForTaegisData(
  api: DataSourcesApi,
  targets: readonly SourceTarget[],
  opts: WaitOptions,
): Promise<Map<string, SourceOutcome>> {
  const now = opts.now ?? (() => new Date());
  const sleep = opts.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const watches: Watch[] = targets.map((t) => ({ t, start: now(), warnings: [], mapping: 'unknown', candidates: [] }));
  const results = new Map<string, SourceOutcome>();
  if (watches.length === 0) return results;

  let present: string[] | undefined;
  try {
    present = await api.sensorTypes();
  } catch (err) {
    return failAll(watches, err, now);
  }
  for (const w of watches) {
    if (w.t.sensorType !== undefined && present.length > 0 && !present.includes(w.t.sensorType)) {
      w.warnings.push(`sensor type "${w.t.sensorType}" is not among those Taegis has data for (${present.join(', ')})`);
    }
  }

  let failure: unknown;
  const ended = await pollRounds({
    total: watches.length,
    timeoutSeconds: opts.timeoutSeconds,
    intervalMs: opts.pollIntervalMs ?? 10_000,
    growth: 1.5,
    maxIntervalMs: MAX_INTERVAL_MS,
    now,
    sleep,
    ...(opts.onProgress ? { onProgress: opts.onProgress } : {}),
    round: async () => {
      for (const w of watches.filter((x) => !x.done)) {
        try {
          await lookUp(api, w);
        } catch (err) {
          failure = err;
          return 'stop';
        }
        if (w.asset && isGood(w.asset, w.t.since)) w.done = outcome(w, 'pass', now);
      }
      return watches.filter((x) => !x.done).length;
    },
  });
  if (ended === 'stopped') return failAll(watches, failure, now, results);
  for (const w of watches) {
    if (!w.done) w.done = outcome(w, w.mapping === 'unknown' ? 'warn' : 'fail', now, opts.timeoutSeconds, present);
    results.set(w.t.key, w.done);
  }
  return results;
}

function failAll(
  watches: readonly Watch[],
  err: unknown,
  now: () => Date,
  results = new Map<string, SourceOutcome>(),
): Map<string, SourceOutcome> {
  const reason = err instanceof TaegisError ? err.message : `Taegis API: ${(err as Error).message ?? String(err)}`;
  for (const w of watches) {
    results.set(
      w.t.key,
      w.done ?? {
        status: 'fail',
        detail: reason,
        warnings: w.warnings,
        mapping: w.mapping,
        ...(w.asset?.sourceId ? { sourceId: w.asset.sourceId } : {}),
        startedAt: w.start,
        finishedAt: now(),
      },
    );
  }
  return results;
}

function isGood(asset: LastSeenAsset, since: Date): boolean {
  const seen = lastSeenDate(asset);
  return seen !== undefined && seen.getTime() >= since.getTime() && asset.health === 'HEALTHY';
}

function idOf(a: LastSeenAsset): string {
  return a.sourceId ?? a.source?.id ?? a.assetId ?? '(no id)';
}

async function lookUp(api: DataSourcesApi, w: Watch): Promise<void> {
  const sensor = w.t.sensorType !== undefined ? { sensorType: [w.t.sensorType] } : {};
  if (w.t.hint !== undefined) {
    const hint = w.t.hint.toLowerCase();
    const found = await api.lastSeenAssets({ where: { sourceIdSearch: [w.t.hint], ...sensor } });
    // The search is the API's; matching is ours too, so a looser search on their side cannot map a stranger.
    const matches = found.filter((a) =>
      [a.sourceId, a.source?.id, a.source?.name].some((v) => typeof v === 'string' && v.toLowerCase().includes(hint)),
    );
    const byConfig = w.t.sourceId !== undefined ? matches.find((a) => idOf(a) === w.t.sourceId) : undefined;
    const distinct = [...new Set(matches.map(idOf))];
    if (byConfig) {
      w.asset = byConfig;
      w.mapping = 'config';
      return;
    }
    if (distinct.length === 1) {
      w.asset = matches[0];
      w.mapping = 'api';
      return;
    }
    w.candidates = distinct;
  }
  if (w.t.sourceId !== undefined) {
    const found = await api.lastSeenAssets({ where: { sourceId: [w.t.sourceId], ...sensor } });
    w.mapping = 'config';
    w.asset = found.find((a) => idOf(a) === w.t.sourceId);
    return;
  }
  w.asset = undefined;
  w.mapping = 'unknown';
}

function outcome(
  w: Watch,
  status: SourceOutcome['status'],
  now: () => Date,
  waited?: number,
  present?: readonly string[],
): SourceOutcome {
  const since = w.t.since.toISOString();
  const how = w.mapping === 'api' ? `found by "${w.t.hint ?? ''}"` : 'named in config';
  const a = w.asset;
  const seen = a ? lastSeenDate(a) : undefined;
  let detail: string;
  if (status === 'pass') {
    detail = `Taegis saw source ${idOf(a!)} (${a!.sensorType ?? 'sensor type unknown'}, ${how}) at ${seen!.toISOString()}, health HEALTHY`;
  } else if (w.mapping === 'unknown') {
    detail =
      w.candidates.length > 1
        ? `unknown: ${w.candidates.length} Taegis sources match "${w.t.hint ?? ''}" (${w.candidates.slice(0, 5).join(', ')}); name the right one with "taegisSourceId"`
        : `unknown: no Taegis source matches "${w.t.hint ?? '(nothing to search by)'}"${present && present.length > 0 ? ` (sensor types with data: ${present.join(', ')})` : ''}; set "taegisSourceId" (and "taegisSensorType") from XDR > Data sources`;
  } else if (!a) {
    detail = `Taegis has no data source ${w.t.sourceId ?? ''} (${how}) after ${waited ?? 0} s; check the source id in XDR > Data sources, or raise --log-timeout`;
  } else if (!seen || seen.getTime() < w.t.since.getTime()) {
    detail = `Taegis last saw source ${idOf(a)} (${how}) ${seen ? `at ${seen.toISOString()}` : 'never'}, not since ${since} (waited ${waited ?? 0} s); check the trigger and the function's logs, or raise --log-timeout`;
  } else {
    detail = `Taegis saw source ${idOf(a)} (${how}) at ${seen.toISOString()}, but its health is ${a.health ?? 'unknown'}; see XDR > Data sources`;
  }
  return {
    status,
    detail,
    warnings: w.warnings,
    mapping: w.mapping,
    ...(a ? { sourceId: idOf(a) } : {}),
    startedAt: w.start,
    finishedAt: now(),
  };
}
