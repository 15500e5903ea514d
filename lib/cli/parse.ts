import { invalidInput, TaegisError, type Problem } from '../util/errors.js';
import { DEFINITION, type CommandName } from './definition/index.js';
import type { CommandSpec, FlagSpec, FlagValues, SubcommandOf } from './definition/types.js';
import { commandHelp } from './help.js';

/** A command line read against the table. */
export interface Parsed<C extends CommandSpec> {
  /** Every flag of the command, typed from its spec: given, or its default. */
  readonly values: FlagValues<C['flags']>;
  /** The subcommand given. @default - none */
  readonly sub: SubcommandOf<C> | undefined;
  /** `--help` or `-h` was given: the help to print; nothing else was checked. */
  readonly help?: string;
}

interface Options {
  /**
   * Values that are placeholders (`<FILE>`) or shell variables (`$REGION`) pass the value checks: a documented
   * command line is checked for its shape, not for values a reader fills in.
   */
  readonly placeholders?: boolean;
}

/** A value that starts with a dash but is a value: a negative number, or `-` (stdout). */
const DASH_VALUE = /^-(\d|\.\d|$)/;

/**
 * Reads `argv` (the arguments after the command's name) against the command's table: known flags, the subcommand,
 * each value's type, bounds and choices. Bad input throws TaegisError INPUT_INVALID (exit 2) naming the flag and the
 * fix, before the command does anything.
 */
export function parseCommand<C extends CommandSpec>(
  spec: C,
  argv: readonly string[],
  options: Options = {},
): Parsed<C> {
  const shorts = new Map(
    Object.entries(spec.flags).flatMap(([name, f]) => (f.short !== undefined ? [[f.short, name] as const] : [])),
  );
  const positionals: string[] = [];
  const given = new Map<string, string[]>();
  const problems: Problem[] = [];
  let help = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (!arg.startsWith('-') || DASH_VALUE.test(arg)) {
      positionals.push(arg);
      continue;
    }
    let name: string | undefined;
    let inline: string | undefined;
    if (arg.startsWith('--')) {
      const eq = arg.indexOf('=');
      name = eq === -1 ? arg.slice(2) : arg.slice(2, eq);
      inline = eq === -1 ? undefined : arg.slice(eq + 1);
    } else {
      name = shorts.get(arg[1]!);
      inline = arg.length > 2 ? arg.slice(arg[2] === '=' ? 3 : 2) : undefined;
    }
    const flag = name === undefined ? undefined : spec.flags[name];
    if (name === undefined || flag === undefined) {
      problems.push({
        path: arg.startsWith('--') ? `--${name}` : arg.slice(0, 2),
        message: `is not a flag of "taegis-migrate ${spec.name}"`,
        fix: `see taegis-migrate ${spec.name} --help for the flags it takes`,
      });
      continue;
    }
    if (flag.type === 'boolean') {
      if (name === 'help') help = true;
      if (inline !== undefined)
        problems.push({ path: `--${name}`, message: 'takes no value', fix: `give --${name} alone` });
      given.set(name, ['true']);
      continue;
    }
    let value = inline;
    if (value === undefined) {
      const next = argv[i + 1];
      if (next === undefined || (next.startsWith('-') && !DASH_VALUE.test(next))) {
        if (flag.type === 'string' && flag.bare !== undefined) value = flag.bare;
        else {
          problems.push({
            path: `--${name}`,
            message: 'needs a value',
            fix: `pass --${name} ${flag.type === 'choice' ? flag.choices.join('|') : flag.value}`,
          });
          continue;
        }
      } else {
        value = next;
        i += 1;
      }
    }
    given.set(name, [...(flag.type === 'list' ? (given.get(name) ?? []) : []), value]);
  }

  const sub = subcommandOf(spec, positionals, help);
  if (help) return { values: {} as FlagValues<C['flags']>, sub, help: commandHelp(spec, sub) };
  if (problems.length > 0) throw invalidInput('INPUT_INVALID', 'flags', problems);

  const form = sub ?? spec.name;
  const values: Record<string, unknown> = {};
  for (const [name, flag] of Object.entries(spec.flags)) {
    const raw = given.get(name);
    if (raw !== undefined && flag.in !== undefined && !flag.in.includes(form)) {
      const takers = flag.in.map((f) => (f === spec.name ? spec.name : `${spec.name} ${f}`));
      problems.push({
        path: `--${name}`,
        message: `is not taken by "taegis-migrate ${spec.name}${sub !== undefined ? ` ${sub}` : ''}"`,
        fix: `drop it (it is for ${takers.map((t) => `"${t}"`).join(', ')})`,
      });
      continue;
    }
    values[name] = valueOf(name, flag, raw, problems, options);
  }
  if (problems.length > 0) throw invalidInput('INPUT_INVALID', 'flags', problems);
  // The values are built from the same table the type is inferred from.
  return { values: values as FlagValues<C['flags']>, sub };
}

