/**
 * Stable error codes. Users and CI may match on them, so never rename one; add new ones instead.
 *
 * Codes starting with `INPUT_` / `CONFIG_` / `ARTIFACT_` mean bad input: exit code 2 and nothing was written.
 */
export type ErrorCode =
  | 'CONFIG_NOT_FOUND'
  | 'CONFIG_INVALID'
  | 'ARTIFACT_INVALID'
  | 'INPUT_INVALID'
  | 'CREDENTIALS_MISSING'
  | 'ENDPOINT_UNREACHABLE'
  | 'INTERRUPTED'
  | 'AWS_ERROR'
  | 'CHECK_FAILED'
  | 'CONFLICT'
  | 'CLOUDFLARE_ERROR'
  | 'TAEGIS_API_ERROR'
  | 'AWS_UNEXPECTED_ANSWER';

/**
 * Exit codes shared by every command: 0 pass, 1 a check failed, 2 bad input, 3 unexpected (a bug in this tool, or an
 * answer from AWS or an endpoint that it does not know). 3 is apart from 1 so that a CI gate can tell a bug from a red
 * migration.
 */
export const ExitCode = { Ok: 0, CheckFailed: 1, BadInput: 2, Unexpected: 3 } as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** One problem found in the input, with where it is and how to fix it. */
export interface Problem {
  /** JSON path (`regions[0].lambdaStacks[1].notificationBucket`) or file path the problem is at. */
  readonly path: string;
  /** What is wrong. */
  readonly message: string;
  /** How to fix it. */
  readonly fix?: string;
}

const BAD_INPUT_CODES: ReadonlySet<ErrorCode> = new Set([
  'CONFIG_NOT_FOUND',
  'CONFIG_INVALID',
  'ARTIFACT_INVALID',
  'INPUT_INVALID',
  'CREDENTIALS_MISSING',
  'ENDPOINT_UNREACHABLE',
]);

/** Answers nobody planned for: exit 3, never taken for a failed check. */
const UNEXPECTED_CODES: ReadonlySet<ErrorCode> = new Set(['AWS_UNEXPECTED_ANSWER']);

/**
 * The project's one error type. Thrown anywhere; caught once by each CLI entry point, which prints
 * `error CODE: cause` plus the fix and sets the exit code.
 */
export class TaegisError extends Error {
  public readonly code: ErrorCode;
  public readonly fix?: string;
  public readonly problems: readonly Problem[];

  constructor(
    code: ErrorCode,
    message: string,
    options: { fix?: string; problems?: readonly Problem[]; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'TaegisError';
    this.code = code;
    this.fix = options.fix;
    this.problems = options.problems ?? [];
  }

  /** True when the error is the user's input (config, flags, artifacts, credentials): exit code 2. */
  get isBadInput(): boolean {
    return BAD_INPUT_CODES.has(this.code);
  }

  get exitCode(): ExitCode {
    if (this.isBadInput) return ExitCode.BadInput;
    return UNEXPECTED_CODES.has(this.code) ? ExitCode.Unexpected : ExitCode.CheckFailed;
  }

  /** The full human text: the cause, each problem on its own line with its path and fix, then the overall fix. */
  format(): string {
    const lines = [`error ${this.code}: ${this.message}`];
    for (const p of this.problems) {
      lines.push(`  - ${p.path}: ${p.message}${p.fix ? ` (fix: ${p.fix})` : ''}`);
    }
    if (this.fix) lines.push(`fix: ${this.fix}`);
    return lines.join('\n');
  }
}

/** Builds the one-error-for-every-problem that bad input produces. */
export function invalidInput(
  code: Extract<ErrorCode, 'CONFIG_INVALID' | 'ARTIFACT_INVALID' | 'INPUT_INVALID'>,
  subject: string,
  problems: readonly Problem[],
): TaegisError {
  const n = problems.length;
  return new TaegisError(code, `${subject}: ${n} problem${n === 1 ? '' : 's'} found; nothing was changed`, {
    problems,
  });
}

/**
 * The CLI's single catch: prints a TaegisError's text (or a one-line unexpected error) to stderr and
 * returns the exit code to use. Never prints a stack for expected errors.
 */
export function reportError(
  err: unknown,
  write: (line: string) => void = (l) => process.stderr.write(`${l}\n`),
): ExitCode {
  if (err instanceof TaegisError) {
    write(err.format());
    return err.exitCode;
  }
  const message = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  write(`error UNEXPECTED: ${message}`);
  write('fix: this is a bug or an unexpected AWS answer; re-run with DEBUG=1 for the stack trace and report it');
  if (process.env.DEBUG && err instanceof Error && err.stack) write(err.stack);
  return ExitCode.Unexpected;
}
