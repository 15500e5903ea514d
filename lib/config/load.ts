import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import type { z } from 'zod';
import type { ArtifactPaths } from '../artifacts/vendor.js';
import { invalidInput, TaegisError, type Problem } from '../util/errors.js';
import { resolveLambdaRuntime, type ResolvedRuntime } from './runtime.js';
import { ConfigFileSchema, type ConfigFileInput } from './file-schema.js';
import { deriveTaegisRegion, FIX_SEPARATOR, type LambdaRuntime, type MigrationConfigInput } from './schema.js';
import { templateProblemsOfRawConfig } from './template-problems.js';

/** Default config file name, looked up in the working directory. */
export const DEFAULT_CONFIG_FILE = 'taegis.config.json';

/** A config's fields as parsed, with everything relative resolved. Passed down typed; nothing re-reads the file. */
export type ResolvedConfig<I extends MigrationConfigInput> = Omit<I, 'taegisRegion' | 'lambdaRuntime'> & {
  /** The Taegis region, given or derived from `xdrLoginUrl`. */
  readonly taegisRegion: string;
  /** The runtime, as written or the default for the load's date (lib/config/runtime.ts). */
  readonly lambdaRuntime: LambdaRuntime;
  /** Whether the file set `lambdaRuntime` or the date chose it. */
  readonly lambdaRuntimeChosenBy: ResolvedRuntime['chosenBy'];
  /** Absolute path of the config file. */
  readonly configPath: string;
  /** Absolute paths of the vendor artifacts. */
  readonly artifactPaths: ArtifactPaths;
};

export interface LoadConfigOptions {
  /**
   * Today, for the runtime rule (the default `lambdaRuntime`, the refusal of a runtime AWS no longer updates).
   * @default - the current date
   */
  readonly now?: Date;
  /**
   * When the schema rejects the file, also judge its values against the vendor templates' `AllowedValues`, so one
   * error lists every problem (the commands that build the app: synth, plan, deploy, `cdk synth`).
   * @default false
   */
  readonly templateProblems?: boolean;
}

/** The migration part of the config, which most of lib/ needs (a `ConfigFile` is one). */
export type MigrationConfig = ResolvedConfig<MigrationConfigInput>;

/** The whole validated config file, every section typed. */
export type ConfigFile = ResolvedConfig<ConfigFileInput>;

/** Reads, parses and validates a config file; throws one TaegisError listing every problem. */
export function loadConfig(configPath: string = DEFAULT_CONFIG_FILE, options: LoadConfigOptions = {}): ConfigFile {
  const abs = path.resolve(configPath);
  const raw = readConfigJson(
    abs,
    `create it (see docs/config.md, or run "taegis-migrate discover --write ${configPath}"), or pass another path with -c config=PATH / --config PATH`,
  );
  try {
    return parseConfig(raw, abs, options);
  } catch (err) {
    if (!options.templateProblems || !(err instanceof TaegisError) || err.code !== 'CONFIG_INVALID') throw err;
    if (err.problems.length === 0) throw err;
    const seen = new Set(err.problems.map((p) => p.path));
    const extra = templateProblemsOfRawConfig(raw, abs).filter((p) => !seen.has(p.path));
    if (extra.length === 0) throw err;
    throw invalidInput('CONFIG_INVALID', `config ${abs}`, [...err.problems, ...extra]);
  }
}

/**
 * Reads a config file as JSON: a missing file or a syntax error is bad input with its fix. `missingFix` says how to
 * create the file for the command at hand.
 */
export function readConfigJson(abs: string, missingFix: string): unknown {
  if (!existsSync(abs)) {
    throw new TaegisError('CONFIG_NOT_FOUND', `config file ${abs} does not exist`, { fix: missingFix });
  }
  try {
    return JSON.parse(readFileSync(abs, 'utf8')) as unknown;
  } catch (err) {
    throw new TaegisError('CONFIG_INVALID', `config file ${abs} is not valid JSON: ${(err as Error).message}`, {
      fix: 'fix the JSON syntax (a trailing comma or a missing quote is the usual cause)',
    });
  }
}

/** Validates an already-read config object. `configPath` anchors the relative `artifactsDir`. */
export function parseConfig(raw: unknown, configPath: string, options: LoadConfigOptions = {}): ConfigFile {
  // reportInput lets zodProblems tell a missing field from one of the wrong type.
  const result = ConfigFileSchema.safeParse(raw, { reportInput: true });
  if (!result.success) {
    throw invalidInput('CONFIG_INVALID', `config ${configPath}`, [
      ...zodProblems(result.error),
      ...eitherOrProblems(raw, result.error),
    ]);
  }
  const cfg = result.data;
  const taegisRegion = cfg.taegisRegion ?? deriveTaegisRegion(cfg.xdrLoginUrl ?? '');
  if (taegisRegion === undefined) {
    // Unreachable: the schema's refinement already rejects this; kept so the type is narrowed honestly.
    throw new TaegisError('CONFIG_INVALID', 'no Taegis region', { fix: 'set "taegisRegion"' });
  }
  const runtime = resolveLambdaRuntime(cfg, options.now ?? new Date());
  if (runtime.problem) throw invalidInput('CONFIG_INVALID', `config ${configPath}`, [runtime.problem]);
  const artifactsDir = path.resolve(path.dirname(configPath), cfg.artifactsDir);
  return {
    ...cfg,
    taegisRegion,
    lambdaRuntime: runtime.resolved.runtime,
    lambdaRuntimeChosenBy: runtime.resolved.chosenBy,
    configPath,
    artifactsDir,
    artifactPaths: {
      lambdaZip: path.join(artifactsDir, cfg.artifacts.lambdaZip),
      sharedTemplate: path.join(artifactsDir, cfg.artifacts.sharedTemplate),
      lambdaTemplate: path.join(artifactsDir, cfg.artifacts.lambdaTemplate),
      credentials: path.join(artifactsDir, cfg.artifacts.credentials),
    },
  };
}

