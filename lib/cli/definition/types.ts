/**
 * The shape of the CLI definition: one table of commands from which the parser, every `--help`, the integer and
 * choice checks and docs/commands.md all come. Data only: nothing here may import command code, so `--help` stays
 * fast (no aws-cdk-lib load).
 */

interface FlagBase {
  /** One paragraph; the help wraps it. Defaults and "(X only)" are added from the other fields. */
  readonly description: string;
  /** One letter: `-c`. */
  readonly short?: string;
  /**
   * The subcommands that take the flag; the command's own name stands for the command run without a subcommand.
   * @default - every form of the command
   */
  readonly in?: readonly string[];
  /** The default as the help shows it, when it is not a fixed value (e.g. "300; 0 with --dry-run"). */
  readonly defaultText?: string;
}

/** `--dry-run`: present or not. */
export interface BooleanFlag extends FlagBase {
  readonly type: 'boolean';
}

/** A free-form value (a path, a URL, a name). */
export interface StringFlag extends FlagBase {
  readonly type: 'string';
  /** What the help shows after the flag: `PATH`. */
  readonly value: string;
  readonly default?: string;
  /**
   * The flag may stand alone: `--json` alone (or followed by another flag) means this value.
   * @default - the flag needs a value
   */
  readonly bare?: string;
  /** A check of the value's form, with the fix named in the error. */
  readonly pattern?: { readonly regex: RegExp; readonly what: string; readonly fix: string };
  /** `-c config=PATH`, the CDK CLI's context form, is taken for this flag. */
  readonly contextKey?: string;
}

/** A whole number within bounds. */
export interface IntFlag extends FlagBase {
  readonly type: 'int';
  readonly value: string;
  readonly min: number;
  readonly max: number;
  readonly default?: number;
  /** The value the error's fix suggests. @default - the default, else min */
  readonly example?: number;
}

/** A decimal number within bounds. */
export interface NumberFlag extends FlagBase {
  readonly type: 'number';
  readonly value: string;
  readonly min: number;
  readonly max: number;
  readonly default?: number;
}

/** One of a fixed set of words. */
export interface ChoiceFlag<C extends string = string> extends FlagBase {
  readonly type: 'choice';
  readonly choices: readonly C[];
  readonly default?: C;
}

/** Repeatable, each value may be a comma list (`--region a,b --region c`): a list without blanks or repeats. */
export interface ListFlag extends FlagBase {
  readonly type: 'list';
  readonly value: string;
  /** Split each value at commas. @default true */
  readonly split?: boolean;
}

export type FlagSpec = BooleanFlag | StringFlag | IntFlag | NumberFlag | ChoiceFlag | ListFlag;
export type FlagSpecs = Readonly<Record<string, FlagSpec>>;

/** A subcommand: `verify restore`, `logpush status`. Its flags are the command's flags whose `in` names it. */
export interface SubcommandSpec {
  readonly summary: string;
  /** Each reads `taegis-migrate <cmd> <sub> ...`. */
  readonly usage: readonly string[];
  readonly description: string;
  readonly exit: string;
}

export interface CommandSpec<F extends FlagSpecs = FlagSpecs> {
  readonly name: string;
  /** The line in `taegis-migrate --help`. */
  readonly summary: string;
  /** Each reads `taegis-migrate <cmd> ...`. */
  readonly usage: readonly string[];
  readonly description: string;
  readonly flags: F;
  readonly subcommands?: Readonly<Record<string, SubcommandSpec>>;
  /** With subcommands: the command also runs without one (`verify` does, `logpush` does not). @default false */
  readonly runsBare?: boolean;
  /** What each exit code means for this command. */
  readonly exit: string;
}

/** The TypeScript type of a flag's value after parsing, inferred from its spec. */
export type FlagValue<F extends FlagSpec> = F extends BooleanFlag
  ? boolean
  : F extends ListFlag
    ? string[]
    : F extends ChoiceFlag<infer C>
      ? F extends { readonly default: string }
        ? C
        : C | undefined
      : F extends IntFlag | NumberFlag
        ? F extends { readonly default: number }
          ? number
          : number | undefined
        : F extends { readonly default: string }
          ? string
          : string | undefined;

/** Every flag's value, typed from the table. */
export type FlagValues<F extends FlagSpecs> = { -readonly [K in keyof F]: FlagValue<F[K]> };

/** The subcommand names of a command, or never. */
export type SubcommandOf<C extends CommandSpec> =
  C['subcommands'] extends Readonly<Record<infer S, SubcommandSpec>> ? S & string : never;

/** Keeps the literal types of a command's table (choices, defaults, subcommand names) for the parser's inference. */
export function defineCommand<const F extends FlagSpecs, const C extends CommandSpec<F>>(spec: C & { flags: F }): C {
  return spec;
}
