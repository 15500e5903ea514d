/**
 * The one HTTP retry loop of the tool, shared by the Taegis and Cloudflare API clients: which answers are retried,
 * how long to wait between attempts, and how a server's `Retry-After` is read and bounded.
 *
 * Nothing here builds an error or a message from the request: headers (tokens, API keys) never reach an outcome, so
 * each client reports in its own words and with its own error code.
 */

/** Attempts per request (the first one and four retries). */
export const DEFAULT_ATTEMPTS = 5;

/**
 * The longest `Retry-After` this tool waits. A server asking for more fails the request at once, naming the wait:
 * retrying earlier than the server allows only meets another refusal (and, with Cloudflare, prolongs the block), and
 * a run that sleeps for many minutes in silence looks hung in CI. Two minutes covers the short bursts both APIs ask for.
 */
export const MAX_RETRY_AFTER_MS = 120_000;

const FIRST_BACKOFF_MS = 1_000;
const MAX_BACKOFF_MS = 30_000;

/** The wait before retry `retry` (1 for the first retry) when the server named none: 1 s, doubling, at most 30 s. */
export function backoffMs(retry: number): number {
  return Math.min(MAX_BACKOFF_MS, FIRST_BACKOFF_MS * 2 ** Math.max(0, retry - 1));
}

/**
 * `Retry-After` in milliseconds: delay-seconds (`"120"`) or an HTTP date (`"Wed, 21 Oct 2015 07:28:00 GMT"`, counted
 * from `now`); a date in the past is 0. Anything else (empty, negative, garbage) is undefined: the caller backs off as
 * if there were no header. Not capped here: the caller compares it with MAX_RETRY_AFTER_MS, so the error can name it.
 */
export function retryAfterMs(header: string | null | undefined, now: number): number | undefined {
  const value = header?.trim() ?? '';
  if (value === '') return undefined;
  if (/^\d+(\.\d+)?$/.test(value)) return Math.ceil(Number(value) * 1000);
  // Date.parse accepts bare numbers and odd forms too; an HTTP date always names its weekday or month in letters.
  if (!/[A-Za-z]/.test(value)) return undefined;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** The text both clients put in their error when a server asks for a longer wait than MAX_RETRY_AFTER_MS. */
export function retryAfterTooLong(waitMs: number): string {
  return `Retry-After ${Math.ceil(waitMs / 1000)}s is longer than this tool waits`;
}

/** Why an attempt is retried, for the client's progress note. */
export type RetryReason =
  | { readonly kind: 'status'; readonly status: number }
  | { readonly kind: 'network'; readonly error: Error; readonly timedOut: boolean };

/** Told before each wait. */
export interface RetryNotice {
  readonly reason: RetryReason;
  /** The attempt that failed (1 for the first). */
  readonly attempt: number;
  readonly maxAttempts: number;
  readonly waitMs: number;
}

/** How to send one request. */
export interface RetryOptions {
  /**
   * Whether repeating the request cannot do harm. A 429 is always retried (the server did not act on the request);
   * a 5xx, a timeout or a network error only when this is true, since a create may have happened before the failure.
   */
  readonly idempotent: boolean;
  /**
   * Attempts in all, the first included.
   * @default DEFAULT_ATTEMPTS
   */
  readonly maxAttempts?: number;
  /** Each attempt is aborted after this long. */
  readonly timeoutMs: number;
  /** @default real timers */
  readonly sleep?: (ms: number) => Promise<void>;
  /** For `Retry-After` dates. @default Date.now */
  readonly now?: () => number;
  /** @default globalThis.fetch */
  readonly fetch?: typeof fetch;
  /** Called before each wait. @default - silent */
  readonly onRetry?: (notice: RetryNotice) => void;
}

/** How one request ended. */
export type HttpOutcome =
  /** An answer that is not retried, or the last retryable one (`gaveUp`). The body is unread. */
  | {
      readonly kind: 'answer';
      readonly response: Response;
      readonly attempts: number;
      /**
       * Set when the answer is one that is retried but no retry follows: the attempts ran out, or the server's
       * `Retry-After` (in `retryAfterMs`) is longer than MAX_RETRY_AFTER_MS.
       */
      readonly gaveUp?: 'attempts' | 'retry-after';
      readonly retryAfterMs?: number;
    }
  /** No answer at all on the last attempt (network error or timeout). */
  | { readonly kind: 'unreachable'; readonly error: Error; readonly timedOut: boolean; readonly attempts: number };

const realSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Sends a request with retries. `init` is called for each attempt (a body cannot be sent twice). Waits `Retry-After`
 * when the server names one, else backs off (backoffMs). Never throws for HTTP or network failures: the outcome says
 * what happened and the client words the error.
 */
export async function sendWithRetry(url: string, init: () => RequestInit, options: RetryOptions): Promise<HttpOutcome> {
  const maxAttempts = options.maxAttempts ?? DEFAULT_ATTEMPTS;
  const sleep = options.sleep ?? realSleep;
  const now = options.now ?? Date.now;
  const send = options.fetch ?? fetch;
  for (let attempt = 1; ; attempt++) {
    let response: Response;
    try {
      response = await send(url, { ...init(), signal: AbortSignal.timeout(options.timeoutMs) });
    } catch (err) {
      const error = err instanceof Error ? err : new Error(String(err));
      const timedOut = error.name === 'TimeoutError';
      if (!options.idempotent || attempt >= maxAttempts)
        return { kind: 'unreachable', error, timedOut, attempts: attempt };
      const waitMs = backoffMs(attempt);
      options.onRetry?.({ reason: { kind: 'network', error, timedOut }, attempt, maxAttempts, waitMs });
      await sleep(waitMs);
      continue;
    }
    const retryable = response.status === 429 || (options.idempotent && response.status >= 500);
    if (!retryable) return { kind: 'answer', response, attempts: attempt };
    const asked = retryAfterMs(response.headers.get('retry-after'), now());
    const withWait = asked === undefined ? {} : { retryAfterMs: asked };
    if (asked !== undefined && asked > MAX_RETRY_AFTER_MS) {
      return { kind: 'answer', response, attempts: attempt, gaveUp: 'retry-after', ...withWait };
    }
    if (attempt >= maxAttempts) return { kind: 'answer', response, attempts: attempt, gaveUp: 'attempts', ...withWait };
    const waitMs = asked ?? backoffMs(attempt);
    // The connection is reused only once the body is read.
    await response.arrayBuffer().catch(() => undefined);
    options.onRetry?.({ reason: { kind: 'status', status: response.status }, attempt, maxAttempts, waitMs });
    await sleep(waitMs);
  }
}
