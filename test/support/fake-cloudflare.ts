import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A fake of the parts of the Cloudflare v4 API that `npm run logpush` uses, started by tests on 127.0.0.1 on a
 * free port. It checks requests the way the real API does (routes under /client/v4, auth headers, JSON bodies,
 * required fields, value ranges, dataset scope) and answers in Cloudflare's envelope
 * (`{success, errors[{code,message}], messages, result}`); error codes are the ones Cloudflare documents or
 * returns for these cases as far as we know them. GraphQL is checked by pattern (no GraphQL parser here).
 *
 * As Cloudflare's published schema says: `output_options` wins over the deprecated `logpull_options` (see
 * `effectiveFields`); some datasets exist at both levels (`firewall_events` at account level has a `ZoneName` field);
 * a stored `destination_conf` has its unencoded special characters URL-encoded; Zero Trust datasets (Access, Gateway,
 * DEX) need "Zero Trust: PII Read" besides Logs Edit (a `no-pii` token gets error 1004).
 *
 * The real job list answers with a single page today; `perPage` makes the fake paginate like other v4 list
 * endpoints (`result_info`, `?page=&per_page=`) to exercise the client's pagination.
 */

export interface FakeJob {
  id: number;
  dataset: string;
  name: string | null;
  destination_conf: string;
  enabled: boolean;
  logpull_options: string | null;
  output_options: FakeOutputOptions | null;
  frequency: 'high' | 'low';
  kind: '';
  max_upload_bytes: number | null;
  max_upload_records: number | null;
  max_upload_interval_seconds: number | null;
  last_complete: string | null;
  last_error: string | null;
  error_message: string | null;
}

/** The part of `output_options` the fake checks and keeps (Cloudflare fills the rest from `output_type`). */
export interface FakeOutputOptions {
  field_names?: string[];
  timestamp_format?: 'unixnano' | 'unix' | 'rfc3339';
  output_type?: 'ndjson' | 'csv';
  [other: string]: unknown;
}

export interface RecordedRequest {
  readonly method: string;
  readonly path: string;
  readonly query: string;
  readonly headers: IncomingMessage['headers'];
  readonly body: unknown;
}

/** A canned answer for the next matching requests (rate limits, outages, validation failures). */
export interface Injection {
  readonly method?: string;
  readonly path?: RegExp;
  readonly status: number;
  /** A Cloudflare envelope or any JSON; a string is sent as is (e.g. an HTML error page). */
  readonly body?: unknown;
  readonly headers?: Record<string, string>;
  /** @default 1 */
  times?: number;
}

export interface HealthRow {
  readonly date: string;
  readonly records: number;
  readonly bytes: number;
  readonly bytesCompressed: number;
  /** Upload attempts this row stands for (the group's `count`). */
  readonly uploads: number;
  /** @default 200 */
  readonly status?: number;
  /** @default 1 */
  readonly final?: 0 | 1;
}

export interface FakeCloudflareOptions {
  /**
   * Valid API tokens; `read` tokens may only read (Logs Read); `no-pii` tokens have Logs Edit but not "Zero Trust:
   * PII Read", so every request about a Zero Trust dataset fails with 1004. @default none
   */
  readonly tokens?: Readonly<Record<string, Permission>>;
  /** Valid legacy credentials. */
  readonly legacy?: readonly { readonly email: string; readonly key: string }[];
  readonly accounts?: readonly string[];
  readonly zones?: readonly string[];
  /** Paginate job lists with this page size. @default no pagination */
  readonly perPage?: number;
}

type Permission = 'write' | 'read' | 'no-pii';

/** Zero Trust datasets (Access, Gateway, DEX), as Cloudflare's permissions page names them. */
const ZERO_TRUST = new Set(['access_requests', 'gateway_dns', 'gateway_http', 'gateway_network']);

/** Datasets the fake knows, with a few of their fields (the real lists are longer), per level. */
export const FAKE_DATASETS: Readonly<
  Record<
    string,
    {
      scopes: readonly ('account' | 'zone')[];
      fields: Record<string, string>;
      /** Fields only the account-level form of the dataset has. */
      accountFields?: Record<string, string>;
    }
  >
