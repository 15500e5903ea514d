import { DEFINITION, PROGRAM } from './definition/index.js';
import type { CommandSpec, FlagSpec } from './definition/types.js';

/** Help lines stay readable in an 120-column terminal and in a Markdown code block. */
const WIDTH = 118;
/** Where a flag's description starts. */
const FLAG_COLUMN = 28;

/** `text` as lines of at most `width` characters, each line after the first indented by `indent`. */
function wrap(text: string, width: number, indent = 0): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter((w) => w !== '')) {
    const room = width - (lines.length === 0 ? 0 : indent);
    if (line !== '' && line.length + 1 + word.length > room) {
      lines.push(line);
      line = word;
    } else line = line === '' ? word : `${line} ${word}`;
  }
  if (line !== '') lines.push(line);
  return lines.map((l, i) => (i === 0 ? l : `${' '.repeat(indent)}${l}`));
}

/** What follows the flag's name: `PATH`, `[FILE]`, `plan|apply`. */
export function valueName(flag: FlagSpec): string {
  if (flag.type === 'boolean') return '';
  if (flag.type === 'choice') return flag.choices.join('|');
  return flag.value;
}

/** The flag as the help's left column shows it: `-c, --config PATH`. */
export function flagLabel(name: string, flag: FlagSpec): string {
  const value = valueName(flag);
  return `${flag.short !== undefined ? `-${flag.short}, ` : ''}--${name}${value !== '' ? ` ${value}` : ''}`;
}

/** The default as text, or undefined for none. */
export function defaultOf(flag: FlagSpec): string | undefined {
  if (flag.defaultText !== undefined) return flag.defaultText;
  if ('default' in flag && flag.default !== undefined) return String(flag.default);
  return undefined;
}

/**
 * The subcommands that take a flag, when the command's own help lists a flag that the command without a subcommand
 * (or some subcommand) does not take.
 */
function onlyIn(spec: CommandSpec, flag: FlagSpec): string | undefined {
  if (flag.in === undefined || spec.subcommands === undefined || flag.in.includes(spec.name)) return undefined;
  if (!spec.runsBare && Object.keys(spec.subcommands).every((f) => flag.in!.includes(f))) return undefined;
  return flag.in.join(', ');
}

/** The flag's description with its bounds, default and the forms that take it. */
export function flagDescription(spec: CommandSpec, flag: FlagSpec, inSubcommand: boolean): string {
  const parts = [flag.description];
  if (flag.type === 'int' || flag.type === 'number') {
    parts.push(`(${flag.type === 'int' ? 'whole number' : 'number'} from ${flag.min} to ${flag.max})`);
  }
  const d = defaultOf(flag);
  if (d !== undefined) parts.push(`(default ${d})`);
  const only = inSubcommand ? undefined : onlyIn(spec, flag);
  if (only !== undefined) parts.push(`(${only} only)`);
  return parts.join(' ');
}

/** One flag's lines in the help. */
function flagLines(label: string, description: string): string[] {
  const left = `  ${label}`;
  const text = wrap(description, WIDTH - FLAG_COLUMN);
  const pad = (l: string) => `${' '.repeat(FLAG_COLUMN)}${l}`;
  if (left.length + 1 > FLAG_COLUMN) return [left, ...text.map(pad)];
  return [`${left.padEnd(FLAG_COLUMN)}${text[0] ?? ''}`, ...text.slice(1).map(pad)];
}

/** The flags a form of a command takes (`sub` undefined: every flag of the command). */
export function flagsOf(spec: CommandSpec, sub?: string): [string, FlagSpec][] {
  return Object.entries(spec.flags).filter(([, f]) => sub === undefined || f.in === undefined || f.in.includes(sub));
}

function usageLines(usage: readonly string[]): string[] {
  return usage.map((u, i) => `${i === 0 ? 'usage: ' : '       '}${u}`);
}

