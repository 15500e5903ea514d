import type { TaegisClient } from './client.js';

/*
 * Shapes of the Taegis data-source service, taken from the vendor's Python SDK
 * (secureworks/taegis-sdk-python, taegis_sdk_python/services/datasources/queries.py and types.py):
 *   getDataSourceLastSeenAssetsV2(first, last, after, before, filter: DataSourceAssetsFilter, sort: LastSeenAssetsSort)
 *     -> LastSeenAssets { totalCount assets: [LastSeenAsset] pageInfo: PageInfo }
 *   DataSourceAssetsFilter { status: [HealthState], where: DataSourcesWhereInput }
 *   DataSourcesWhereInput { assetId sourceId sourceIdSearch type sensorType collectorId tagId: [String] }
 *   LastSeenAsset { assetId sourceId service sensorType collectorID lastSeen: Int tenantID health: HealthState
 *                   collector { id name } source { id name } tags }
 *   getDataSourceLastSeenAssetFilterValues(input: [FilterCriteria]) -> [FilterValues { filter values }]
 *   FilterValues.values is the union FilterValueResponse = FilterValue { value } | ClusterIdentity | SourceIdentity
 *   HealthState: HEALTHY | NO_DATA | WARNING; FilterCriteria: ASSET_ID SOURCE_ID STATUS TYPE SENSOR_TYPE XDR_RELAY
 * The SDK builds its operations from the live schema's introspection, so the variable types' nullability below
 * is inferred from its signatures (optional argument -> nullable; `input_` required -> non-null list). The unit of
 * `lastSeen` (an Int) is not documented there: values below 1e12 are read as epoch seconds, larger as milliseconds.
 */

export type HealthState = 'HEALTHY' | 'NO_DATA' | 'WARNING';
export type FilterCriteria = 'ASSET_ID' | 'SOURCE_ID' | 'STATUS' | 'TYPE' | 'SENSOR_TYPE' | 'XDR_RELAY';

export interface DataSourcesWhereInput {
  readonly assetId?: readonly string[];
  readonly sourceId?: readonly string[];
  readonly sourceIdSearch?: readonly string[];
  readonly type?: readonly string[];
  readonly sensorType?: readonly string[];
  readonly collectorId?: readonly string[];
  readonly tagId?: readonly string[];
}

export interface DataSourceAssetsFilter {
  readonly status?: readonly HealthState[];
  readonly where?: DataSourcesWhereInput;
}

export interface LastSeenAsset {
  readonly assetId?: string | null;
  readonly sourceId?: string | null;
  readonly service?: string | null;
  readonly sensorType?: string | null;
  readonly collectorID?: string | null;
  readonly lastSeen?: number | null;
  readonly tenantID?: string | null;
  // A HealthState; a value added later by Taegis is kept as is (and is not HEALTHY).
  readonly health?: string | null;
  readonly source?: { readonly id?: string | null; readonly name?: string | null } | null;
}

export const LAST_SEEN_ASSETS_QUERY = `query getDataSourceLastSeenAssetsV2($first: Int, $after: String, $filter: DataSourceAssetsFilter, $sort: LastSeenAssetsSort) {
  getDataSourceLastSeenAssetsV2(first: $first, after: $after, filter: $filter, sort: $sort) {
    totalCount
    assets { assetId sourceId service sensorType collectorID lastSeen tenantID health source { id name } }
    pageInfo { endCursor hasNextPage }
  }
}`;

export const FILTER_VALUES_QUERY = `query getDataSourceLastSeenAssetFilterValues($input: [FilterCriteria!]!) {
  getDataSourceLastSeenAssetFilterValues(input: $input) {
    filter
    values { __typename ... on FilterValue { value } ... on ClusterIdentity { id name } ... on SourceIdentity { id name } }
  }
}`;

interface LastSeenAssetsData {
  readonly getDataSourceLastSeenAssetsV2: {
    readonly totalCount?: number | null;
    readonly assets?: readonly LastSeenAsset[] | null;
    readonly pageInfo?: { readonly endCursor?: string | null; readonly hasNextPage?: boolean | null } | null;
  } | null;
}

interface FilterValuesData {
  readonly getDataSourceLastSeenAssetFilterValues:
    | readonly {
        readonly filter?: string | null;
        readonly values?: readonly { value?: string | null; id?: string | null; name?: string | null }[] | null;
      }[]
    | null;
}

/** The most assets read for one question; a bucket or source id matching more is reported as ambiguous anyway. */
const MAX_PAGES = 5;
const PAGE_SIZE = 50;

/** The data-source questions the checks ask. */
export class DataSourcesApi {
  constructor(private readonly client: TaegisClient) {}

  /** Assets matching the filter, most recently seen first. */
  async lastSeenAssets(filter: DataSourceAssetsFilter): Promise<LastSeenAsset[]> {
    const out: LastSeenAsset[] = [];
    let after: string | undefined;
    for (let page = 0; page < MAX_PAGES; page++) {
      const data = await this.client.query<LastSeenAssetsData>(
        'getDataSourceLastSeenAssetsV2',
        LAST_SEEN_ASSETS_QUERY,
        {
          first: PAGE_SIZE,
          ...(after ? { after } : {}),
          filter,
          sort: 'LOG_LAST_SEEN_DESC',
        },
      );
      const result = data.getDataSourceLastSeenAssetsV2;
      out.push(...(result?.assets ?? []));
      const next = result?.pageInfo;
      if (!next?.hasNextPage || !next.endCursor) break;
      after = next.endCursor;
    }
    return out;
  }

  /** The sensor types present in the tenant's data (only those observed, per the SDK's documentation). */
  async sensorTypes(): Promise<string[]> {
    const data = await this.client.query<FilterValuesData>(
      'getDataSourceLastSeenAssetFilterValues',
      FILTER_VALUES_QUERY,
      { input: ['SENSOR_TYPE'] },
    );
    const entry = (data.getDataSourceLastSeenAssetFilterValues ?? []).find((f) => f.filter === 'SENSOR_TYPE');
    return (entry?.values ?? [])
      .map((v) => v.value ?? v.name ?? v.id)
      .filter((v): v is string => typeof v === 'string' && v !== '');
  }
}

/** `lastSeen` as a date (see the note on its unit above). */
export function lastSeenDate(asset: LastSeenAsset): Date | undefined {
  const v = asset.lastSeen;
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) return undefined;
  return new Date(v < 1e12 ? v * 1000 : v);
}
