import * as path from 'node:path';
import type { TaegisApiConfig } from '../config/extras-schema.js';
import { TaegisError, type Problem } from '../util/errors.js';
import type { Masker } from '../util/masking.js';
import { readSecret } from '../util/secret-source.js';
import { apiBaseForRegion, TaegisClient, type TaegisClientOptions } from './client.js';

/** The config a `--taegis` run needs, checked before any call. */
export interface TaegisApiSettings {
  readonly baseUrl: string;
  readonly tenantId: string;
  readonly clientId: string;
  readonly clientSecret: string;
}

/**
 * Reads the `taegis` section's secrets (env or file) and picks the API base: `TAEGIS_API_BASE_URL` (passed in by
 * the CLI edge, for tests and private endpoints), else the Taegis region's. Both secrets go to the masker at once.
 * Anything missing is CREDENTIALS_MISSING (exit 2) before a single request.
 */
export function resolveTaegisApi(options: {
  readonly section: TaegisApiConfig | undefined;
  /** Where the section was read from; secret files are relative to it. */
  readonly configPath: string;
  readonly taegisRegion: string | undefined;
  readonly env: NodeJS.ProcessEnv;
  /** `TAEGIS_API_BASE_URL` as the CLI read it. */
  readonly baseUrlOverride: string | undefined;
  readonly masker: Masker;
  /** Path prefix in problems, e.g. "" or "logpush." (never the values). @default "" */
  readonly pathPrefix?: string;
}): TaegisApiSettings {
  const { section, masker } = options;
  if (section === undefined) {
    throw new TaegisError('CREDENTIALS_MISSING', `--taegis needs a "taegis" section in ${options.configPath}`, {
      fix: 'add "taegis": { "tenantId": "...", "clientId": { "env": "TAEGIS_CLIENT_ID" }, "clientSecret": { "env": "TAEGIS_CLIENT_SECRET" } } (see docs/verify.md "Taegis check")',
    });
  }
  const baseDir = path.dirname(options.configPath);
  const id = readSecret(section.clientId, baseDir, options.env);
  const secret = readSecret(section.clientSecret, baseDir, options.env);
  if ('value' in id) masker.add(id.value);
  if ('value' in secret) masker.add(secret.value);
  const problems: Problem[] = [];
  if ('missing' in id) problems.push({ path: 'taegis.clientId', message: id.missing });
  if ('missing' in secret) problems.push({ path: 'taegis.clientSecret', message: secret.missing });
  let baseUrl: string | undefined;
  if (options.baseUrlOverride !== undefined && options.baseUrlOverride !== '') {
    baseUrl = checkBaseUrl(options.baseUrlOverride, problems);
  } else if (options.taegisRegion !== undefined) {
    baseUrl = apiBaseForRegion(options.taegisRegion);
  } else {
    problems.push({
      path: 'taegisRegion',
      message: 'no Taegis region is set, so the API base is unknown',
      fix: 'set "taegisRegion" (or "xdrLoginUrl") in the config, or TAEGIS_API_BASE_URL',
    });
  }
  if (problems.length > 0 || !('value' in id) || !('value' in secret) || baseUrl === undefined) {
    throw new TaegisError('CREDENTIALS_MISSING', 'the Taegis API client is not usable; nothing was called', {
      problems,
      fix: 'create an API client in XDR (see docs/verify.md "Taegis check") and store its id and secret in the named variables or files',
    });
  }
  return { baseUrl, tenantId: section.tenantId, clientId: id.value, clientSecret: secret.value };
}

function checkBaseUrl(value: string, problems: Problem[]): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    problems.push({ path: 'TAEGIS_API_BASE_URL', message: `"${value}" is not a URL`, fix: 'unset it' });
    return undefined;
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && ['127.0.0.1', 'localhost'].includes(url.hostname))) {
    problems.push({
      path: 'TAEGIS_API_BASE_URL',
      message: `"${value}" is not https (plain http only to 127.0.0.1/localhost)`,
      fix: 'use https, or unset it to use the Taegis region',
    });
    return undefined;
  }
  return value.replace(/\/+$/, '');
}

/** The client for these settings (one per run and region: it holds the token). */
export function taegisClient(
  settings: TaegisApiSettings,
  extra: Omit<TaegisClientOptions, 'baseUrl' | 'tenantId' | 'clientId' | 'clientSecret'> = {},
): TaegisClient {
  return new TaegisClient({ ...settings, ...extra });
}
