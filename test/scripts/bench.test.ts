import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { benchMain } from '../../scripts/bench/main.js';
import { bench } from '../../scripts/bench/definition.js';
import { commandHelp } from '../../lib/cli/help.js';

const ROOT = path.join(import.meta.dirname, '..', '..');

describe('the benchmarks, a development script outside the product', () => {
  it('GIVEN npm run bench:* THEN each runs scripts/bench/main.ts with its benchmark', () => {
    const scripts = (
      JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }
    ).scripts;
    for (const which of ['synth', 'verify', 'fleet']) {
      expect(scripts[`bench:${which}`]).toBe(`node --import tsx scripts/bench/main.ts ${which}`);
      expect(existsSync(path.join(ROOT, 'scripts', 'bench', `${which}.ts`))).toBe(true);
    }
  });

  it('GIVEN --help after any benchmark WHEN run THEN the usage, exit 0, no benchmark started', async () => {
    for (const argv of [['synth', '-h'], ['verify', '--help'], ['fleet', '-h'], ['--help']]) {
      const lines: string[] = [];
      expect(await benchMain(argv, (t) => lines.push(t))).toBe(0);
      const sub = argv[0] === '--help' ? undefined : argv[0];
      expect(lines).toEqual([commandHelp(bench, sub)]);
      expect(lines[0]).toContain(`npm run bench:${sub ?? '<synth|verify|fleet>'} --`);
    }
  });

  it('GIVEN no benchmark or an unknown one THEN bad input (exit 2)', async () => {
    await expect(benchMain([])).rejects.toMatchObject({ code: 'INPUT_INVALID' });
    await expect(benchMain(['nope'])).rejects.toMatchObject({ code: 'INPUT_INVALID' });
    await expect(benchMain(['synth', '--runs', '0'])).rejects.toMatchObject({ code: 'INPUT_INVALID' });
  });
});
