import { TaegisError } from '../util/errors.js';
import { ZERO_TRUST_DATASETS } from '../config/logpush.js';
import type { CloudflareAuth } from './secrets.js';
import { retryAfterTooLong, sendWithRetry } from '../util/http.js';

/** The real API; `CLOUDFLARE_API_BASE_URL` (read at the CLI edge) overrides it, e.g. for the fake in tests. */
export const DEFAULT_BASE_URL = 'https://api.cloudflare.com/client/v4';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'DELETE';

/** One entry of Cloudflare's `errors[]` / `messages[]`. */
export interface CloudflareMessage {
  readonly code: number;
  readonly message: string;
  readonly error_chain?: readonly CloudflareMessage[];
}

/** `result_info` of paginated v4 list endpoints. */
export interface ResultInfo {
  readonly page?: number;
  readonly per_page?: number;
  readonly count?: number;
  readonly total_count?: number;
  readonly total_pages?: number;
}

interface Envelope<T> {
  readonly success?: boolean;
  readonly errors?: readonly CloudflareMessage[];
  readonly messages?: readonly CloudflareMessage[];
  readonly result?: T;
  readonly result_info?: ResultInfo;
}

export interface CloudflareClientOptions {
  readonly auth: CloudflareAuth;
  /** @default DEFAULT_BASE_URL */
  readonly baseUrl?: string;
  /**
   * Attempts per request, the first included: a 429 is always retried, a 5xx or network error only for GET/PUT/DELETE
   * (lib/util/http.ts).
   * @default DEFAULT_ATTEMPTS (5)
   */
  readonly maxAttempts?: number;
  /** @default setTimeout-based */
  readonly sleep?: (ms: number) => Promise<void>;
  /** For `Retry-After` dates. @default Date.now */
  readonly now?: () => number;
  /** @default globalThis.fetch */
  readonly fetch?: typeof fetch;
  /** Called before each retry, to tell the user why the command pauses. */
  readonly onRetry?: (message: string) => void;
  /** @default 30000 */
  readonly timeoutMs?: number;
}

/** Formats `errors[]` (with their `error_chain`) as `[code] message; [code] message`. */
export function formatCloudflareErrors(errors: readonly CloudflareMessage[] | undefined): string {
  if (!errors || errors.length === 0) return 'no error details';
  const parts: string[] = [];
  const walk = (list: readonly CloudflareMessage[]) => {
    for (const e of list) {
      parts.push(`[${e.code}] ${e.message}`);
      if (e.error_chain) walk(e.error_chain);
    }
  };
  walk(errors);
  return parts.join('; ');
}

/** What a request is about, so an error can name the permission that dataset needs. */
export interface RequestHint {
  /** The configured datasets the request concerns (one for a job or its fields; all of a scope for a list). */
  readonly datasets?: readonly string[];
}

/**
 * The permissions Cloudflare states for the Logpush API: every operation (reads included) needs "Logs: Edit" (Logs
 * Write) on the account or zone, a zone's jobs need a token whose Zone Resources include that zone, and Zero Trust
 * datasets (Access, Gateway, DEX) also need "Zero Trust: PII Read" (else error 1004).
 */
export function permissionFix(path: string, datasets: readonly string[] = []): string {
  const scope = /^\/(accounts|zones)\/([^/?]+)/.exec(path);
  const where =
    scope?.[1] === 'zones'
      ? ` on zone ${scope[2]} (its Zone Resources must include this zone)`
      : scope?.[1] === 'accounts'
        ? ` on account ${scope[2]}`
        : ' on the configured accounts and zones';
  const zt = datasets.filter((d) => ZERO_TRUST_DATASETS.has(d));
  return `the API token needs "Logs: Edit" (Logs Write; every Logpush API call needs it, reads included)${where}${
    zt.length > 0
      ? `, and "Zero Trust: PII Read" for the Zero Trust dataset${zt.length === 1 ? '' : 's'} ${zt.join(', ')} (Cloudflare answers 1004 without it)`
      : ''
  }`;
}

/** Cloudflare's "not allowed" 1004 is a permission error (Zero Trust datasets without PII Read), not bad input. */
const isPermissionError = (status: number, errors: readonly CloudflareMessage[] | undefined): boolean =>
  status === 403 || (errors ?? []).some((e) => e.code === 1004 && /not allowed|permission/i.test(e.message));

