import * as path from 'node:path';
import { readConfigJson, zodProblems } from './load.js';
import { invalidInput, TaegisError, type Problem } from '../util/errors.js';
import { LogpushConfigSchema, type LogpushConfigInput } from './logpush.js';

/** The validated logpush config plus where it was read from (secret files are relative to it). */
export type LogpushConfig = LogpushConfigInput & {
  /** Absolute path of the file the config came from. */
  readonly configPath: string;
};

/**
 * Reads the logpush config: the `logpush` section of the main config file when the file has one, else the
 * whole file as a standalone logpush config. Only the logpush part is validated here: the AWS part belongs to
 * the other commands (and the main schema validates the section too, for them).
 */
export function loadLogpushConfig(configPath: string): LogpushConfig {
  const abs = path.resolve(configPath);
  const raw = readConfigJson(
    abs,
    'create it with a "logpush" section (see docs/logpush.md), or pass another path with --config PATH',
  );
  return parseLogpushConfig(raw, abs);
}

/** Keys only the main (AWS migration) config has: a file with one of them but no `logpush` is not a logpush config. */
const MAIN_ONLY_KEYS = ['regions', 'taegisRegion', 'xdrLoginUrl', 'artifactsDir'] as const;

/** Validates an already-read config object (a main config with a `logpush` section, or a standalone one). */
export function parseLogpushConfig(raw: unknown, configPath: string): LogpushConfig {
  const isObject = typeof raw === 'object' && raw !== null && !Array.isArray(raw);
  const isMain = isObject && 'logpush' in raw;
  if (isObject && !isMain && MAIN_ONLY_KEYS.some((k) => k in raw)) {
    throw new TaegisError('CONFIG_INVALID', `config ${configPath} has no "logpush" section`, {
      fix: 'add a "logpush" section (see docs/logpush.md), or pass a standalone logpush config with --config PATH',
    });
  }
  const section = isMain ? raw.logpush : raw;
  // reportInput: zodProblems tells "missing" from "wrong type" by `issue.input`, which zod 4 only sets on request.
  // It never prints the input, so a secret pasted into the config is not echoed.
  const result = LogpushConfigSchema.safeParse(section, { reportInput: true });
  if (!result.success) {
    const problems: Problem[] = zodProblems(result.error).map((p) =>
      isMain ? { ...p, path: p.path === '(root)' ? 'logpush' : `logpush.${p.path}` } : p,
    );
    throw invalidInput('CONFIG_INVALID', `logpush config in ${configPath}`, problems);
  }
  return { ...result.data, configPath };
}