> = {
  http_requests: {
    scopes: ['zone'],
    fields: {
      ClientIP: 'IP address of the client',
      ClientRequestHost: 'Host requested by the client',
      EdgeStartTimestamp: 'Timestamp at which the edge received the request',
      RayID: 'ID of the request',
    },
  },
  firewall_events: {
    scopes: ['zone', 'account'],
    accountFields: { ZoneName: 'The zone of the event (account-level dataset only)' },
    fields: {
      Action: 'The code of the first-class action',
      ClientIP: 'The visitor IP address',
      Datetime: 'The date and time',
      RayID: 'Ray ID',
    },
  },
  gateway_dns: {
    scopes: ['account'],
    fields: {
      Datetime: 'The date and time',
      QueryName: 'The query name',
      ResolverDecision: 'Result of the DNS query',
      SrcIP: 'Source IP',
    },
  },
  access_requests: {
    scopes: ['account'],
    fields: {
      Action: 'What happened',
      Allowed: 'If the request was allowed',
      CreatedAt: 'The date and time',
      Email: 'User e-mail',
    },
  },
};

const JOB_KEYS = new Set([
  'dataset',
  'destination_conf',
  'enabled',
  'filter',
  'frequency',
  'kind',
  'logpull_options',
  'max_upload_bytes',
  'max_upload_interval_seconds',
  'max_upload_records',
  'name',
  'output_options',
  'ownership_challenge',
]);
const UPDATE_KEYS = new Set([...JOB_KEYS].filter((k) => k !== 'dataset'));

class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly errors: { code: number; message: string; error_chain?: { code: number; message: string }[] }[],
    readonly headers: Record<string, string> = {},
  ) {
    super(errors.map((e) => e.message).join('; '));
  }
}

const bad = (message: string, code = 1001) => new ApiError(400, [{ code, message }]);

export class FakeCloudflare {
  /** Jobs per `accounts/<id>` or `zones/<id>`. */
  readonly jobs = new Map<string, FakeJob[]>();
  readonly requests: RecordedRequest[] = [];
  readonly injections: Injection[] = [];
  /** Health rows per job id. */
  readonly health = new Map<number, HealthRow[]>();
  /** When set, creating or updating a job to this destination fails the way Cloudflare's destination check does. */
  unreachableDestination?: RegExp;
  private nextId = 100;

  private constructor(
    private readonly server: Server,
    readonly baseUrl: string,
    private readonly options: FakeCloudflareOptions,
  ) {
    for (const a of options.accounts ?? []) this.jobs.set(`accounts/${a}`, []);
    for (const z of options.zones ?? []) this.jobs.set(`zones/${z}`, []);
  }

