import { existsSync, readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkCommandLine, parseCommand } from '../../lib/cli/parse.js';
import { TaegisError, type Problem } from '../../lib/util/errors.js';
import { bench } from '../../scripts/bench/definition.js';
import { ROOT } from '../support/example.js';

/** The documents a reader follows: every command line in their code blocks must be one the program takes. */
function documents(): string[] {
  const docsDir = path.join(ROOT, 'docs');
  return [
    'README.md',
    'CONTRIBUTING.md',
    'ARCHITECTURE.md',
    ...(existsSync(docsDir)
      ? readdirSync(docsDir)
          .filter((f) => f.endsWith('.md'))
          .map((f) => path.join('docs', f))
      : []),
  ].filter((f) => existsSync(path.join(ROOT, f)));
}

/**
 * package.json aliases: `npm run verify` -> ["verify"] (the program); `npm run bench:fleet` -> ["bench", "fleet"] (the
 * benchmark script, whose flags come from scripts/bench/definition.ts).
 */
function aliases(): Map<string, string[]> {
  const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
  const out = new Map<string, string[]>();
  for (const [name, script] of Object.entries(pkg.scripts)) {
    const m = /^node bin\/taegis-migrate\.mjs(?: (.*))?$/.exec(script);
    if (m) out.set(name, m[1] === undefined ? [] : m[1].split(' '));
    const b = /^node --import tsx scripts\/bench\/main\.ts (\w+)$/.exec(script);
    if (b) out.set(name, ['bench', b[1]!]);
  }
  return out;
}

/** A documented line checked against its definition: the program's, or the benchmark script's for `bench`. */
function check(args: readonly string[]): Problem | undefined {
  if (args[0] !== 'bench') return checkCommandLine(args);
  try {
    parseCommand(bench, args.slice(1), { placeholders: true });
    return undefined;
  } catch (err) {
    if (!(err instanceof TaegisError)) throw err;
    return err.problems[0] ?? { path: 'bench', message: err.message };
  }
}

/** The lines of fenced code blocks, a `\` continuation joined to its next line, with their line numbers. */
function codeLines(markdown: string): { line: number; text: string }[] {
  const out: { line: number; text: string }[] = [];
  let fenced = false;
  let pending: { line: number; text: string } | undefined;
  markdown.split('\n').forEach((raw, i) => {
    if (/^\s*```/.test(raw)) {
      fenced = !fenced;
      return;
    }
    if (!fenced) return;
    const joined = pending ? { line: pending.line, text: `${pending.text} ${raw.trim()}` } : { line: i + 1, text: raw };
    if (/\\\s*$/.test(joined.text)) pending = { line: joined.line, text: joined.text.replace(/\\\s*$/, '') };
    else {
      pending = undefined;
      out.push(joined);
    }
  });
  return out;
}

/** Shell words up to a comment, pipe, redirect or next command; quotes removed. */
function words(text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(/'([^']*)'|"([^"]*)"|(\S+)/g)) {
    const word = m[3];
    if (word !== undefined && (/^(#|\||&&|;|>|2>|<<)/.test(word) || word === '||')) break;
    out.push(m[1] ?? m[2] ?? word!);
  }
  return out;
}

/**
 * The program's arguments of a documented line, or undefined when it does not run the program. Optional brackets
 * (`[--region R]...`) are read as if given; metavariables (`FILE`, `<name>`, `$VAR`) become placeholders.
 */
export function programArgs(text: string, alias: ReadonlyMap<string, readonly string[]>): string[] | undefined {
  const w = words(text.trim().replace(/^\$ /, ''));
  let args: string[] | undefined;
  if (w[0] === 'taegis-migrate') args = w.slice(1);
  else if (w[0] === 'npx' && w[1] === 'taegis-migrate') args = w.slice(2);
  else if (w[0] === 'node' && w[1] === 'bin/taegis-migrate.mjs') args = w.slice(2);
  else if (w[0] === 'npm' && w[1] === 'run' && w[2] !== undefined && alias.has(w[2])) {
    if (w[3] !== undefined && w[3] !== '--') return undefined;
    args = [...alias.get(w[2])!, ...w.slice(4)];
  }
  if (args === undefined) return undefined;
  return args
    .filter((a) => a !== '[flags]')
    .map((a) => a.replace(/^\[/, '').replace(/\](\.\.\.)?$/, ''))
    .filter((a) => a !== '...' && a !== '')
    .map((a) => (/^[A-Z][A-Z0-9_]*$/.test(a) || /^<.*>$/.test(a) ? `<${a}>` : a));
}

describe('command lines in the docs', () => {
  it('GIVEN the shell forms THEN the arguments the program gets', () => {
    const alias = new Map([
      ['verify', ['verify']],
      ['bench:fleet', ['bench', 'fleet']],
    ]);
    expect(programArgs('npm run verify -- --dry-run   # comment', alias)).toEqual(['verify', '--dry-run']);
    expect(programArgs('npm run bench:fleet -- --accounts 100', alias)).toEqual([
      'bench',
      'fleet',
      '--accounts',
      '100',
    ]);
    expect(programArgs("npx taegis-migrate deploy --stack 'TaegisShared-*'", alias)).toEqual([
      'deploy',
      '--stack',
      'TaegisShared-*',
    ]);
    expect(programArgs('taegis-migrate plan [--region us-east-1]... [--json FILE]', alias)).toEqual([
      'plan',
      '--region',
      'us-east-1',
      '--json',
      '<FILE>',
    ]);
    expect(programArgs('npm run build', alias)).toBeUndefined();
    expect(programArgs('npx cdk synth', alias)).toBeUndefined();
  });

  it('GIVEN README.md, CONTRIBUTING.md, ARCHITECTURE.md and docs/*.md WHEN each command line in a code block is checked against the CLI definition THEN every one is a command the program takes', () => {
    const alias = aliases();
    expect(alias.get('verify')).toEqual(['verify']);
    expect(alias.get('bench:fleet')).toEqual(['bench', 'fleet']);
    const bad: string[] = [];
    let checked = 0;
    for (const doc of documents()) {
      for (const { line, text } of codeLines(readFileSync(path.join(ROOT, doc), 'utf8'))) {
        const args = programArgs(text, alias);
        // A usage pattern (`taegis-migrate <command> --help`) names no command to check.
        if (args === undefined || args.length === 0 || /^<.*>$/.test(args[0]!)) continue;
        checked += 1;
        const problem = check(args);
        if (problem) bad.push(`${doc}:${line}: ${text.trim()}\n    ${problem.path}: ${problem.message}`);
      }
    }
    expect(bad, bad.join('\n')).toEqual([]);
    expect(checked).toBeGreaterThan(20);
  });
});