function subcommandOf<C extends CommandSpec>(
  spec: C,
  positionals: readonly string[],
  help: boolean,
): SubcommandOf<C> | undefined {
  const subs = spec.subcommands;
  const [first, ...extra] = positionals;
  if (subs === undefined || first === undefined) {
    if (first !== undefined && !help) {
      throw new TaegisError('INPUT_INVALID', `unexpected argument "${first}"`, {
        fix: `taegis-migrate ${spec.name} takes flags only; see taegis-migrate ${spec.name} --help`,
      });
    }
    if (subs !== undefined && !spec.runsBare && !help) {
      throw new TaegisError('INPUT_INVALID', `"taegis-migrate ${spec.name}" needs a subcommand`, {
        fix: `use one of ${Object.keys(subs).join(', ')} (taegis-migrate ${spec.name} --help)`,
      });
    }
    return undefined;
  }
  if (!Object.hasOwn(subs, first)) {
    if (help) return undefined;
    throw new TaegisError('INPUT_INVALID', `"${first}" is not a subcommand of taegis-migrate ${spec.name}`, {
      fix: `use one of ${Object.keys(subs).join(', ')} (taegis-migrate ${spec.name} --help)`,
    });
  }
  if (extra.length > 0 && !help) {
    throw new TaegisError('INPUT_INVALID', `unexpected argument "${extra.join(' ')}"`, {
      fix: `see taegis-migrate ${spec.name} ${first} --help`,
    });
  }
  return first as SubcommandOf<C>;
}

const isPlaceholder = (value: string): boolean => /[<$]/.test(value);

/** A flag's typed value, its default when not given; a bad value is a problem naming the flag and the fix. */
function valueOf(
  name: string,
  flag: FlagSpec,
  raw: readonly string[] | undefined,
  problems: Problem[],
  options: Options,
): unknown {
  const path = `--${name}`;
  if (flag.type === 'boolean') return raw !== undefined;
  if (flag.type === 'list') {
    const items = (raw ?? [])
      .flatMap((v) => (flag.split === false ? [v] : v.split(',')))
      .map((v) => v.trim())
      .filter((v) => v !== '');
    return [...new Set(items)];
  }
  const value = raw?.[raw.length - 1];
  if (value === undefined) return 'default' in flag ? flag.default : undefined;
  if (options.placeholders === true && isPlaceholder(value)) {
    return flag.type === 'int' || flag.type === 'number' ? (flag.default ?? flag.min) : value;
  }
  switch (flag.type) {
    case 'int':
    case 'number': {
      const form = flag.type === 'int' ? /^-?\d+$/ : /^-?\d+(\.\d+)?$/;
      const n = Number(value);
      if (!form.test(value) || n < flag.min || n > flag.max) {
        const example = flag.type === 'int' ? (flag.example ?? flag.default ?? flag.min) : (flag.default ?? flag.min);
        problems.push({
          path,
          message: `"${value}" is not ${flag.type === 'int' ? 'a whole number' : 'a number'} from ${flag.min} to ${flag.max}`,
          fix: `pass e.g. ${path} ${example}`,
        });
        return undefined;
      }
      return n;
    }
    case 'choice':
      if (!flag.choices.includes(value)) {
        problems.push({
          path,
          message: `"${value}" is not one of ${flag.choices.join(', ')}`,
          fix: `use ${path} ${flag.choices.join('|')}`,
        });
        return undefined;
      }
      return value;
    case 'string': {
      let v = value;
      const context = flag.contextKey !== undefined ? /^([A-Za-z][\w-]*)=/.exec(v) : null;
      if (context) {
        if (context[1] !== flag.contextKey) {
          problems.push({
            path,
            message: `"${v}": only -c ${flag.contextKey}=${flag.value} is taken here`,
            fix:
              context[1] === 'region' ? 'pass --region R (repeatable, or a comma list)' : `pass ${path} ${flag.value}`,
          });
          return undefined;
        }
        v = v.slice(context[0].length);
      }
      if (v === '') {
        problems.push({ path, message: 'is empty', fix: `pass ${path} ${flag.value}` });
        return undefined;
      }
      if (flag.pattern !== undefined && !flag.pattern.regex.test(v)) {
        problems.push({ path, message: `"${v}" is not ${flag.pattern.what}`, fix: flag.pattern.fix });
        return undefined;
      }
      return v;
    }
  }
}

/** A command line's first problem against the table, without running it; undefined when it would parse. */
export function checkCommandLine(argv: readonly string[]): Problem | undefined {
  const [name, ...rest] = argv;
  if (name === undefined || !Object.hasOwn(DEFINITION, name)) {
    if (name === '--help' || name === '-h' || name === '--version' || name === '-V') return undefined;
    return {
      path: name ?? '(none)',
      message: 'is not a command',
      fix: `use one of ${Object.keys(DEFINITION).join(', ')}`,
    };
  }
  try {
    parseCommand(DEFINITION[name as CommandName], rest, { placeholders: true });
    return undefined;
  } catch (err) {
    if (!(err instanceof TaegisError)) throw err;
    return err.problems[0] ?? { path: name, message: err.message, ...(err.fix !== undefined ? { fix: err.fix } : {}) };
  }
}
