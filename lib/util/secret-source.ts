import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { z } from 'zod';
import { MIN_SECRET_LENGTH } from './masking.js';

/**
 * Must equal `FIX_SEPARATOR` of lib/config/schema.ts. Not imported from there: schema.ts imports (through the
 * logpush and taegis schemas) this module, and the cycle would leave it uninitialised while the schema is built.
 */
const SEPARATOR = '\u0000';
const m = (what: string, fix: string): string => `${what}${SEPARATOR}${fix}`;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Where a secret comes from: an environment variable or a file (relative to the config file). Never the value
 * itself: the config file is committed and shown in reviews. Shared by the Logpush and the Taegis API sections.
 */
export const SecretSourceSchema = z
  .strictObject(
    {
      /** Name of an environment variable holding the secret. */
      env: z
        .string()
        .regex(ENV_NAME, m('is not an environment variable name', 'use letters, digits and "_"'))
        .optional(),
      /** Path of a file holding the secret (trailing newline ignored), relative to the config file. */
      file: z.string().min(1, m('is empty', 'give the path of the file holding the secret')).optional(),
    },
    {
      error: m(
        'must be {"env": "VARIABLE"} or {"file": "path"}; secrets are never read from the config file',
        'remove the value from the config, put it in an environment variable or a file readable only by you, and reference that',
      ),
    },
  )
  .refine((s) => (s.env === undefined) !== (s.file === undefined), {
    message: m('must set exactly one of "env" and "file"', 'keep one of them'),
  });
export type SecretSource = z.infer<typeof SecretSourceSchema>;

/** A secret's value, or why it could not be read (never containing the value). */
export type SecretRead = { readonly value: string } | { readonly missing: string };

export function describeSecretSource(source: SecretSource): string {
  return source.env !== undefined ? `environment variable ${source.env}` : `file ${source.file ?? ''}`;
}

/** Reads one secret from its environment variable or file; never puts its value in a message. */
export function readSecret(source: SecretSource, baseDir: string, env: NodeJS.ProcessEnv): SecretRead {
  let value: string | undefined;
  if (source.env !== undefined) {
    value = env[source.env];
    if (value === undefined || value === '') return { missing: `environment variable ${source.env} is not set` };
  } else {
    const file = path.resolve(baseDir, source.file ?? '');
    if (!existsSync(file)) return { missing: `file ${file} does not exist` };
    try {
      value = readFileSync(file, 'utf8');
    } catch (err) {
      return { missing: `file ${file} cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'})` };
    }
  }
  value = value.replace(/\r?\n$/, '');
  if (value.trim() !== value || /\s/.test(value))
    return { missing: `${describeSecretSource(source)} holds whitespace inside the secret` };
  if (value.length < MIN_SECRET_LENGTH)
    return { missing: `${describeSecretSource(source)} holds a value too short to be a real secret` };
  return { value };
}