/** `taegis-migrate <cmd> [sub] --help`, from the table. */
export function commandHelp(spec: CommandSpec, sub?: string): string {
  const subSpec = sub === undefined ? undefined : spec.subcommands?.[sub];
  const out: string[] = [];
  out.push(...usageLines(subSpec?.usage ?? spec.usage), '');
  out.push(...wrap(subSpec?.description ?? spec.description, WIDTH), '');
  if (subSpec === undefined && spec.subcommands !== undefined) {
    const subs = Object.entries(spec.subcommands);
    const width = Math.max(...subs.map(([n]) => n.length));
    out.push('subcommands (taegis-migrate ' + `${spec.name} <subcommand> --help for each):`);
    for (const [name, s] of subs) out.push(...wrapLabelled(`  ${name.padEnd(width)}  `, s.summary));
    out.push('');
  }
  out.push('flags:');
  for (const [name, flag] of flagsOf(spec, sub)) {
    out.push(...flagLines(flagLabel(name, flag), flagDescription(spec, flag, subSpec !== undefined)));
  }
  out.push('', ...wrap(`exit: ${subSpec?.exit ?? spec.exit}`, WIDTH, 6));
  return out.join('\n');
}

function wrapLabelled(label: string, text: string): string[] {
  const lines = wrap(text, WIDTH - label.length);
  return lines.map((l, i) => `${i === 0 ? label : ' '.repeat(label.length)}${l}`);
}

/** The flags `taegis-migrate --help` lists as common, taken from the commands that define them. */
const COMMON = [
  ['verify', 'config'],
  ['verify', 'region'],
  ['verify', 'profile'],
  ['verify', 'endpoint-url'],
  ['plan', 'json'],
  ['verify', 'help'],
] as const;

/** `taegis-migrate --help`. */
export function programHelp(): string {
  const commands = Object.values(DEFINITION);
  const width = Math.max(...commands.map((c) => c.name.length));
  const out = [...usageLines([PROGRAM.usage]), '', ...wrap(PROGRAM.description, WIDTH), '', 'commands:'];
  for (const c of commands) out.push(...wrapLabelled(`  ${c.name.padEnd(width)}  `, c.summary));
  out.push(
    '',
    'common flags (the same meaning in every command that takes them; see "taegis-migrate <command> --help"):',
  );
  for (const [command, name] of COMMON) {
    const spec: CommandSpec = DEFINITION[command];
    const flag = spec.flags[name]!;
    out.push(...flagLines(flagLabel(name, flag), flagDescription(spec, flag, true)));
  }
  out.push(...flagLines('-V, --version', 'print the version'));
  out.push('', ...wrap(`exit codes: ${PROGRAM.exit}`, WIDTH, 12));
  return out.join('\n');
}

/** Table cell text: a pipe would end the cell, and `<account>` would be read as an HTML tag. */
const cell = (s: string): string => s.replace(/\|/g, '\\|').replace(/</g, '&lt;');

function flagTable(spec: CommandSpec, sub?: string): string[] {
  const rows = flagsOf(spec, sub).map(([name, flag]) => {
    const d = defaultOf(flag);
    const only = sub === undefined ? onlyIn(spec, flag) : undefined;
    const bounds =
      flag.type === 'int' || flag.type === 'number'
        ? ` (${flag.type === 'int' ? 'whole number' : 'number'} from ${flag.min} to ${flag.max})`
        : '';
    return `| \`${flag.short !== undefined ? `-${flag.short}, ` : ''}--${name}\` | ${valueName(flag) !== '' ? `\`${cell(valueName(flag))}\`` : ''} | ${d !== undefined ? cell(d) : ''} | ${cell(flag.description)}${bounds}${only !== undefined ? ` (${cell(only)} only)` : ''} |`;
  });
  return ['| Flag | Value | Default | Description |', '| --- | --- | --- | --- |', ...rows];
}

/** docs/commands.md: every command's and subcommand's help, with a table of its flags. */
export function commandsMarkdown(): string {
  const out = [
    '# Commands',
    '',
    '<!-- Generated by "npm run docs:commands" from lib/cli/definition/: edit the definition, not this file. -->',
    '',
    'Every command and subcommand, with the text its `--help` prints. `npm run <command> -- [flags]` runs the same',
    'command as `taegis-migrate <command> [flags]`.',
    '',
    '```text',
    programHelp(),
    '```',
  ];
  for (const spec of Object.values(DEFINITION) as CommandSpec[]) {
    out.push('', `## ${spec.name}`, '', spec.summary, '', '```text', commandHelp(spec), '```', '', ...flagTable(spec));
    for (const [sub, s] of Object.entries(spec.subcommands ?? {})) {
      out.push('', `### ${spec.name} ${sub}`, '', s.summary, '', '```text', commandHelp(spec, sub), '```');
      out.push('', ...flagTable(spec, sub));
    }
  }
  return `${out.join('\n')}\n`;
}