function fixFor(
  status: number,
  auth: CloudflareAuth,
  path = '',
  hint: RequestHint = {},
  errors?: readonly CloudflareMessage[],
): string {
  if (auth.kind !== 'token' && (status === 401 || status === 403)) {
    return 'check CLOUDFLARE_EMAIL and CLOUDFLARE_API_KEY (the Global API key of that user), or better, use an API token';
  }
  if (status === 401)
    return `check the API token (it is not valid or has expired); ${permissionFix(path, hint.datasets)}`;
  if (isPermissionError(status, errors)) return permissionFix(path, hint.datasets);
  if (status === 404)
    return 'check the account/zone id in the config and that the dataset exists at that level (account vs zone)';
  if (status === 429)
    return 'Cloudflare rate-limits API calls (1200 per 5 minutes per user); wait a few minutes and re-run';
  if (status >= 500) return 'Cloudflare had a problem; re-run later (setup is idempotent)';
  return 'fix the value Cloudflare names in the message (see docs/logpush.md), then re-run';
}

/**
 * A small Cloudflare v4 API client on Node's fetch: auth headers, the `success`/`errors[]` envelope,
 * 429 + Retry-After, retries of idempotent calls, `result_info` pagination and GraphQL.
 * Error messages may contain request details: the CLI masks everything it prints.
 */
export class CloudflareClient {
  readonly baseUrl: string;
  private readonly auth: CloudflareAuth;

  constructor(private readonly options: CloudflareClientOptions) {
    this.baseUrl = (options.baseUrl ?? DEFAULT_BASE_URL).replace(/\/+$/, '');
    this.auth = options.auth;
  }

  private headers(hasBody: boolean): Record<string, string> {
    const h: Record<string, string> = { Accept: 'application/json' };
    if (hasBody) h['Content-Type'] = 'application/json';
    if (this.auth.kind === 'token') h.Authorization = `Bearer ${this.auth.token}`;
    else {
      h['X-Auth-Email'] = this.auth.email;
      h['X-Auth-Key'] = this.auth.key;
    }
    return h;
  }

  /** Sends one request with retries; returns the parsed JSON body of a 2xx answer, or throws CLOUDFLARE_ERROR. */
  private async send(
    method: HttpMethod,
    path: string,
    body?: unknown,
    idempotent = method !== 'POST',
    hint: RequestHint = {},
  ): Promise<{ status: number; json: unknown }> {
    const url = `${this.baseUrl}${path}`;
    const what = `${method} ${path}`;
    const { maxAttempts, sleep, now, fetch, onRetry } = this.options;
    const outcome = await sendWithRetry(
      url,
      () => ({
        method,
        headers: this.headers(body !== undefined),
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      }),
      {
        idempotent,
        timeoutMs: this.options.timeoutMs ?? 30_000,
        ...(maxAttempts === undefined ? {} : { maxAttempts }),
        ...(sleep === undefined ? {} : { sleep }),
        ...(now === undefined ? {} : { now }),
        ...(fetch === undefined ? {} : { fetch }),
        onRetry: ({ reason, waitMs }) =>
          onRetry?.(
            reason.kind === 'network'
              ? `${what}: ${reason.error.message}${causeOf(reason.error)}; retrying`
              : `${what}: HTTP ${reason.status}${reason.status === 429 ? ' (rate limited)' : ''}; retrying in ${Math.ceil(waitMs / 1000)}s`,
          ),
      },
    );
    if (outcome.kind === 'unreachable') {
      throw new TaegisError(
        'CLOUDFLARE_ERROR',
        `${what}: could not reach ${this.baseUrl}: ${outcome.error.message}${causeOf(outcome.error)}`,
        { fix: 'check the network and proxy settings, and CLOUDFLARE_API_BASE_URL if you set it' },
      );
    }
    const res = outcome.response;
    const text = await res.text();
    if (outcome.gaveUp !== undefined) {
      const tried = outcome.attempts;
      const envelope = tryJson(text) as Envelope<unknown> | undefined;
      throw new TaegisError(
        'CLOUDFLARE_ERROR',
        `${what}: HTTP ${res.status} after ${tried} attempt${tried === 1 ? '' : 's'}${
          res.status === 429 ? ' (rate limited)' : ''
        }${outcome.gaveUp === 'retry-after' ? ` (${retryAfterTooLong(outcome.retryAfterMs ?? 0)})` : ''}: ${
          envelope?.errors ? formatCloudflareErrors(envelope.errors) : snippet(text)
        }`,
        { fix: fixFor(res.status, this.auth, path, hint, envelope?.errors) },
      );
    }
    const json = tryJson(text);
    if (json === undefined) {
      throw new TaegisError(
        'CLOUDFLARE_ERROR',
        `${what}: HTTP ${res.status} with a non-JSON answer: ${snippet(text)}`,
        {
          fix: res.ok
            ? 'check CLOUDFLARE_API_BASE_URL points at the Cloudflare API (…/client/v4)'
            : fixFor(res.status, this.auth, path, hint),
        },
      );
    }
    return { status: res.status, json };
  }

