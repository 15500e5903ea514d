import type { z } from 'zod';
import { loadAppConfigWith } from './config/load-for-app.js';
import {
  DEFAULT_CONFIG_FILE,
  loadConfigWith,
  parseConfigWith,
  type LoadConfigOptions,
  type ResolvedConfig,
} from './config/load.js';
import { MigrationConfigSchema } from './config/schema.js';
import { LogpushConfigSchema } from './logpush/config.js';

/**
 * The whole config file's schema: the migration fields (lib/config/schema.ts) plus the sections other features own.
 * Composed here, above the feature folders, so lib/config depends on none of them (folders import one way).
 */
export const TaegisConfigSchema = MigrationConfigSchema.safeExtend({
  /** Cloudflare Logpush jobs feeding Taegis HTTP ingest (`npm run logpush`); see lib/logpush/config.ts. */
  logpush: LogpushConfigSchema.optional(),
});

/** The config exactly as written in the file, after defaults. */
export type TaegisConfigInput = z.infer<typeof TaegisConfigSchema>;

/** The whole validated config, every section typed. */
export type FullTaegisConfig = ResolvedConfig<TaegisConfigInput>;

/** Reads, parses and validates a config file; throws one TaegisError listing every problem. */
export function loadConfig(
  configPath: string = DEFAULT_CONFIG_FILE,
  options: LoadConfigOptions = {},
): FullTaegisConfig {
  return loadConfigWith(TaegisConfigSchema, configPath, options);
}

/** Validates an already-read config object. `configPath` anchors the relative `artifactsDir`. */
export function parseConfig(raw: unknown, configPath: string, options: LoadConfigOptions = {}): FullTaegisConfig {
  return parseConfigWith(TaegisConfigSchema, raw, configPath, options);
}

/**
 * Loads the config for the commands that build the app (`cdk synth`, `npm run deploy`, `npm run plan`); a rejected
 * file also gets the vendor templates' verdict on its values (see lib/config/load-for-app.ts).
 */
export function loadAppConfig(configPath: string, options: LoadConfigOptions = {}): FullTaegisConfig {
  return loadAppConfigWith(TaegisConfigSchema, configPath, options);
}