  static async start(options: FakeCloudflareOptions): Promise<FakeCloudflare> {
    const holder: { fake?: FakeCloudflare } = {};
    const server = createServer((req, res) => {
      if (holder.fake) void holder.fake.handle(req, res);
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    const { port } = server.address() as AddressInfo;
    holder.fake = new FakeCloudflare(server, `http://127.0.0.1:${port}/client/v4`, options);
    return holder.fake;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** Seeds a job as if made earlier (by hand or by an earlier run). */
  addJob(scope: string, job: Partial<FakeJob> & Pick<FakeJob, 'dataset' | 'destination_conf'>): FakeJob {
    const list = this.jobs.get(scope);
    if (!list) throw new Error(`unknown scope ${scope}`);
    const full: FakeJob = {
      id: this.nextId++,
      name: null,
      enabled: true,
      logpull_options: null,
      output_options: null,
      frequency: 'high',
      kind: '',
      max_upload_bytes: null,
      max_upload_records: null,
      max_upload_interval_seconds: null,
      last_complete: null,
      last_error: null,
      error_message: null,
      ...job,
    };
    list.push(full);
    return full;
  }

  inject(injection: Injection): void {
    this.injections.push({ ...injection, times: injection.times ?? 1 });
  }

  /** Requests that changed something (POST/PUT/DELETE to the REST API, not GraphQL). */
  writes(): RecordedRequest[] {
    return this.requests.filter((r) => r.method !== 'GET' && !r.path.endsWith('/graphql'));
  }

  allJobs(): FakeJob[] {
    return [...this.jobs.values()].flat();
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    const url = new URL(req.url ?? '/', 'http://fake');
    let body: unknown = undefined;
    let bodyError = false;
    if (raw.length > 0) {
      try {
        body = JSON.parse(raw);
      } catch {
        bodyError = true;
        body = raw;
      }
    }
    const method = req.method ?? 'GET';
    this.requests.push({ method, path: url.pathname, query: url.search, headers: req.headers, body });
    const send = (status: number, payload: unknown, headers: Record<string, string> = {}) => {
      const text = typeof payload === 'string' ? payload : JSON.stringify(payload);
      res.writeHead(status, {
        'Content-Type': typeof payload === 'string' ? 'text/html' : 'application/json',
        ...headers,
      });
      res.end(text);
    };
    const injection = this.injections.find(
      (i) => (i.times ?? 0) > 0 && (!i.method || i.method === method) && (!i.path || i.path.test(url.pathname)),
    );
    if (injection) {
      injection.times = (injection.times ?? 1) - 1;
      send(
        injection.status,
        injection.body ?? envelopeError([{ code: 10000, message: 'injected error' }]),
        injection.headers,
      );
      return;
    }
    try {
      if (!url.pathname.startsWith('/client/v4/'))
        throw new ApiError(404, [{ code: 7000, message: 'No route for that URI' }]);
      const permission = this.authenticate(req);
      if (method !== 'GET' && req.headers['content-type']?.split(';')[0]?.trim() !== 'application/json') {
        throw bad('Content-Type must be application/json', 6003);
      }
      if (bodyError) throw new ApiError(400, [{ code: 6007, message: 'Malformed JSON in request body' }]);
      const path = url.pathname.slice('/client/v4'.length);
      if (path === '/graphql') {
        if (method !== 'POST') throw new ApiError(405, [{ code: 7001, message: 'Method not allowed for this route' }]);
        send(200, this.graphql(body));
        return;
      }
      const result = this.route(method, path, url.searchParams, body, permission);
      send(200, {
        success: true,
        errors: [],
        messages: [],
        result: result.result,
        ...(result.info ? { result_info: result.info } : {}),
      });
    } catch (err) {
      if (err instanceof ApiError) send(err.status, envelopeError(err.errors), err.headers);
      else send(500, envelopeError([{ code: 10001, message: `fake bug: ${(err as Error).message}` }]));
    }
  }

  private authenticate(req: IncomingMessage): Permission {
    const authz = req.headers.authorization;
    const email = req.headers['x-auth-email'];
    const key = req.headers['x-auth-key'];
    if (authz !== undefined) {
      const match = /^Bearer ([A-Za-z0-9_.~+/=-]+)$/.exec(authz);
      if (!match?.[1]) {
        throw new ApiError(400, [
          {
            code: 6003,
            message: 'Invalid request headers',
            error_chain: [{ code: 6111, message: 'Invalid format for Authorization header' }],
          },
        ]);
      }
      const permission = this.options.tokens?.[match[1]];
      if (!permission) throw new ApiError(401, [{ code: 1000, message: 'Invalid API Token' }]);
      return permission;
    }
    if (email === undefined && key === undefined) {
      throw new ApiError(400, [
        {
          code: 6003,
          message: 'Invalid request headers',
          error_chain: [{ code: 6103, message: 'Invalid format for X-Auth-Key header' }],
        },
      ]);
    }
    if (typeof email !== 'string' || !/^[^@\s]+@[^@\s]+$/.test(email)) {
      throw new ApiError(400, [
        {
          code: 6003,
          message: 'Invalid request headers',
          error_chain: [{ code: 6102, message: 'Invalid format for X-Auth-Email header' }],
        },
      ]);
    }
    if (typeof key !== 'string' || key.length === 0) {
      throw new ApiError(400, [
        {
          code: 6003,
          message: 'Invalid request headers',
          error_chain: [{ code: 6103, message: 'Invalid format for X-Auth-Key header' }],
        },
      ]);
    }
    if (!(this.options.legacy ?? []).some((l) => l.email === email && l.key === key)) {
      throw new ApiError(403, [{ code: 9103, message: 'Unknown X-Auth-Key or X-Auth-Email' }]);
    }
    return 'write';
  }

  private route(
    method: string,
    path: string,
    query: URLSearchParams,
    body: unknown,
    permission: Permission,
  ): { result: unknown; info?: Record<string, number> } {
    const m = /^\/(accounts|zones)\/([^/]+)\/logpush\/(.+)$/.exec(path);
    if (!m) throw new ApiError(404, [{ code: 7000, message: 'No route for that URI' }]);
    const [, kind, id, rest] = m as unknown as [string, 'accounts' | 'zones', string, string];
    const scope = `${kind}/${id}`;
    const jobs = this.jobs.get(scope);
    if (!/^[0-9a-f]{32}$/.test(id))
      throw new ApiError(400, [
        { code: 7003, message: 'Could not route to /' + scope + ', perhaps your object identifier is invalid?' },
      ]);
    if (!jobs) throw new ApiError(403, [{ code: 10000, message: 'Authentication error' }]);
    const scopeKind = kind === 'accounts' ? 'account' : 'zone';
    // Without "Zero Trust: PII Read", Cloudflare refuses every request about a Zero Trust dataset's jobs.
    const piiCheck = (dataset: unknown) => {
      if (permission === 'no-pii' && typeof dataset === 'string' && ZERO_TRUST.has(dataset)) {
        throw bad(`reading job for product '${dataset.split('_')[0] ?? dataset}' is not allowed`, 1004);
      }
    };

    const fields = /^datasets\/([^/]+)\/fields$/.exec(rest);
    if (fields) {
      if (method !== 'GET') throw new ApiError(405, [{ code: 7001, message: 'Method not allowed for this route' }]);
      piiCheck(fields[1]);
      return { result: this.fieldsOf(fields[1] ?? '', scopeKind) };
    }
    if (rest === 'jobs') {
      if (method === 'GET') {
        for (const j of jobs) piiCheck(j.dataset);
        return this.page(jobs, query);
      }
      if (method === 'POST') {
        if (permission === 'read') throw new ApiError(403, [{ code: 10000, message: 'Authentication error' }]);
        piiCheck((body as { dataset?: unknown } | null)?.dataset);
        return { result: this.create(scope, jobs, body, scopeKind) };
      }
      throw new ApiError(405, [{ code: 7001, message: 'Method not allowed for this route' }]);
    }
    const one = /^jobs\/(\d+)$/.exec(rest);
    if (one) {
      const job = jobs.find((j) => j.id === Number(one[1]));
      if (!job) throw new ApiError(404, [{ code: 1002, message: 'job not found' }]);
      piiCheck(job.dataset);
      if (method === 'GET') return { result: job };
      if (method === 'PUT') {
        if (permission === 'read') throw new ApiError(403, [{ code: 10000, message: 'Authentication error' }]);
        return { result: this.update(job, body) };
      }
      throw new ApiError(405, [{ code: 7001, message: 'Method not allowed for this route' }]);
    }
    throw new ApiError(404, [{ code: 7000, message: 'No route for that URI' }]);
  }

  private page(jobs: readonly FakeJob[], query: URLSearchParams): { result: unknown; info?: Record<string, number> } {
    const perPage = this.options.perPage;
    if (perPage === undefined) return { result: jobs };
    const size = Number(query.get('per_page') ?? perPage);
    const page = Number(query.get('page') ?? 1);
    if (!Number.isInteger(size) || size < 1 || !Number.isInteger(page) || page < 1)
      throw bad('invalid pagination parameters');
    const slice = jobs.slice((page - 1) * size, page * size);
    return {
      result: slice,
      info: {
        page,
        per_page: size,
        count: slice.length,
        total_count: jobs.length,
        total_pages: Math.max(1, Math.ceil(jobs.length / size)),
      },
    };
  }

  /** The fields of a dataset at one level (an account-level dataset may have more than its zone-level form). */
  fieldsOf(dataset: string, scopeKind: 'account' | 'zone'): Record<string, string> {
    const ds = FAKE_DATASETS[dataset];
    if (!ds) throw bad(`invalid dataset: ${dataset}`, 1004);
    if (!ds.scopes.includes(scopeKind)) throw bad(`dataset ${dataset} is not available at ${scopeKind} level`, 1004);
    return scopeKind === 'account' ? { ...ds.fields, ...ds.accountFields } : ds.fields;
  }

  /** The fields Cloudflare pushes for a job: its `output_options` when set (then `logpull_options` is ignored). */
  effectiveFields(job: FakeJob): string[] {
    if (job.output_options !== null) return [...(job.output_options.field_names ?? [])];
    const m = /(?:^|&)fields=([^&]*)/.exec(job.logpull_options ?? '');
    return m?.[1] ? m[1].split(',') : [];
  }

  /** The scope kind a job lives in. */
  private kindOf(job: FakeJob): 'account' | 'zone' {
    for (const [scope, list] of this.jobs)
      if (list.includes(job)) return scope.startsWith('accounts/') ? 'account' : 'zone';
    throw new Error(`job ${job.id} is in no scope`);
  }

  private checkBody(body: unknown, allowed: ReadonlySet<string>): Record<string, unknown> {
    if (typeof body !== 'object' || body === null || Array.isArray(body))
      throw bad('request body must be a JSON object', 6007);
    const b = body as Record<string, unknown>;
    for (const key of Object.keys(b)) if (!allowed.has(key)) throw bad(`unknown field: ${key}`);
    const str = (k: string) =>
      b[k] === undefined || typeof b[k] === 'string' || (b[k] === null && k !== 'destination_conf');
    for (const k of ['destination_conf', 'name', 'logpull_options', 'dataset', 'ownership_challenge', 'filter']) {
      if (!str(k)) throw bad(`${k} must be a string`);
    }
    if (b.output_options !== undefined && b.output_options !== null) {
      const o = b.output_options as Record<string, unknown>;
      if (typeof o !== 'object' || Array.isArray(o)) throw bad('output_options must be an object');
      if (
        o.field_names !== undefined &&
        (!Array.isArray(o.field_names) || o.field_names.some((f) => typeof f !== 'string'))
      )
        throw bad('output_options.field_names must be an array of strings');
      if (o.timestamp_format !== undefined && !['unixnano', 'unix', 'rfc3339'].includes(o.timestamp_format as string))
        throw bad('output_options.timestamp_format must be one of unixnano, unix, rfc3339');
      if (o.output_type !== undefined && !['ndjson', 'csv'].includes(o.output_type as string))
        throw bad('output_options.output_type must be one of ndjson, csv');
    }
    if (b.enabled !== undefined && typeof b.enabled !== 'boolean') throw bad('enabled must be a boolean');
    if (typeof b.name === 'string' && (!/^[a-zA-Z0-9\-.]*$/.test(b.name) || b.name.length > 512)) {
      throw bad('name must match ^[a-zA-Z0-9\\-\\.]*$ and be at most 512 characters');
    }
    const range = (k: string, lo: number, hi: number) => {
      const v = b[k];
      if (v === undefined || v === null) return;
      if (typeof v !== 'number' || !Number.isInteger(v) || (v !== 0 && (v < lo || v > hi)))
        throw bad(`${k} must be 0 or between ${lo} and ${hi}`);
    };
    range('max_upload_bytes', 5_000_000, 1_000_000_000);
    range('max_upload_records', 1000, 1_000_000);
    range('max_upload_interval_seconds', 30, 300);
    return b;
  }

  private checkDestination(conf: string, needsChallenge: boolean, ownership: unknown): void {
    if (conf.length > 4096) throw bad('destination_conf is longer than 4096 characters');
    let url: URL;
    try {
      url = new URL(conf);
    } catch {
      throw bad(`destination_conf is not a valid URI: ${conf}`);
    }
    if (url.protocol === 'https:') {
      // HTTP destinations: Cloudflare sends a test request instead of an ownership challenge.
      if (this.unreachableDestination?.test(conf)) {
        throw bad(`error validating destination: POST ${conf} returned 401 Unauthorized`, 1002);
      }
      return;
    }
    if (url.protocol === 'http:') throw bad('destination_conf: http destinations must use https');
    if (needsChallenge && typeof ownership !== 'string') throw bad('missing ownership challenge', 1002);
  }

  private checkLogpullOptions(options: unknown, dataset: string, scopeKind: 'account' | 'zone'): void {
    if (options === undefined || options === null) return;
    if (typeof options !== 'string') throw bad('logpull_options must be a string');
    const m = /^fields=([A-Za-z0-9_,]+)(&timestamps=(rfc3339|unix|unixnano))?$/.exec(options);
    if (!m?.[1]) throw bad(`invalid logpull_options: ${options}`);
    this.checkFieldNames(m[1].split(','), dataset, scopeKind, 'logpull_options');
  }

  private checkFieldNames(names: readonly string[], dataset: string, scopeKind: 'account' | 'zone', what: string) {
    const known = this.fieldsOf(dataset, scopeKind);
    const unknown = names.filter((f) => !(f in known));
    if (unknown.length > 0) throw bad(`invalid ${what}: unknown field(s) ${unknown.join(',')} for dataset ${dataset}`);
  }

  private checkOutputOptions(options: unknown, dataset: string, scopeKind: 'account' | 'zone'): void {
    const names = (options as FakeOutputOptions | null | undefined)?.field_names;
    if (names) this.checkFieldNames(names, dataset, scopeKind, 'output_options.field_names');
  }

  /** Cloudflare URL-encodes the unencoded special characters of the query when it stores a destination. */
  private stored(conf: string): string {
    const q = conf.indexOf('?');
    if (q < 0) return conf;
    return conf.slice(0, q + 1) + conf.slice(q + 1).replace(/[^A-Za-z0-9\-._~%=&]/g, (c) => encodeURIComponent(c));
  }

  private create(scope: string, jobs: FakeJob[], body: unknown, scopeKind: 'account' | 'zone'): FakeJob {
    const b = this.checkBody(body, JOB_KEYS);
    if (typeof b.destination_conf !== 'string') throw bad('destination_conf is required');
    if (typeof b.dataset !== 'string') throw bad('dataset is required');
    this.fieldsOf(b.dataset, scopeKind);
    this.checkDestination(b.destination_conf, true, b.ownership_challenge);
    this.checkLogpullOptions(b.logpull_options, b.dataset, scopeKind);
    this.checkOutputOptions(b.output_options, b.dataset, scopeKind);
    if (jobs.filter((j) => j.dataset === b.dataset).length >= 4) {
      throw bad(`maximum number of jobs for dataset ${b.dataset} reached`, 1004);
    }
    const job = this.addJob(scope, {
      dataset: b.dataset,
      destination_conf: this.stored(b.destination_conf),
      name: (b.name as string | undefined) ?? null,
      enabled: (b.enabled as boolean | undefined) ?? false,
      logpull_options: (b.logpull_options as string | undefined) ?? null,
      output_options: (b.output_options as FakeOutputOptions | undefined) ?? null,
      max_upload_bytes: (b.max_upload_bytes as number | undefined) ?? null,
      max_upload_records: (b.max_upload_records as number | undefined) ?? null,
    });
    return job;
  }

  private update(job: FakeJob, body: unknown): FakeJob {
    const b = this.checkBody(body, UPDATE_KEYS);
    if (typeof b.destination_conf === 'string') this.checkDestination(b.destination_conf, false, undefined);
    const kind = this.kindOf(job);
    this.checkLogpullOptions(b.logpull_options, job.dataset, kind);
    this.checkOutputOptions(b.output_options, job.dataset, kind);
    if (typeof b.destination_conf === 'string') job.destination_conf = this.stored(b.destination_conf);
    if (b.output_options !== undefined) job.output_options = b.output_options as FakeOutputOptions | null;
    if (b.name !== undefined) job.name = b.name as string | null;
    if (typeof b.enabled === 'boolean') job.enabled = b.enabled;
    if (b.logpull_options !== undefined) job.logpull_options = b.logpull_options as string | null;
    if (b.max_upload_bytes !== undefined) job.max_upload_bytes = b.max_upload_bytes as number | null;
    if (b.max_upload_records !== undefined) job.max_upload_records = b.max_upload_records as number | null;
    return job;
  }

  /** Answers the logpushHealthAdaptiveGroups query the way the GraphQL API does (HTTP 200, errors in `errors`). */
  private graphql(body: unknown): unknown {
    const gqlError = (message: string) => ({
      data: null,
      errors: [{ message, path: null, extensions: { code: 'bad_request' } }],
    });
    if (typeof body !== 'object' || body === null || typeof (body as { query?: unknown }).query !== 'string') {
      return gqlError('request body must have a "query" string');
    }
    // Normalised: no whitespace around punctuation, single spaces elsewhere.
    const query = (body as { query: string }).query
      .replace(/\s+/g, ' ')
      .replace(/\s*([{}():,])\s*/g, '$1')
      .trim();
    const scopeMatch = /viewer\{(accounts|zones)\(filter:\{(accountTag|zoneTag):"([^"]*)"\}\)\{/.exec(query);
    if (!scopeMatch)
      return gqlError('query must select viewer.accounts(filter:{accountTag}) or viewer.zones(filter:{zoneTag})');
    const [, list, tagField, tag] = scopeMatch as unknown as [string, string, string, string];
    if ((list === 'accounts') !== (tagField === 'accountTag'))
      return gqlError(`unknown argument ${tagField} on ${list}`);
    if (!this.jobs.has(`${list}/${tag}`)) {
      return {
        data: null,
        errors: [
          {
            message: `not authorized for that ${list === 'accounts' ? 'account' : 'zone'}`,
            path: ['viewer', list],
            extensions: { code: 'authz' },
          },
        ],
      };
    }
    const groups = /logpushHealthAdaptiveGroups\(limit:(\d+),filter:\{([^}]*)\}\)\{/.exec(query);
    if (!groups) return gqlError('logpushHealthAdaptiveGroups needs limit and filter arguments');
    const [, limitText, filterText] = groups as unknown as [string, string, string];
    let depth = 1;
    let end = groups.index + groups[0].length;
    for (; end < query.length && depth > 0; end++) {
      if (query[end] === '{') depth++;
      else if (query[end] === '}') depth--;
    }
    if (depth !== 0) return gqlError('syntax error: unbalanced braces');
    const selection = query.slice(groups.index + groups[0].length, end - 1);
    const filter = new Map<string, string>();
    for (const part of filterText.split(',')) {
      const kv = /^(\w+):("?)([^"]*)\2$/.exec(part);
      if (!kv?.[1]) return gqlError(`cannot parse filter part "${part}"`);
      filter.set(kv[1], kv[3] ?? '');
    }
    for (const k of filter.keys()) {
      if (!['date_geq', 'date_lt', 'jobId', 'status_lt', 'final', 'date', 'date_leq', 'date_gt'].includes(k)) {
        return gqlError(`unknown field ${k} in filter`);
      }
    }
    const dateGeq = filter.get('date_geq');
    const dateLt = filter.get('date_lt');
    const jobId = Number(filter.get('jobId'));
    if (!dateGeq || !dateLt || !/^\d{4}-\d{2}-\d{2}$/.test(dateGeq) || !/^\d{4}-\d{2}-\d{2}$/.test(dateLt)) {
      return gqlError('filter needs date_geq and date_lt as YYYY-MM-DD dates');
    }
    if (!Number.isInteger(jobId)) return gqlError('filter needs jobId');
    if (!['sum{bytes bytesCompressed records}', 'count', 'dimensions{date}'].every((s) => selection.includes(s))) {
      return gqlError(`unexpected selection: ${selection}`);
    }
    const statusLt = filter.has('status_lt') ? Number(filter.get('status_lt')) : Infinity;
    const final = filter.has('final') ? Number(filter.get('final')) : undefined;
    const rows = (this.health.get(jobId) ?? []).filter(
      (r) =>
        r.date >= dateGeq &&
        r.date < dateLt &&
        (r.status ?? 200) < statusLt &&
        (final === undefined || (r.final ?? 1) === final),
    );
    const byDate = new Map<
      string,
      { sum: { bytes: number; bytesCompressed: number; records: number }; count: number; dimensions: { date: string } }
    >();
    for (const r of rows) {
      const g = byDate.get(r.date) ?? {
        sum: { bytes: 0, bytesCompressed: 0, records: 0 },
        count: 0,
        dimensions: { date: r.date },
      };
      g.sum.bytes += r.bytes;
      g.sum.bytesCompressed += r.bytesCompressed;
      g.sum.records += r.records;
      g.count += r.uploads;
      byDate.set(r.date, g);
    }
    const result = [...byDate.values()].slice(0, Number(limitText));
    return { data: { viewer: { [list]: [{ logpushHealthAdaptiveGroups: result }] } }, errors: null };
  }
}

export function envelopeError(errors: readonly { code: number; message: string }[]): unknown {
  return { success: false, errors, messages: [], result: null };
}
