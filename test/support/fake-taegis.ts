import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A strict fake of the two Taegis API endpoints `--taegis` uses, started by tests on 127.0.0.1 on a free port:
 * the OAuth2 client-credentials token endpoint (`POST /auth/api/v2/auth/token`, HTTP Basic client auth, form body
 * `grant_type=client_credentials`) and the GraphQL gateway (`POST /graphql`, `Authorization: Bearer`,
 * `X-Tenant-Context`). It answers the data-source queries in the shapes of the vendor's Python SDK
 * (taegis_sdk_python/services/datasources/types.py) and rejects, as a GraphQL server would, unknown fields, unknown
 * input fields, bad enum values and variable types that do not fit the arguments. There is no GraphQL parser here:
 * operations are checked by pattern.
 */

export type FakeHealth = 'HEALTHY' | 'NO_DATA' | 'WARNING';

export interface FakeAsset {
  assetId: string;
  sourceId: string;
  sensorType: string;
  /** Epoch seconds. */
  lastSeen: number;
  health: FakeHealth;
  service?: string;
  collectorID?: string;
  sourceName?: string;
}

export interface TaegisRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingMessage['headers'];
  readonly body: string;
  readonly status: number;
}

/** A canned answer for the next matching requests. */
export interface TaegisInjection {
  readonly path: '/graphql' | '/auth/api/v2/auth/token';
  readonly status: number;
  readonly headers?: Record<string, string>;
  readonly body?: string;
  /** @default 1 */
  times?: number;
}

export interface FakeTaegisOptions {
  readonly clientId: string;
  readonly clientSecret: string;
  readonly tenantId: string;
  /** Lifetime of issued tokens. @default 3600 */
  readonly tokenTtlSeconds?: number;
}

const HEALTH = new Set(['HEALTHY', 'NO_DATA', 'WARNING']);
const SORTS = new Set(
  ['SOURCE_ID', 'STATUS', 'LOG_LAST_SEEN', 'TYPE', 'SENSOR_TYPE', 'COLLECTOR_ID'].flatMap((s) => [
    `${s}_ASC`,
    `${s}_DESC`,
  ]),
);
const CRITERIA = new Set(['ASSET_ID', 'SOURCE_ID', 'STATUS', 'TYPE', 'SENSOR_TYPE', 'XDR_RELAY']);
const WHERE_FIELDS = new Set(['assetId', 'sourceId', 'sourceIdSearch', 'type', 'sensorType', 'collectorId', 'tagId']);
const ASSET_FIELDS = new Set([
  'assetId',
  'sourceId',
  'service',
  'sensorType',
  'collectorID',
  'lastSeen',
  'tenantID',
  'health',
  'collector',
  'source',
  'tags',
  'id',
  'name',
]);
/** Schema types of the arguments; a declared variable must have the same named type (nullability may tighten). */
const ARG_TYPES: Record<string, Record<string, string>> = {
  getDataSourceLastSeenAssetsV2: {
    first: 'Int',
    last: 'Int',
    after: 'String',
    before: 'String',
    filter: 'DataSourceAssetsFilter',
    sort: 'LastSeenAssetsSort',
  },
  getDataSourceLastSeenAssetFilterValues: { input: '[FilterCriteria]' },
};

export class FakeTaegis {
  readonly requests: TaegisRequest[] = [];
  assets: FakeAsset[] = [];
  private readonly tokens = new Map<string, number>();
  private readonly injections: TaegisInjection[] = [];
  private server?: Server;
  private port = 0;

  constructor(private readonly options: FakeTaegisOptions) {}

  get baseUrl(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Every token issued so far. */
  get issuedTokens(): string[] {
    return [...this.tokens.keys()];
  }

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => this.handle(req, Buffer.concat(chunks).toString('utf8'), res));
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  inject(i: TaegisInjection): void {
    this.injections.push({ ...i, times: i.times ?? 1 });
  }

  /** Makes every issued token expired: the next GraphQL call gets 401, as after a token's lifetime. */
  expireTokens(): void {
    for (const t of this.tokens.keys()) this.tokens.set(t, 0);
  }

  /** Requests of one path. */
  seen(path: string): TaegisRequest[] {
    return this.requests.filter((r) => r.path === path);
  }