/**
 * Limits the config to the named regions (from `-c region=` or `--region`).
 * A name that is not configured is bad input, not an empty run.
 */
export function selectRegions<C extends MigrationConfig>(config: C, wanted: readonly string[]): C {
  const names = wanted
    .flatMap((w) => w.split(','))
    .map((w) => w.trim())
    .filter((w) => w.length > 0);
  if (names.length === 0) return config;
  const configured = new Set(config.regions.map((r) => r.region));
  const unknown = names.filter((n) => !configured.has(n));
  if (unknown.length > 0) {
    throw new TaegisError('INPUT_INVALID', `region ${unknown.join(', ')} is not in ${config.configPath}`, {
      fix: `use one of ${[...configured].join(', ')}, or add the region to "regions" in the config`,
    });
  }
  const keep = new Set(names);
  return { ...config, regions: config.regions.filter((r) => keep.has(r.region)) };
}

/**
 * Limits the config to the named accounts (from `-c account=` or `--account`, repeatable or comma list).
 * An account that is not configured is bad input, not an empty run.
 */
export function selectAccounts(config: MigrationConfig, wanted: readonly string[]): MigrationConfig {
  const ids = wanted
    .flatMap((w) => w.split(','))
    .map((w) => w.trim())
    .filter((w) => w.length > 0);
  if (ids.length === 0) return config;
  const configured = new Set(config.regions.map((r) => r.account));
  const unknown = ids.filter((n) => !configured.has(n));
  if (unknown.length > 0) {
    throw new TaegisError('INPUT_INVALID', `account ${unknown.join(', ')} is not in ${config.configPath}`, {
      fix: `use one of ${[...configured].join(', ')} (12 digits), or add the account's regions to "regions" in the config`,
    });
  }
  const keep = new Set(ids);
  return { ...config, regions: config.regions.filter((r) => keep.has(r.account)) };
}

/**
 * zod runs the schema's cross-field refinement only once every field has the right shape; the
 * "exactly one of taegisRegion / xdrLoginUrl" rule is worth reporting alongside the other mistakes.
 */
function eitherOrProblems(raw: unknown, error: z.ZodError): Problem[] {
  if (typeof raw !== 'object' || raw === null) return [];
  const already = error.issues.some(
    (i) => i.path.length <= 1 && (i.path[0] ?? 'xdrLoginUrl') === 'xdrLoginUrl' && i.code === 'custom',
  );
  if (already) return [];
  const record = raw as Record<string, unknown>;
  const hasRegion = record.taegisRegion !== undefined;
  const hasUrl = record.xdrLoginUrl !== undefined;
  if (hasRegion && hasUrl) {
    return [
      { path: 'xdrLoginUrl', message: 'both "taegisRegion" and "xdrLoginUrl" are set', fix: 'set exactly one of them' },
    ];
  }
  if (!hasRegion && !hasUrl) {
    return [
      { path: '(root)', message: 'neither "taegisRegion" nor "xdrLoginUrl" is set', fix: 'set exactly one of them' },
    ];
  }
  return [];
}

/** Turns a JSON path array into `regions[0].lambdaStacks[1].stackName`. */
export function formatPath(segments: readonly PropertyKey[]): string {
  let out = '';
  for (const s of segments) {
    if (typeof s === 'number') out += `[${s}]`;
    else out += out === '' ? String(s) : `.${String(s)}`;
  }
  return out === '' ? '(root)' : out;
}

export function zodProblems(error: z.ZodError): Problem[] {
  const problems: Problem[] = [];
  for (const issue of error.issues) {
    const at = formatPath(issue.path);
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) {
        problems.push({
          path: formatPath([...issue.path, key]),
          message: 'is not a known field',
          fix: 'remove it or correct its spelling (field names are case-sensitive; see docs/config.md)',
        });
      }
      continue;
    }
    if (issue.code === 'invalid_type' && issue.input === undefined) {
      problems.push({
        path: at,
        message: 'is required but missing',
        fix: `add "${String(issue.path.at(-1) ?? '')}" (see docs/config.md)`,
      });
      continue;
    }
    // A schema's own message (with its fix) wins over the generic wording below.
    if (issue.code === 'invalid_type' && !issue.message.includes(FIX_SEPARATOR)) {
      const found = Array.isArray(issue.input) ? 'array' : issue.input === null ? 'null' : typeof issue.input;
      problems.push({
        path: at,
        message: `must be ${issue.expected === 'array' || issue.expected === 'object' ? 'an' : 'a'} ${issue.expected}, not ${found === 'array' || found === 'object' ? 'an' : 'a'} ${found}`,
        fix:
          issue.expected === 'string'
            ? 'write the value in double quotes'
            : `write it as ${issue.expected === 'array' ? 'a JSON array [...]' : issue.expected === 'object' ? 'a JSON object {...}' : `a ${issue.expected}`}`,
      });
      continue;
    }
    const [what, fix] = issue.message.split(FIX_SEPARATOR);
    problems.push({ path: at, message: what ?? issue.message, ...(fix ? { fix } : {}) });
  }
  return problems;
}
