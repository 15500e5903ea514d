import { TaegisError } from '../util/errors.js';
import { normalizeTaegisRegion } from '../facts/taegis.js';
import { retryAfterTooLong, sendWithRetry } from '../util/http.js';

/** The token path of the Taegis API (OAuth2 client credentials), as the vendor's SDKs use it. */
export const TOKEN_PATH = '/auth/api/v2/auth/token';
/** The GraphQL gateway path (the Python SDK's DEFAULT_GATEWAY). */
export const GRAPHQL_PATH = '/graphql';

/**
 * The API base of a Taegis region: `ctpx` is `https://api.ctpx.secureworks.com`, every other region
 * `https://api.<region>.taegis.secureworks.com` (the Python SDK's TAEGIS_ENVIRONMENT_URLS follow this pattern).
 * An alias (`us1`, `eu`, ...) is the host of its environment, never `api.us1.taegis...` (no such host).
 */
export function apiBaseForRegion(taegisRegion: string): string {
  const r = normalizeTaegisRegion(taegisRegion);
  return r === 'ctpx' ? 'https://api.ctpx.secureworks.com' : `https://api.${r}.taegis.secureworks.com`;
}

export interface TaegisClientOptions {
  /** API base, e.g. `https://api.delta.taegis.secureworks.com` (no trailing slash needed). */
  readonly baseUrl: string;
  /** Sent as `X-Tenant-Context` on every GraphQL request. */
  readonly tenantId: string;
  readonly clientId: string;
  readonly clientSecret: string;
  /**
   * Attempts per request on 429, 5xx and network errors (lib/util/http.ts).
   * @default DEFAULT_ATTEMPTS (5)
   */
  readonly maxAttempts?: number;
  /** @default real timers */
  readonly sleep?: (ms: number) => Promise<void>;
  /** Token expiry and `Retry-After` dates. @default Date.now */
  readonly now?: () => number;
  /** @default globalThis.fetch */
  readonly fetch?: typeof fetch;
  /** Told about each retry (already free of secrets). @default - silent */
  readonly onRetry?: (message: string) => void;
}

interface Token {
  readonly value: string;
  /** Epoch ms after which the token is not used any more (its expiry less a margin). */
  readonly usableUntil: number;
}

/** A token is renewed this long before it expires, so a request never leaves with one about to lapse. */
const EXPIRY_MARGIN_MS = 60_000;

/**
 * A small Taegis API client: one OAuth2 client-credentials token per client (one client per run and region),
 * renewed when it expires or the API answers 401; GraphQL with the tenant header; retries on 429, 5xx and network
 * errors as lib/util/http.ts does for every API. Messages never carry the token, the client id or the secret.
 */
export class TaegisClient {
  private token?: Token;
  private pendingToken?: Promise<Token>;
  private readonly base: string;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly now: () => number;
  /** Tokens fetched so far (tests check that one run asks once). */
  public tokensFetched = 0;

  constructor(private readonly options: TaegisClientOptions) {
    this.base = options.baseUrl.replace(/\/+$/, '');
    this.sleep = options.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
    this.now = options.now ?? Date.now;
  }

  get baseUrl(): string {
    return this.base;
  }

  /** Runs a GraphQL query and returns its `data`; GraphQL errors are thrown as TAEGIS_API_ERROR. */
  async query<T>(operation: string, query: string, variables: Record<string, unknown>): Promise<T> {
    let renewed = false;
    for (;;) {
      const token = await this.getToken();
      const res = await this.send(`${operation}`, `${this.base}${GRAPHQL_PATH}`, () => ({
        method: 'POST',
        headers: {
          authorization: `Bearer ${token.value}`,
          'x-tenant-context': this.options.tenantId,
          'content-type': 'application/json',
          accept: 'application/json',
        },
        body: JSON.stringify({ query, variables }),
      }));
      if (res.status === 401 && !renewed) {
        // Revoked or expired early: one fresh token, then the answer stands.
        renewed = true;
        if (this.token === token) this.token = undefined;
        continue;
      }
      const text = await res.text();
      if (res.status === 401 || res.status === 403) {
        throw new TaegisError('TAEGIS_API_ERROR', `Taegis API refused ${operation} (HTTP ${res.status})`, {
          fix: 'give the API client a role that may read data sources in this tenant (see docs/verify.md "Taegis check"), and check "taegis.tenantId"',
        });
      }
      if (!res.ok) {
        throw new TaegisError('TAEGIS_API_ERROR', `Taegis API answered HTTP ${res.status} to ${operation}`, {
          fix: 'retry later; if it persists, check the Taegis status page',
        });
      }
      let body: { data?: T; errors?: readonly { message?: string }[] };
      try {
        body = JSON.parse(text) as typeof body;
      } catch {
        throw new TaegisError('TAEGIS_API_ERROR', `Taegis API answered ${operation} with something not JSON`, {
          fix: 'check TAEGIS_API_BASE_URL, if set, and the Taegis region in the config',
        });
      }
      if (body.errors && body.errors.length > 0) {
        const msgs = body.errors.map((e) => e.message ?? 'unknown error').join('; ');
        throw new TaegisError('TAEGIS_API_ERROR', `Taegis API: ${operation}: ${msgs.slice(0, 500)}`, {
          fix: 'check the API client role and the tenant id; this may also be a change in the Taegis API',
        });
      }
      if (body.data === undefined || body.data === null) {
        throw new TaegisError('TAEGIS_API_ERROR', `Taegis API answered ${operation} without data`, {
          fix: 'retry later',
        });
      }
      return body.data;
    }
  }