  /** A v4 REST call: unwraps `result`, or throws CLOUDFLARE_ERROR with Cloudflare's `errors[]`. */
  async request<T>(
    method: HttpMethod,
    path: string,
    body?: unknown,
    hint: RequestHint = {},
  ): Promise<{ result: T; resultInfo?: ResultInfo }> {
    const { status, json } = await this.send(method, path, body, method !== 'POST', hint);
    const envelope = json as Envelope<T>;
    if (status < 200 || status >= 300 || envelope.success !== true) {
      throw new TaegisError(
        'CLOUDFLARE_ERROR',
        `${method} ${path}: Cloudflare answered HTTP ${status}: ${formatCloudflareErrors(envelope.errors)}`,
        { fix: fixFor(status, this.auth, path, hint, envelope.errors) },
      );
    }
    return { result: envelope.result as T, ...(envelope.result_info ? { resultInfo: envelope.result_info } : {}) };
  }

  async get<T>(path: string, hint: RequestHint = {}): Promise<T> {
    return (await this.request<T>('GET', path, undefined, hint)).result;
  }

  /**
   * Every item of a list endpoint. Follows `result_info` pages when the answer has more than one; an endpoint
   * that answers with a single page (no `result_info`) costs one call.
   */
  async list<T>(path: string, hint: RequestHint = {}): Promise<T[]> {
    const first = await this.request<T[] | null>('GET', path, undefined, hint);
    const items = [...(first.result ?? [])];
    const info = first.resultInfo;
    const perPage = info?.per_page ?? items.length;
    const totalPages =
      info?.total_pages ?? (info?.total_count !== undefined && perPage > 0 ? Math.ceil(info.total_count / perPage) : 1);
    const sep = path.includes('?') ? '&' : '?';
    for (let page = (info?.page ?? 1) + 1; page <= totalPages; page++) {
      const next = await this.request<T[] | null>(
        'GET',
        `${path}${sep}page=${page}&per_page=${perPage}`,
        undefined,
        hint,
      );
      const got = next.result ?? [];
      if (got.length === 0) break;
      items.push(...got);
    }
    return items;
  }

  /** A GraphQL Analytics query; GraphQL `errors[]` (sent with HTTP 200) become CLOUDFLARE_ERROR. */
  async graphql<T>(query: string, variables: Record<string, unknown> = {}): Promise<T> {
    const { status, json } = await this.send('POST', '/graphql', { query, variables }, true);
    const answer = json as {
      data?: T | null;
      errors?: readonly { message: string; path?: readonly unknown[] }[] | null;
    };
    if (answer.errors && answer.errors.length > 0) {
      const msgs = answer.errors.map((e) => (e.path ? `${e.message} (at ${e.path.join('.')})` : e.message)).join('; ');
      throw new TaegisError('CLOUDFLARE_ERROR', `GraphQL query failed (HTTP ${status}): ${msgs}`, {
        fix: /authoriz|permission|access/i.test(msgs)
          ? 'the API token needs "Account Analytics: Read" (accounts) or "Analytics: Read" (zones) for health'
          : fixFor(status, this.auth),
      });
    }
    if (status < 200 || status >= 300 || answer.data === undefined || answer.data === null) {
      throw new TaegisError('CLOUDFLARE_ERROR', `GraphQL query failed: HTTP ${status} without data`, {
        fix: fixFor(status, this.auth),
      });
    }
    return answer.data;
  }
}

/** Node's fetch says only "fetch failed"; the reason (ECONNREFUSED, a TLS error) is in its cause. */
function causeOf(err: Error): string {
  return err.cause instanceof Error ? ` (${err.cause.message})` : '';
}

function tryJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function snippet(text: string): string {
  const one = text.replace(/\s+/g, ' ').trim();
  return one.length > 200 ? `${one.slice(0, 200)}…` : one || '(empty body)';
}
