import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { DEFAULT_WORKFLOW_FILE } from '../../lib/ci/github.js';
import { RESULTS_DIR } from '../../lib/ci/shard.js';
import { DEFAULT_CONFIG_FILE } from '../../lib/config/load.js';
import { IAM_ROLE_NAME } from '../../lib/config/schema.js';
import * as shared from '../../lib/cli/definition/shared.js';
import { DEFAULT_RESULTS_DIR, DEFAULT_WORKFLOW_FILE as DEFINED_WORKFLOW_FILE } from '../../lib/cli/definition/ci.js';
import { DEFINITION, type CommandSpec } from '../../lib/cli/definition/index.js';
import { commandHelp, commandsMarkdown, programHelp } from '../../lib/cli/help.js';
import { HANDLERS, programMain } from '../../lib/commands/index.js';
import { ROOT } from '../support/example.js';
import { run } from '../support/run.js';

const DOCS = path.join(ROOT, 'docs', 'commands.md');
const docs = (): string => readFileSync(DOCS, 'utf8');

/** Every command line whose help docs/commands.md shows: `[cmd]` and `[cmd, sub]`. */
const FORMS: string[][] = (Object.values(DEFINITION) as CommandSpec[]).flatMap((c) => [
  [c.name],
  ...Object.keys(c.subcommands ?? {}).map((s) => [c.name, s]),
]);

/** The first ```text block of the section headed `## cmd` or `### cmd sub` in docs/commands.md. */
function docsSection(markdown: string, form: readonly string[]): string {
  const heading = `${form.length === 1 ? '##' : '###'} ${form.join(' ')}\n`;
  const at = markdown.indexOf(`\n${heading}`);
  expect(at, `docs/commands.md has no "${heading.trim()}"`).toBeGreaterThan(-1);
  const block = /```text\n([\s\S]*?)\n```/.exec(markdown.slice(at))!;
  return block[1]!;
}

/** Runs the program's dispatch in this process, its stdout captured. */
async function inProcess(args: readonly string[]): Promise<{ code: number; stdout: string }> {
  let stdout = '';
  const spy = vi
    .spyOn(process.stdout, 'write')
    .mockImplementation((c: string | Uint8Array) => ((stdout += String(c)), true));
  try {
    return { code: await programMain(args), stdout };
  } finally {
    spy.mockRestore();
  }
}

describe('docs/commands.md, generated from the CLI definition', () => {
  it('GIVEN the definition WHEN rendered THEN docs/commands.md is what "npm run docs:commands" writes (regenerate it when this fails)', () => {
    expect(docs()).toBe(commandsMarkdown());
  });

  it('GIVEN every command and subcommand WHEN "taegis-migrate <cmd> [sub] --help" runs in-process THEN it prints its section of docs/commands.md, exit 0', async () => {
    const markdown = docs();
    // 12 commands, and the subcommands of verify (restore), logpush (setup, status, health), secret (put) and ci
    // (github, shard, gate).
    expect(FORMS.length).toBe(20);
    for (const form of FORMS) {
      for (const flag of ['--help', '-h']) {
        const r = await inProcess([...form, flag]);
        expect(r.code, form.join(' ')).toBe(0);
        expect(r.stdout, form.join(' ')).toBe(`${docsSection(markdown, form)}\n`);
      }
    }
    const top = await inProcess(['--help']);
    expect(top.stdout).toBe(`${/```text\n([\s\S]*?)\n```/.exec(markdown)![1]}\n`);
  });

  it('GIVEN every command WHEN its edge is called with --help itself (not through the dispatcher) THEN the same text', async () => {
    for (const form of FORMS) {
      const r = await captured(() => HANDLERS[form[0] as keyof typeof HANDLERS]([...form.slice(1), '--help']));
      expect(r.code, form.join(' ')).toBe(0);
      expect(r.stdout.trimEnd(), form.join(' ')).toBe(docsSection(docs(), form));
    }
  }, 120_000);

  it('GIVEN the real program WHEN "restore --help" and "ci shard -h" run as child processes THEN docs/commands.md\'s sections, and restore lists --role-name', async () => {
    const bin = path.join(ROOT, 'bin', 'taegis-migrate.mjs');
    for (const form of [['restore'], ['ci', 'shard']]) {
      const r = await run(process.execPath, [bin, ...form, form.length === 1 ? '--help' : '-h'], {
        cwd: ROOT,
        env: process.env,
      });
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toBe(`${docsSection(docs(), form)}\n`);
    }
    expect(docsSection(docs(), ['restore'])).toMatch(/^ {2}--role-name NAME /m);
  }, 60_000);
});

