import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { outputDirProblem, outputFileProblem, writeOutputFile } from '../../lib/cli/output-path.js';

describe('the shared output-path check', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'output-path-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('GIVEN a path under /proc, /sys or /dev that needs new folders THEN it is refused at once, nothing created', () => {
    const started = Date.now();
    for (const p of ['/proc/x/y.json', '/sys/taegis/r.json', '/dev/taegis/r.json']) {
      expect(outputFileProblem('--json', p)?.message).toMatch(/folders cannot be created under \/(proc|sys|dev)/);
    }
    expect(outputDirProblem('--backup-dir', '/proc/x/backups')?.message).toMatch(/under \/proc/);
    // Node 20's recursive mkdir loops forever under /proc; the check must not try it.
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('GIVEN a file on the way, or a folder where a file is wanted THEN each is named', () => {
    const file = path.join(dir, 'plain');
    writeFileSync(file, 'x');
    expect(outputFileProblem('--json', path.join(file, 'r.json'))?.message).toContain(`${file} is a file`);
    expect(outputDirProblem('--backup-dir', path.join(file, 'b'))?.message).toContain(`${file} is a file`);
    expect(outputDirProblem('--output', file)?.message).toContain('is a file');
    expect(outputFileProblem('--json', dir)?.message).toContain('is a folder');
  });

  it('GIVEN missing folders in a writable place THEN the check passes and creates nothing; the write creates them', () => {
    const target = path.join(dir, 'a', 'b', 'r.json');
    expect(outputFileProblem('--json', target)).toBeUndefined();
    expect(outputDirProblem('--backup-dir', path.join(dir, 'c', 'd'))).toBeUndefined();
    expect(existsSync(path.join(dir, 'a'))).toBe(false);
    expect(existsSync(path.join(dir, 'c'))).toBe(false);
    expect(writeOutputFile(target, '{}\n')).toBe(target);
    expect(existsSync(target)).toBe(true);
  });

  it('GIVEN an existing writable device such as /dev/null THEN it is accepted', () => {
    expect(outputFileProblem('--json', '/dev/null')).toBeUndefined();
  });
});