  private async getToken(): Promise<Token> {
    if (this.token && this.token.usableUntil > this.now()) return this.token;
    // Concurrent checks share one token request.
    this.pendingToken ??= this.fetchToken().finally(() => {
      this.pendingToken = undefined;
    });
    this.token = await this.pendingToken;
    return this.token;
  }

  private async fetchToken(): Promise<Token> {
    const basic = Buffer.from(`${this.options.clientId}:${this.options.clientSecret}`).toString('base64');
    const res = await this.send('the token request', `${this.base}${TOKEN_PATH}`, () => ({
      method: 'POST',
      headers: {
        authorization: `Basic ${basic}`,
        'content-type': 'application/x-www-form-urlencoded',
        accept: 'application/json',
      },
      body: 'grant_type=client_credentials',
    }));
    this.tokensFetched += 1;
    if (res.status === 400 || res.status === 401 || res.status === 403) {
      throw new TaegisError('TAEGIS_API_ERROR', `Taegis rejected the API client credentials (HTTP ${res.status})`, {
        fix: 'check the client id and secret named by "taegis.clientId" / "taegis.clientSecret" and the Taegis region; create a new API client in XDR if the secret was lost',
      });
    }
    if (!res.ok) {
      throw new TaegisError('TAEGIS_API_ERROR', `Taegis token endpoint answered HTTP ${res.status}`, {
        fix: 'retry later',
      });
    }
    let body: { access_token?: unknown; expires_in?: unknown };
    try {
      body = (await res.json()) as typeof body;
    } catch {
      body = {};
    }
    if (typeof body.access_token !== 'string' || body.access_token === '') {
      throw new TaegisError('TAEGIS_API_ERROR', 'Taegis token endpoint answered without an access token', {
        fix: 'check TAEGIS_API_BASE_URL, if set, and the Taegis region in the config',
      });
    }
    const expiresAt = tokenExpiry(body.access_token, body.expires_in, this.now());
    return { value: body.access_token, usableUntil: expiresAt - EXPIRY_MARGIN_MS };
  }

  /** One HTTP exchange with the shared retry policy (lib/util/http.ts); every Taegis call is safe to repeat (a token, reads). */
  private async send(what: string, url: string, init: () => RequestInit): Promise<Response> {
    const outcome = await sendWithRetry(url, init, {
      idempotent: true,
      timeoutMs: 60_000,
      sleep: this.sleep,
      now: this.now,
      ...(this.options.maxAttempts === undefined ? {} : { maxAttempts: this.options.maxAttempts }),
      ...(this.options.fetch === undefined ? {} : { fetch: this.options.fetch }),
      onRetry: ({ reason, attempt, maxAttempts, waitMs }) =>
        this.options.onRetry?.(
          `Taegis API ${what}: ${reason.kind === 'status' ? `HTTP ${reason.status}` : failureOf(reason.timedOut)}; retry ${attempt}/${maxAttempts - 1} in ${Math.ceil(waitMs / 1000)} s`,
        ),
    });
    if (outcome.kind === 'unreachable') {
      throw new TaegisError(
        'TAEGIS_API_ERROR',
        `Taegis API ${what}: ${failureOf(outcome.timedOut)} after ${outcome.attempts} attempts`,
        { fix: `check that ${new URL(url).host} is reachable from here (proxy, firewall)` },
      );
    }
    if (outcome.gaveUp === 'retry-after') {
      await outcome.response.arrayBuffer().catch(() => undefined);
      throw new TaegisError(
        'TAEGIS_API_ERROR',
        `Taegis API ${what}: HTTP ${outcome.response.status} (${retryAfterTooLong(outcome.retryAfterMs ?? 0)})`,
        {
          fix: `the Taegis API asks this client to wait; re-run in ${Math.ceil((outcome.retryAfterMs ?? 0) / 60_000)} min, and if it persists check the Taegis status page`,
        },
      );
    }
    // A retryable answer whose attempts ran out is worded by the caller, like any other status.
    return outcome.response;
  }
}

const failureOf = (timedOut: boolean): string => (timedOut ? 'timed out' : 'network error');

/** When a token expires: `expires_in` when given, else the JWT's `exp`, else an hour (the usual lifetime). */
export function tokenExpiry(token: string, expiresIn: unknown, now: number): number {
  if (typeof expiresIn === 'number' && expiresIn > 0) return now + expiresIn * 1000;
  const payload = token.split('.')[1];
  if (payload) {
    try {
      const exp = (JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { exp?: unknown }).exp;
      if (typeof exp === 'number') return exp * 1000;
    } catch {
      // Not a JWT: fall through to the default lifetime.
    }
  }
  return now + 3_600_000;
}
