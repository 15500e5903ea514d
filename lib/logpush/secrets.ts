import * as path from 'node:path';
import { TaegisError, type Problem } from '../util/errors.js';
import { scopesOf } from '../config/logpush.js';
import type { LogpushConfig } from '../config/logpush-load.js';
import type { Masker } from '../util/masking.js';
import { readSecret } from '../util/secret-source.js';

/** How requests to the Cloudflare API authenticate. A token is preferred; the legacy key is a fallback. */
export type CloudflareAuth =
  | { readonly kind: 'token'; readonly token: string }
  | { readonly kind: 'key'; readonly email: string; readonly key: string };

export const DEFAULT_TOKEN_ENV = 'CLOUDFLARE_API_TOKEN';
export const DEFAULT_KEY_ENV = 'CLOUDFLARE_API_KEY';
export const DEFAULT_EMAIL_ENV = 'CLOUDFLARE_EMAIL';

/**
 * Finds the Cloudflare credentials: the API token first (`auth.apiToken`, default env CLOUDFLARE_API_TOKEN);
 * only when no token is found, the legacy e-mail + Global API key pair. Registers them with the masker.
 */
export function resolveAuth(config: LogpushConfig, env: NodeJS.ProcessEnv, masker: Masker): CloudflareAuth {
  const baseDir = path.dirname(config.configPath);
  const tokenSource = config.auth.apiToken ?? { env: DEFAULT_TOKEN_ENV };
  const token = readSecret(tokenSource, baseDir, env);
  if ('value' in token) {
    masker.add(token.value);
    return { kind: 'token', token: token.value };
  }
  const keySource = config.auth.apiKey ?? { env: DEFAULT_KEY_ENV };
  const emailSource = config.auth.email ?? { env: DEFAULT_EMAIL_ENV };
  const key = readSecret(keySource, baseDir, env);
  const email = readSecret(emailSource, baseDir, env);
  if ('value' in key) masker.add(key.value);
  // A token that was explicitly configured but is missing is an error even if a legacy key exists: the user
  // asked for the token, and silently using a more powerful key would be a surprise.
  if (config.auth.apiToken === undefined && 'value' in key && 'value' in email) {
    return { kind: 'key', email: email.value, key: key.value };
  }
  const problems: Problem[] = [{ path: 'logpush.auth.apiToken', message: token.missing }];
  if (config.auth.apiToken === undefined) {
    if ('missing' in key) problems.push({ path: 'logpush.auth.apiKey', message: key.missing });
    if ('missing' in email) problems.push({ path: 'logpush.auth.email', message: email.missing });
  }
  throw new TaegisError('CREDENTIALS_MISSING', 'no Cloudflare API credentials found; nothing was changed', {
    problems,
    fix: `export ${DEFAULT_TOKEN_ENV} (an API token with Logs Write and Account/Zone Analytics Read), or point "logpush.auth.apiToken" at a file holding it`,
  });
}

/** Key of an integration key in the map `resolveIntegrationKeys` returns. */
export const datasetKey = (kind: string, id: string, dataset: string): string => `${kind}/${id}/${dataset}`;

/**
 * Reads every configured integration key before any Cloudflare call, so a missing one is reported (all of
 * them at once) before anything changes. Registers them with the masker. `bestEffort` (status, health: they
 * do not need the keys) only registers the keys it finds, so they are masked even outside `header_*` values.
 */
export function resolveIntegrationKeys(
  config: LogpushConfig,
  env: NodeJS.ProcessEnv,
  masker: Masker,
  options: { readonly bestEffort?: boolean } = {},
): Map<string, string> {
  const baseDir = path.dirname(config.configPath);
  const keys = new Map<string, string>();
  const problems: Problem[] = [];
  for (const scope of scopesOf(config)) {
    const listKey = scope.kind === 'account' ? 'accounts' : 'zones';
    const index = (scope.kind === 'account' ? config.accounts : config.zones).findIndex((s) => s.id === scope.id);
    scope.datasets.forEach((d, j) => {
      const read = readSecret(d.integrationKey, baseDir, env);
      if ('value' in read) {
        masker.add(read.value);
        keys.set(datasetKey(scope.kind, scope.id, d.dataset), read.value);
      } else {
        problems.push({
          path: `logpush.${listKey}[${index}].datasets[${j}].integrationKey`,
          message: read.missing,
          fix: `provide the Taegis integration key for ${d.dataset} there`,
        });
      }
    });
  }
  if (problems.length > 0 && !options.bestEffort) {
    throw new TaegisError(
      'CREDENTIALS_MISSING',
      `${problems.length} Taegis integration key(s) missing; nothing was changed`,
      {
        problems,
        fix: 'each key is shown once when the Taegis HTTP ingest integration is created; store it in the named variable or file',
      },
    );
  }
  return keys;
}
