import { describe, expect, expectTypeOf, it } from 'vitest';
import { DEFINITION } from '../../lib/cli/definition/index.js';
import { checkCommandLine, parseCommand } from '../../lib/cli/parse.js';
import { TaegisError, type Problem } from '../../lib/util/errors.js';

/** The TaegisError a command line raises, or a failure when it parses. */
function refused(run: () => unknown): TaegisError {
  try {
    run();
  } catch (err) {
    expect(err).toBeInstanceOf(TaegisError);
    return err as TaegisError;
  }
  throw new Error('the command line was accepted');
}

/** The one problem a refused command line names (path, message, fix). */
function problemOf(run: () => unknown): Problem {
  const err = refused(run);
  expect(err.code).toBe('INPUT_INVALID');
  expect(err.exitCode).toBe(2);
  expect(err.problems).toHaveLength(1);
  return err.problems[0]!;
}

describe('the parser, from the definition', () => {
  it('GIVEN verify flags THEN values typed from the table: numbers, lists, booleans, defaults', () => {
    const { values, sub } = parseCommand(DEFINITION.verify, [
      '--log-timeout',
      '0',
      '--region',
      'us-east-1,eu-west-1',
      '--region',
      ' eu-west-1 ',
      '--region',
      'ap-south-1,',
      '--dry-run',
      '--concurrency=8',
    ]);
    expect(sub).toBeUndefined();
    expect(values['log-timeout']).toBe(0);
    expect(values.concurrency).toBe(8);
    expect(values.region).toEqual(['us-east-1', 'eu-west-1', 'ap-south-1']);
    expect(values['dry-run']).toBe(true);
    expect(values.check).toBe(false);
    expect(values['backup-dir']).toBe('backups');
    expect(values.stack).toEqual([]);
    expect(values.json).toBeUndefined();
    expectTypeOf(values['log-timeout']).toEqualTypeOf<number | undefined>();
    expectTypeOf(values['backup-dir']).toEqualTypeOf<string>();
    expectTypeOf(values.region).toEqualTypeOf<string[]>();
    expectTypeOf(values.check).toEqualTypeOf<boolean>();
    expectTypeOf(sub).toEqualTypeOf<'restore' | undefined>();
  });

  it('GIVEN choices THEN the value typed as the union, its default applied; another value names the flag and the choices', () => {
    const { values } = parseCommand(DEFINITION.deploy, ['--require-approval', 'any-change']);
    expect(values['require-approval']).toBe('any-change');
    expect(values.method).toBe('change-set');
    expectTypeOf(values['require-approval']).toEqualTypeOf<'never' | 'any-change' | 'broadening' | undefined>();
    expectTypeOf(values.method).toEqualTypeOf<'change-set' | 'direct'>();
    expect(problemOf(() => parseCommand(DEFINITION.deploy, ['--method', 'fast']))).toEqual({
      path: '--method',
      message: '"fast" is not one of change-set, direct',
      fix: 'use --method change-set|direct',
    });
    const shard = parseCommand(DEFINITION.ci, ['shard', '--phase', 'plan', '--shard', '2']);
    expect(shard.sub).toBe('shard');
    expect(shard.values.phase).toBe('plan');
    expect(shard.values.shard).toBe(2);
    expect(shard.values['log-timeout']).toBe(600);
  });

  it('GIVEN a negative number, a word or a number past the bounds THEN "is not a whole number from MIN to MAX", naming the flag and an example', () => {
    for (const value of ['-5', 'five', '86401', '1.5']) {
      const p = problemOf(() => parseCommand(DEFINITION.verify, ['--log-timeout', value]));
      expect(p).toEqual({
        path: '--log-timeout',
        message: `"${value}" is not a whole number from 0 to 86400`,
        fix: 'pass e.g. --log-timeout 300',
      });
    }
    expect(refused(() => parseCommand(DEFINITION.verify, ['--log-timeout', '-5'])).format()).toContain(
      '--log-timeout: "-5" is not a whole number from 0 to 86400 (fix: pass e.g. --log-timeout 300)',
    );
    expect(problemOf(() => parseCommand(DEFINITION.demo, ['--log-timeout', '3601'])).message).toBe(
      '"3601" is not a whole number from 0 to 3600',
    );
    expect(problemOf(() => parseCommand(DEFINITION.replay, ['--rate', '0.05']))).toMatchObject({
      path: '--rate',
      message: '"0.05" is not a number from 0.1 to 100',
    });
    expect(parseCommand(DEFINITION.replay, ['--rate', '0.5']).values.rate).toBe(0.5);
    expect(problemOf(() => parseCommand(DEFINITION.plan, ['--concurrency', '257'])).path).toBe('--concurrency');
  });

  it('GIVEN -c config=PATH, -c PATH or --config PATH THEN the path; another -c key is refused with its fix', () => {
    for (const argv of [['-c', 'config=b.json'], ['-c', 'b.json'], ['--config', 'b.json'], ['--config=b.json']]) {
      expect(parseCommand(DEFINITION.synth, argv).values.config).toBe('b.json');
    }
    expect(problemOf(() => parseCommand(DEFINITION.synth, ['-c', 'region=us-east-1']))).toEqual({
      path: '--config',
      message: '"region=us-east-1": only -c config=PATH is taken here',
      fix: 'pass --region R (repeatable, or a comma list)',
    });
    expect(problemOf(() => parseCommand(DEFINITION.synth, ['--config', '']))).toMatchObject({ message: 'is empty' });
  });

  it('GIVEN --json alone, before another flag, with "-" or with a file THEN "-" (stdout) only when no file follows', () => {
    const json = (argv: string[]) => parseCommand(DEFINITION.plan, argv).values.json;
    expect(json(['--json'])).toBe('-');
    expect(json(['--json', '--config', 'x'])).toBe('-');
    expect(json(['--json', '-'])).toBe('-');
    expect(json(['--json', 'r.json'])).toBe('r.json');
    expect(json(['--json=r.json'])).toBe('r.json');
    expect(json([])).toBeUndefined();
    // ci github --write alone: the workflow's usual file.
    expect(parseCommand(DEFINITION.ci, ['github', '--write']).values.write).toBe(
      '.github/workflows/taegis-migrate.yml',
    );
  });

  it('GIVEN an unknown flag, a flag without its value, or a value to a switch THEN each names the flag and the fix', () => {
    expect(problemOf(() => parseCommand(DEFINITION.verify, ['--frobnicate']))).toEqual({
      path: '--frobnicate',
      message: 'is not a flag of "taegis-migrate verify"',
      fix: 'see taegis-migrate verify --help for the flags it takes',
    });
    expect(problemOf(() => parseCommand(DEFINITION.verify, ['--since']))).toEqual({
      path: '--since',
      message: 'needs a value',
      fix: 'pass --since ISO-TIME|DURATION',
    });
    expect(problemOf(() => parseCommand(DEFINITION.verify, ['--config', '--dry-run']))).toMatchObject({
      path: '--config',
      message: 'needs a value',
    });
    expect(problemOf(() => parseCommand(DEFINITION.verify, ['--dry-run=yes']))).toMatchObject({
      path: '--dry-run',
      message: 'takes no value',
    });
    // Every problem at once, not the first alone.
    const err = refused(() => parseCommand(DEFINITION.verify, ['--log-timeout', 'x', '--concurrency', '0']));
    expect(err.problems.map((p) => p.path)).toEqual(['--log-timeout', '--concurrency']);
  });

  it('GIVEN a flag of another subcommand THEN it names the flag and the form that takes it', () => {
    expect(
      problemOf(() => parseCommand(DEFINITION.verify, ['restore', '--backup', 'b.json', '--region', 'x'])),
    ).toEqual({
      path: '--region',
      message: 'is not taken by "taegis-migrate verify restore"',
      fix: 'drop it (it is for "verify")',
    });
    expect(problemOf(() => parseCommand(DEFINITION.verify, ['--backup', 'b.json']))).toMatchObject({
      path: '--backup',
      fix: 'drop it (it is for "verify restore")',
    });
    expect(problemOf(() => parseCommand(DEFINITION.logpush, ['setup', '--json']))).toMatchObject({
      path: '--json',
      message: 'is not taken by "taegis-migrate logpush setup"',
    });
    expect(parseCommand(DEFINITION.verify, ['restore', '--backup', 'b.json', '--role-name', 'R']).values).toMatchObject(
      { backup: 'b.json', 'role-name': 'R' },
    );
  });

  it('GIVEN subcommands THEN an unknown one, a missing one and a stray argument are refused with the fix', () => {
    expect(refused(() => parseCommand(DEFINITION.logpush, ['stats'])).message).toBe(
      '"stats" is not a subcommand of taegis-migrate logpush',
    );
    const missing = refused(() => parseCommand(DEFINITION.secret, []));
    expect(missing.message).toBe('"taegis-migrate secret" needs a subcommand');
    expect(missing.fix).toBe('use one of put (taegis-migrate secret --help)');
    expect(refused(() => parseCommand(DEFINITION.synth, ['extra'])).message).toBe('unexpected argument "extra"');
    expect(refused(() => parseCommand(DEFINITION.verify, ['restore', 'now'])).message).toBe(
      'unexpected argument "now"',
    );
  });

  it('GIVEN --role-name or --expect-runtime of the wrong form THEN the flag, the value and the fix', () => {
    expect(problemOf(() => parseCommand(DEFINITION.plan, ['--role-name', 'a/b']))).toEqual({
      path: '--role-name',
      message: '"a/b" is not an IAM role name',
      fix: 'use the role name only: 1-64 letters, digits and + = , . @ _ - (no path, no ARN)',
    });
    expect(problemOf(() => parseCommand(DEFINITION.verify, ['--expect-runtime', 'Node 20'])).message).toBe(
      '"Node 20" is not a Lambda runtime id',
    );
  });

  it('GIVEN --help anywhere, even beside a bad flag THEN the help of the form given and nothing checked', () => {
    const r = parseCommand(DEFINITION.logpush, ['health', '--nope', '-h']);
    expect(r.help).toMatch(/^usage: taegis-migrate logpush health/);
    expect(parseCommand(DEFINITION.verify, ['--help']).help).toMatch(/^usage: taegis-migrate verify \[flags\]/);
  });
});

describe('checkCommandLine', () => {
  it('GIVEN documented command lines THEN good ones pass and each bad one names its problem', () => {
    expect(checkCommandLine(['verify', '--config', 'x.json', '--dry-run'])).toBeUndefined();
    expect(checkCommandLine(['verify', 'restore', '--backup', '<file>', '--role-name', '$ROLE'])).toBeUndefined();
    expect(checkCommandLine(['ci', 'shard', '--wave', '<name>', '--shard', '<I>'])).toBeUndefined();
    expect(checkCommandLine(['--help'])).toBeUndefined();
    expect(checkCommandLine(['verfiy'])).toMatchObject({ path: 'verfiy', message: 'is not a command' });
    expect(checkCommandLine(['verify', '--dryrun'])).toMatchObject({ path: '--dryrun' });
    expect(checkCommandLine(['logpush', 'stats'])?.message).toContain('"stats"');
    expect(checkCommandLine(['verify', '--log-timeout', '-5'])).toMatchObject({ path: '--log-timeout' });
  });
});
