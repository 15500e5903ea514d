import { DEFAULT_CONFIG_FILE } from '../config/load.js';
import { IAM_ROLE_NAME } from '../config/schema.js';
import { TaegisError } from '../util/errors.js';

/**
 * The flags that mean the same thing in every command. Commands spread the ones they take into their own
 * `parseFlags` options, so a flag's name, short form and value shape cannot drift between commands.
 */
export const COMMON_FLAGS = {
  /** Config file; `-c config=PATH` (the CDK CLI's context form) is accepted too. */
  config: { type: 'string', short: 'c' },
  /** A region, repeatable, each value may be a comma list. */
  region: { type: 'string', multiple: true },
  /** Named profile from the shared AWS config files. */
  profile: { type: 'string' },
  /** Send every AWS call to this endpoint (moto, LocalStack, a VPC endpoint). */
  'endpoint-url': { type: 'string' },
  /** Machine-readable output: `--json FILE` writes it to FILE, `--json` alone or `--json -` to stdout. */
  json: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** The lines every command's `--help` shows for the common flags it takes, worded once. */
export const COMMON_HELP = {
  config: `  -c, --config PATH         config file (default ${DEFAULT_CONFIG_FILE}; -c config=PATH also works)`,
  region: '  --region R                only this region (repeatable, or a comma list: --region us-east-1,eu-west-1)',
  profile: '  --profile NAME            AWS named profile (default: the SDK chain, AWS_PROFILE, env credentials, SSO)',
  'endpoint-url': '  --endpoint-url URL        send every AWS call to URL (default: AWS_ENDPOINT_URL, else AWS)',
  json: '  --json [FILE]             machine-readable report into FILE (stdout when FILE is left out or "-")',
  help: '  -h, --help                show this help',
} as const;

/** The config path from `--config PATH`, `-c PATH` or `-c config=PATH`. */
export function configPathFrom(value: string | undefined): string {
  if (value === undefined) return DEFAULT_CONFIG_FILE;
  const context = /^([A-Za-z][\w-]*)=/.exec(value);
  if (context && context[1] !== 'config') {
    throw new TaegisError('INPUT_INVALID', `-c ${value}: only -c config=PATH is taken here`, {
      fix: context[1] === 'region' ? 'pass --region R (repeatable, or a comma list)' : 'pass --config PATH',
    });
  }
  const path = context ? value.slice('config='.length) : value;
  if (path === '') {
    throw new TaegisError('INPUT_INVALID', '--config is empty', { fix: 'pass --config PATH (or -c config=PATH)' });
  }
  return path;
}

/** A repeatable flag whose values may be comma lists (`--region a,b --region c`), as a list without blanks or repeats. */
export function listFlag(...values: readonly (readonly string[] | undefined)[]): string[] {
  const items = values
    .flatMap((v) => v ?? [])
    .flatMap((v) => v.split(','))
    .map((v) => v.trim())
    .filter((v) => v !== '');
  return [...new Set(items)];
}

/**
 * Lets `--json` stand alone: when the next argument is missing or is another flag, `-` (stdout) is inserted, so
 * `parseArgs` can keep `--json` a string flag. `--json=FILE` and `--json FILE` pass through unchanged.
 */
export function withOptionalValue(argv: readonly string[], flag: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    out.push(arg);
    if (arg === '--') {
      out.push(...argv.slice(i + 1));
      break;
    }
    const next = argv[i + 1];
    if (arg === flag && (next === undefined || (next.startsWith('-') && next !== '-'))) out.push('-');
  }
  return out;
}

/** True when a `--json` value means stdout. */
export function isStdout(value: string | undefined): boolean {
  return value === '-';
}

/** `--role-name NAME`, checked as an IAM role name (exit 2 before any call): the name only, no path, no ARN. */
export function roleNameFlag(value: string | undefined): string | undefined {
  if (value !== undefined && !IAM_ROLE_NAME.test(value)) {
    throw new TaegisError('INPUT_INVALID', `--role-name "${value}" is not an IAM role name`, {
      fix: 'use the role name only: 1-64 letters, digits and + = , . @ _ - (no path, no ARN)',
    });
  }
  return value;
}