describe('the definition', () => {
  it('GIVEN every command THEN its usage lines read "taegis-migrate <cmd>", its flags have descriptions, and int bounds are ordered', () => {
    for (const spec of Object.values(DEFINITION) as CommandSpec[]) {
      const usages = [...spec.usage, ...Object.values(spec.subcommands ?? {}).flatMap((s) => s.usage)];
      for (const u of usages) expect(u.startsWith(`taegis-migrate ${spec.name}`), u).toBe(true);
      for (const [sub, s] of Object.entries(spec.subcommands ?? {}))
        for (const u of s.usage) expect(u.startsWith(`taegis-migrate ${spec.name} ${sub}`), u).toBe(true);
      for (const [name, flag] of Object.entries(spec.flags)) {
        expect(flag.description.length, `${spec.name} --${name}`).toBeGreaterThan(5);
        if (flag.type === 'int' || flag.type === 'number') expect(flag.min).toBeLessThanOrEqual(flag.max);
        const forms = [spec.name, ...Object.keys(spec.subcommands ?? {})];
        for (const f of flag.in ?? []) expect(forms, `${spec.name} --${name} in ${f}`).toContain(f);
      }
    }
    expect(Object.keys(HANDLERS).sort()).toEqual(Object.keys(DEFINITION).sort());
  });

  it('GIVEN the defaults the definition names THEN they are the ones the code uses', () => {
    expect(DEFINED_WORKFLOW_FILE).toBe(DEFAULT_WORKFLOW_FILE);
    expect(DEFAULT_RESULTS_DIR).toBe(RESULTS_DIR);
    expect(DEFINITION.verify.flags.config.defaultText).toBe(DEFAULT_CONFIG_FILE);
    expect(shared.DEFAULT_CONFIG_FILE).toBe(DEFAULT_CONFIG_FILE);
    expect(shared.IAM_ROLE_NAME.source).toBe(IAM_ROLE_NAME.source);
  });

  it('GIVEN the definition, the parser and the help WHEN their imports are followed THEN no command code and no CDK library is reached (help stays fast)', () => {
    const seen = new Set<string>();
    const visit = (file: string): void => {
      if (seen.has(file)) return;
      seen.add(file);
      const text = readFileSync(file, 'utf8');
      for (const m of text.matchAll(/^import[^'"]*['"]([^'"]+)['"]/gm)) {
        const spec = m[1]!;
        expect(spec, `${path.relative(ROOT, file)} imports ${spec}`).not.toMatch(/aws-cdk|cdk-nag|constructs|commands/);
        if (spec.startsWith('.')) visit(path.resolve(path.dirname(file), spec.replace(/\.js$/, '.ts')));
      }
    };
    const dir = path.join(ROOT, 'lib', 'cli', 'definition');
    for (const f of readdirSync(dir)) visit(path.join(dir, f));
    visit(path.join(ROOT, 'lib', 'cli', 'help.ts'));
    visit(path.join(ROOT, 'lib', 'cli', 'parse.ts'));
    expect(seen.size).toBeGreaterThan(14);
    // Nothing outside lib/cli but the error type.
    for (const f of seen) expect(path.relative(ROOT, f), 'imported for --help').toMatch(/^lib\/(cli|util\/errors\.ts)/);
  });

  it('GIVEN the program help THEN it lists every command and the exit codes 0/1/2/3/130', () => {
    const help = programHelp();
    for (const name of Object.keys(DEFINITION)) expect(help).toMatch(new RegExp(`^  ${name} `, 'm'));
    expect(help).toMatch(/exit codes: 0 pass, 1 a check failed, 2 bad input .*3 unexpected/s);
    expect(help).toContain('130 interrupted');
    // A subcommand's help lists only the flags it takes.
    expect(commandHelp(DEFINITION.logpush, 'setup')).toContain('--dry-run');
    expect(commandHelp(DEFINITION.logpush, 'setup')).not.toContain('--dataset');
    expect(commandHelp(DEFINITION.logpush)).toMatch(/--dataset NAME .*\(health only\)/);
  });
});

/** Runs an edge with stdout (and console.log) captured. */
async function captured(fn: () => Promise<number>): Promise<{ code: number; stdout: string }> {
  let stdout = '';
  const spies = [
    vi.spyOn(process.stdout, 'write').mockImplementation((c: string | Uint8Array) => ((stdout += String(c)), true)),
    vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void (stdout += `${a.join(' ')}\n`)),
  ];
  try {
    return { code: await fn(), stdout };
  } finally {
    for (const s of spies) s.mockRestore();
  }
}
