import { TaegisError } from './errors.js';

/** What a masked secret is replaced with. */
export const MASK = '****';

/** Secrets shorter than this are refused at load time: masking them would garble ordinary output. */
export const MIN_SECRET_LENGTH = 8;

/**
 * Patterns that hide credentials we do not know the value of, e.g. an old integration key inside the
 * `destination_conf` of a job someone else made. Query parameters `header_*` carry HTTP headers to the
 * destination (Logpush's convention), so every value of them is treated as secret.
 */
const PATTERNS: readonly [RegExp, string][] = [
  [/(header_[A-Za-z0-9_-]+=)[^&\s"'<>]+/gi, `$1${MASK}`],
  [/(\bBearer(?:%20|\+|\s)+)[A-Za-z0-9._~+/=%-]+/gi, `$1${MASK}`],
  [/(\b(?:X-Auth-Key|X-Auth-Email|Authorization)["']?\s*[:=]\s*["']?)[^\s"',&]+/gi, `$1${MASK}`],
  [/([?&](?:access-key-id|secret-access-key|sas|sig|token|api[_-]?key|password)=)[^&\s"'<>]+/gi, `$1${MASK}`],
];

/**
 * Hides secrets in any text that leaves the process. Known secrets (the API token, the integration keys)
 * are replaced in their raw, URL-encoded and JSON-escaped forms; unknown ones by pattern.
 */
export class Masker {
  private readonly secrets = new Set<string>();

  /** Registers a secret value; every later `mask` hides it. */
  add(secret: string): void {
    if (secret.length === 0) return;
    for (const form of [secret, encodeURIComponent(secret), JSON.stringify(secret).slice(1, -1)]) {
      this.secrets.add(form);
    }
  }

  mask(text: string): string {
    let out = text;
    // Longest first, so a secret that contains another one is hidden whole.
    for (const s of [...this.secrets].sort((a, b) => b.length - a.length)) {
      out = out.split(s).join(MASK);
    }
    for (const [re, replacement] of PATTERNS) out = out.replace(re, replacement);
    return out;
  }

  /**
   * The same error with every text masked, for the CLI's single catch to print. Causes are dropped:
   * they are not printed and may hold request bodies.
   */
  maskError(err: unknown): unknown {
    if (err instanceof TaegisError) {
      return new TaegisError(err.code, this.mask(err.message), {
        ...(err.fix === undefined ? {} : { fix: this.mask(err.fix) }),
        problems: err.problems.map((p) => ({
          path: this.mask(p.path),
          message: this.mask(p.message),
          ...(p.fix === undefined ? {} : { fix: this.mask(p.fix) }),
        })),
      });
    }
    if (err instanceof Error) {
      const masked = new Error(this.mask(err.message));
      masked.name = err.name;
      masked.stack = this.mask(err.stack ?? '');
      return masked;
    }
    return new Error(this.mask(String(err)));
  }
}
