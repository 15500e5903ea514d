import { readConfigJson, zodProblems } from '../config/load.js';
import { TaegisApiSchema } from '../config/extras-schema.js';
import { deriveTaegisRegion } from '../config/schema.js';
import { invalidInput, TaegisError } from '../util/errors.js';
import { normalizeTaegisRegion } from '../facts/taegis.js';
import { DataSourcesApi } from '../taegis/datasources.js';
import { resolveTaegisApi, taegisClient, type TaegisApiSettings } from '../taegis/setup.js';
import { waitForTaegisData, type SourceOutcome, type SourceTarget } from '../taegis/source-check.js';
import type { Masker } from '../util/masking.js';
import { scopesOf } from '../config/logpush.js';
import type { LogpushConfig } from '../config/logpush-load.js';
import { datasetKey } from './secrets.js';

/**
 * `logpush health --taegis`: the API client comes from the main config's `taegis` section (and its Taegis region),
 * read and checked, secrets included, before any Cloudflare or Taegis call.
 */
export function resolveTaegisForLogpush(
  config: LogpushConfig,
  env: NodeJS.ProcessEnv,
  masker: Masker,
): TaegisApiSettings {
  const raw = readConfigJson(config.configPath, 'pass the main config file with --config') as Record<string, unknown>;
  if (!('logpush' in raw)) {
    throw new TaegisError(
      'CREDENTIALS_MISSING',
      `--taegis needs the main config; ${config.configPath} is a standalone logpush config`,
      {
        fix: 'move the logpush config into the main config\'s "logpush" section, next to its "taegis" section',
      },
    );
  }
  let section;
  if (raw.taegis !== undefined) {
    const parsed = TaegisApiSchema.safeParse(raw.taegis, { reportInput: true });
    if (!parsed.success) {
      throw invalidInput(
        'CONFIG_INVALID',
        `config ${config.configPath}`,
        zodProblems(parsed.error).map((p) => ({ ...p, path: p.path === '(root)' ? 'taegis' : `taegis.${p.path}` })),
      );
    }
    section = parsed.data;
  }
  const region =
    typeof raw.taegisRegion === 'string'
      ? normalizeTaegisRegion(raw.taegisRegion)
      : typeof raw.xdrLoginUrl === 'string'
        ? deriveTaegisRegion(raw.xdrLoginUrl)
        : undefined;
  return resolveTaegisApi({
    section,
    configPath: config.configPath,
    taegisRegion: region,
    env,
    baseUrlOverride: env.TAEGIS_API_BASE_URL,
    masker,
  });
}

export interface DatasetTaegisResult {
  readonly scope: string;
  readonly scopeId: string;
  readonly dataset: string;
  readonly outcome: SourceOutcome;
}

/** Asks Taegis whether each configured dataset's source has data since `since` and is healthy. */
export async function taegisDatasetHealth(
  settings: TaegisApiSettings,
  config: LogpushConfig,
  options: {
    readonly since: Date;
    readonly datasets: readonly string[];
    readonly timeoutSeconds: number;
    readonly sleep?: (ms: number) => Promise<void>;
    readonly onRetry?: (message: string) => void;
  },
): Promise<DatasetTaegisResult[]> {
  const rows: { scope: string; scopeId: string; dataset: string; target: SourceTarget }[] = [];
  for (const s of scopesOf(config)) {
    for (const d of s.datasets) {
      if (options.datasets.length > 0 && !options.datasets.includes(d.dataset)) continue;
      rows.push({
        scope: s.kind,
        scopeId: s.id,
        dataset: d.dataset,
        target: {
          key: datasetKey(s.kind, s.id, d.dataset),
          // HTTP ingest sources are not named after anything we know for sure; the dataset id is the best search.
          hint: d.dataset,
          since: options.since,
          ...(d.taegisSensorType !== undefined ? { sensorType: d.taegisSensorType } : {}),
          ...(d.taegisSourceId !== undefined ? { sourceId: d.taegisSourceId } : {}),
        },
      });
    }
  }
  const api = new DataSourcesApi(
    taegisClient(settings, {
      ...(options.sleep ? { sleep: options.sleep } : {}),
      ...(options.onRetry ? { onRetry: options.onRetry } : {}),
    }),
  );
  const outcomes = await waitForTaegisData(
    api,
    rows.map((r) => r.target),
    { timeoutSeconds: options.timeoutSeconds, ...(options.sleep ? { sleep: options.sleep } : {}) },
  );
  return rows.map((r) => ({
    scope: r.scope,
    scopeId: r.scopeId,
    dataset: r.dataset,
    outcome: outcomes.get(r.target.key)!,
  }));
}

export function taegisHealthLines(results: readonly DatasetTaegisResult[]): string[] {
  return [
    '',
    'Taegis (data seen by Taegis since --since, source health):',
    ...results.map(
      (r) =>
        `  ${r.scope} ${r.scopeId} ${r.dataset}: ${r.outcome.status.toUpperCase()} ${r.outcome.detail}` +
        r.outcome.warnings.map((w) => `\n    warning: ${w}`).join(''),
    ),
  ];
}

export function taegisHealthJson(results: readonly DatasetTaegisResult[]): unknown {
  return results.map((r) => ({
    scope: r.scope,
    scopeId: r.scopeId,
    dataset: r.dataset,
    status: r.outcome.status,
    mapping: r.outcome.mapping,
    sourceId: r.outcome.sourceId ?? null,
    detail: r.outcome.detail,
    warnings: r.outcome.warnings,
  }));
}