  private handle(req: IncomingMessage, body: string, res: ServerResponse): void {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const send = (status: number, payload: unknown, headers: Record<string, string> = {}): void => {
      this.requests.push({ method: req.method ?? '', path, headers: req.headers, body, status });
      res.writeHead(status, { 'content-type': 'application/json', ...headers });
      res.end(typeof payload === 'string' ? payload : JSON.stringify(payload));
    };
    const inj = this.injections.find((i) => i.path === path && (i.times ?? 0) > 0);
    if (inj) {
      inj.times = (inj.times ?? 1) - 1;
      send(inj.status, inj.body ?? JSON.stringify({ message: `injected ${inj.status}` }), inj.headers);
      return;
    }
    if (req.method !== 'POST') return send(405, { message: 'method not allowed' });
    if (path === '/auth/api/v2/auth/token') return this.token(req, body, send);
    if (path === '/graphql') return this.graphql(req, body, send);
    send(404, { message: 'not found' });
  }

  private token(
    req: IncomingMessage,
    body: string,
    send: (s: number, p: unknown, h?: Record<string, string>) => void,
  ): void {
    if (!(req.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded')) {
      return send(400, { error: 'invalid_request', error_description: 'form body expected' });
    }
    const form = new URLSearchParams(body);
    if (form.get('grant_type') !== 'client_credentials') return send(400, { error: 'unsupported_grant_type' });
    const auth = req.headers.authorization ?? '';
    const m = /^Basic (.+)$/.exec(auth);
    const expected = Buffer.from(`${this.options.clientId}:${this.options.clientSecret}`).toString('base64');
    if (!m || m[1] !== expected) return send(401, { error: 'invalid_client' });
    const token = `fake-${randomBytes(24).toString('hex')}`;
    const ttl = this.options.tokenTtlSeconds ?? 3600;
    this.tokens.set(token, Date.now() + ttl * 1000);
    send(200, { access_token: token, token_type: 'bearer', expires_in: ttl });
  }

  private graphql(
    req: IncomingMessage,
    body: string,
    send: (s: number, p: unknown, h?: Record<string, string>) => void,
  ): void {
    const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    const exp = bearer !== undefined ? this.tokens.get(bearer) : undefined;
    if (exp === undefined || exp <= Date.now()) return send(401, { message: 'unauthorized' });
    if (req.headers['x-tenant-context'] !== this.options.tenantId) {
      return send(200, { data: null, errors: [{ message: 'tenant context missing or not allowed for this client' }] });
    }
    if (!(req.headers['content-type'] ?? '').startsWith('application/json')) {
      return send(400, { errors: [{ message: 'application/json expected' }] });
    }
    let parsed: { query?: unknown; variables?: Record<string, unknown> };
    try {
      parsed = JSON.parse(body) as typeof parsed;
    } catch {
      return send(400, { errors: [{ message: 'body is not JSON' }] });
    }
    const query = typeof parsed.query === 'string' ? parsed.query : '';
    const vars = parsed.variables ?? {};
    const errors = checkOperation(query, vars);
    if (errors.length > 0) return send(200, { data: null, errors: errors.map((message) => ({ message })) });
    if (query.includes('getDataSourceLastSeenAssetFilterValues(')) {
      const input = vars.input as string[];
      return send(200, {
        data: {
          getDataSourceLastSeenAssetFilterValues: input.map((filter) => ({
            filter,
            values:
              filter === 'SENSOR_TYPE'
                ? [...new Set(this.assets.map((a) => a.sensorType))].map((value) => ({
                    __typename: 'FilterValue',
                    value,
                  }))
                : [],
          })),
        },
      });
    }
    send(200, { data: { getDataSourceLastSeenAssetsV2: this.lastSeen(vars) } });
  }

  private lastSeen(vars: Record<string, unknown>): unknown {
    const filter = (vars.filter ?? {}) as { status?: string[]; where?: Record<string, string[]> };
    const where = filter.where ?? {};
    let list = this.assets.filter(
      (a) =>
        (!filter.status || filter.status.includes(a.health)) &&
        (!where.sourceId || where.sourceId.includes(a.sourceId)) &&
        (!where.assetId || where.assetId.includes(a.assetId)) &&
        (!where.sensorType || where.sensorType.includes(a.sensorType)) &&
        (!where.sourceIdSearch || where.sourceIdSearch.some((s) => a.sourceId.toLowerCase().includes(s.toLowerCase()))),
    );
    if (vars.sort === 'LOG_LAST_SEEN_DESC') list = [...list].sort((a, b) => b.lastSeen - a.lastSeen);
    const start = typeof vars.after === 'string' ? Number(vars.after) : 0;
    const first = typeof vars.first === 'number' ? vars.first : 25;
    const page = list.slice(start, start + first);
    return {
      totalCount: list.length,
      assets: page.map((a) => ({
        assetId: a.assetId,
        sourceId: a.sourceId,
        service: a.service ?? 'datasources',
        sensorType: a.sensorType,
        collectorID: a.collectorID ?? null,
        lastSeen: a.lastSeen,
        tenantID: this.options.tenantId,
        health: a.health,
        source: { id: a.sourceId, name: a.sourceName ?? a.sourceId },
      })),
      pageInfo: {
        endCursor: String(start + page.length),
        hasNextPage: start + page.length < list.length,
      },
    };
  }
}

/** The checks a GraphQL server would make on these two operations; returns its error messages. */
function checkOperation(query: string, vars: Record<string, unknown>): string[] {
  const errors: string[] = [];
  const op = /^\s*query\s+\w+\s*\(([^)]*)\)\s*\{\s*(\w+)\s*\(([^)]*)\)\s*\{([\s\S]*)\}\s*\}\s*$/.exec(query);
  if (!op) return ['Syntax Error: expected one named query with variables calling one field with arguments'];
  const [, declared = '', field = '', args = '', selection = ''] = op;
  const argTypes = ARG_TYPES[field];
  if (!argTypes) return [`Cannot query field "${field}" on type "Query".`];
  const decl = new Map<string, string>();
  for (const d of declared
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean)) {
    const m = /^\$(\w+)\s*:\s*(.+)$/.exec(d);
    if (!m) errors.push(`Syntax Error in variable definition "${d}"`);
    else decl.set(m[1]!, m[2]!.trim());
  }
  for (const a of args
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean)) {
    const m = /^(\w+)\s*:\s*\$(\w+)$/.exec(a);
    if (!m) {
      errors.push(`argument "${a}" is not name: $variable`);
      continue;
    }
    const schemaType = argTypes[m[1]!];
    const varType = decl.get(m[2]!);
    if (!schemaType) errors.push(`Unknown argument "${m[1]}" on field "Query.${field}".`);
    else if (!varType) errors.push(`Variable "$${m[2]}" is not defined.`);
    else if (varType.replace(/!/g, '') !== schemaType.replace(/!/g, ''))
      errors.push(`Variable "$${m[2]}" of type "${varType}" used in position expecting type "${schemaType}".`);
  }
  for (const [name, type] of decl) {
    if (type.endsWith('!') && (vars[name] === undefined || vars[name] === null))
      errors.push(`Variable "$${name}" of required type "${type}" was not provided.`);
  }
  if (field === 'getDataSourceLastSeenAssetsV2') {
    const assets = /assets\s*\{([^{}]*(?:\{[^{}]*\}[^{}]*)*)\}/.exec(selection)?.[1];
    if (assets === undefined) errors.push('selection has no "assets { ... }"');
    for (const w of (assets ?? '').match(/[A-Za-z_]\w*/g) ?? []) {
      if (!ASSET_FIELDS.has(w)) errors.push(`Cannot query field "${w}" on type "LastSeenAsset".`);
    }
    const f = vars.filter as Record<string, unknown> | undefined;
    if (f !== undefined && f !== null) {
      for (const k of Object.keys(f)) {
        if (k !== 'status' && k !== 'where')
          errors.push(`Field "${k}" is not defined by type "DataSourceAssetsFilter".`);
      }
      for (const s of (f.status as unknown[] | undefined) ?? []) {
        if (!HEALTH.has(String(s))) errors.push(`Value "${String(s)}" does not exist in "HealthState" enum.`);
      }
      for (const [k, v] of Object.entries((f.where as Record<string, unknown> | undefined) ?? {})) {
        if (!WHERE_FIELDS.has(k)) errors.push(`Field "${k}" is not defined by type "DataSourcesWhereInput".`);
        if (!Array.isArray(v) || v.some((x) => typeof x !== 'string'))
          errors.push(`Field "${k}" of DataSourcesWhereInput expects [String].`);
      }
    }
    if (vars.sort !== undefined && !SORTS.has(JSON.stringify(vars.sort).slice(1, -1)))
      errors.push(`Value ${JSON.stringify(vars.sort)} does not exist in "LastSeenAssetsSort" enum.`);
    if (vars.first !== undefined && !Number.isInteger(vars.first)) errors.push('Variable "$first" expects Int.');
  } else {
    if (!/values\s*\{[^}]*\.\.\.\s*on\s+FilterValue\s*\{\s*value\s*\}/.test(selection))
      errors.push('"values" is a union (FilterValueResponse): select its members with inline fragments');
    const input = vars.input;
    if (!Array.isArray(input) || input.some((x) => !CRITERIA.has(String(x))))
      errors.push('Variable "$input" expects [FilterCriteria] values.');
  }
  return errors;
}
