import type { z } from 'zod';
import { LogpushConfigSchema } from './logpush.js';
import { MigrationConfigSchema } from './schema.js';

/**
 * The whole config file's schema: the migration fields (schema.ts) plus the sections other features own, each
 * defined beside it in lib/config.
 */
export const ConfigFileSchema = MigrationConfigSchema.safeExtend({
  /** Cloudflare Logpush jobs feeding Taegis HTTP ingest (`taegis-migrate logpush`); see logpush.ts. */
  logpush: LogpushConfigSchema.optional(),
});

/** The config file exactly as written, after defaults. */
export type ConfigFileInput = z.infer<typeof ConfigFileSchema>;
