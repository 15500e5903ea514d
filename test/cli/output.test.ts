import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createOutput, type OutputOptions } from '../../lib/cli/output.js';

/** A sink whose streams are arrays, its clock a variable the test moves. */
function captured(options: Partial<OutputOptions> = {}) {
  const stdout: string[] = [];
  const stderr: string[] = [];
  const terminal: string[] = [];
  const clock = { now: 1_000_000 };
  const output = createOutput({
    stdout: (l) => stdout.push(l),
    stderr: (l) => stderr.push(l),
    terminal: (t) => terminal.push(t),
    clock: () => clock.now,
    tty: false,
    ...options,
  });
  return { output, stdout, stderr, terminal, clock };
}

describe('the output sink', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'taegis-output-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('GIVEN lines THEN out goes to stdout and err to stderr, each masked', () => {
    const { output, stdout, stderr } = captured({ mask: (t) => t.replaceAll('s3cret', '***') });
    output.out('result s3cret');
    output.err('note: s3cret');
    expect(stdout).toEqual(['result ***']);
    expect(stderr).toEqual(['note: ***']);
  });

  it('GIVEN no terminal WHEN progress updates come fast THEN the first, a milestone and the last are printed as lines, the rest wait for the pause', () => {
    const { output, stderr, terminal, clock } = captured();
    const progress = output.progress();
    progress({ line: 'a 1/5', last: false });
    clock.now += 1000;
    progress({ line: 'a 2/5', last: false });
    progress({ line: 'a 3/5', last: false, milestone: true });
    clock.now += 29_999;
    progress({ line: 'a 4/5', last: false });
    clock.now += 1;
    progress({ line: 'a 4/5 again', last: false });
    progress({ line: 'a 5/5', last: true });
    expect(stderr).toEqual(['a 1/5', 'a 3/5', 'a 4/5 again', 'a 5/5']);
    expect(terminal).toEqual([]);
  });

  it('GIVEN a pause of its own THEN lines come at that pace', () => {
    const { output, stderr, clock } = captured();
    const progress = output.progress({ everyMs: 10 });
    for (let i = 0; i < 4; i += 1) {
      progress({ line: `tick ${i}`, last: false });
      clock.now += 5;
    }
    expect(stderr).toEqual(['tick 0', 'tick 2']);
  });

  it('GIVEN a terminal THEN every update rewrites one line in place, and the last one ends it', () => {
    const { output, stderr, terminal } = captured({ tty: true });
    const progress = output.progress();
    progress({ line: 'waiting 0/2', last: false });
    progress({ line: 'waiting 1/2', last: false });
    progress({ line: 'waiting 2/2', last: true });
    expect(terminal).toEqual(['\r\x1b[2Kwaiting 0/2', '\r\x1b[2Kwaiting 1/2', '\r\x1b[2Kwaiting 2/2\n']);
    expect(stderr).toEqual([]);
  });

  it('GIVEN a terminal and inPlace false THEN progress prints paced lines as without one', () => {
    const { output, stderr, terminal } = captured({ tty: true });
    const progress = output.progress({ inPlace: false });
    progress({ line: 'b 1/3', last: false });
    progress({ line: 'b 2/3', last: false });
    progress({ line: 'b 3/3', last: true });
    expect(stderr).toEqual(['b 1/3', 'b 3/3']);
    expect(terminal).toEqual([]);
  });

  it('GIVEN "-" THEN the report is printed on stdout without its final newline, instead of the text, and no file is written', () => {
    const { output, stdout } = captured();
    expect(output.report('{\n  "a": 1\n}\n', '-', { text: ['TABLE'], announce: true })).toBe('stdout');
    expect(stdout).toEqual(['{\n  "a": 1\n}']);
  });

  it('GIVEN a path THEN the text is printed, the file gets the report as it is, and announce prints where', () => {
    const { output, stdout } = captured({ mask: (t) => t.replaceAll('s3cret', '***') });
    const file = path.join(dir, 'sub', 'report.json');
    expect(output.report('{"k":"s3cret"}\n', file, { text: ['TABLE', 'WAVES'], announce: true })).toBe('file');
    expect(readFileSync(file, 'utf8')).toBe('{"k":"***"}\n');
    expect(stdout).toEqual(['TABLE', 'WAVES', `wrote ${file}`]);
  });

  it('GIVEN a path and no announce THEN only the text is printed', () => {
    const { output, stdout } = captured();
    const file = path.join(dir, 'quiet.json');
    expect(output.report('{}\n', file, { text: 'TABLE' })).toBe('file');
    expect(readFileSync(file, 'utf8')).toBe('{}\n');
    expect(stdout).toEqual(['TABLE']);
  });

  it('GIVEN no target THEN the text is printed and the report goes nowhere', () => {
    const { output, stdout } = captured();
    expect(output.report('{}\n', undefined, { text: 'TABLE', announce: true })).toBeUndefined();
    expect(stdout).toEqual(['TABLE']);
  });
});
