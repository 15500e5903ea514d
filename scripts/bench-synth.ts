// npm run bench:synth [-- --runs N] [--artifacts DIR]: times a 17-region x 6-stack synth against a 1 x 1 synth in the
// same run, end to end (the app process `cdk synth` starts) and in-process (the work alone).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import {
  timeAppProcess,
  timeInProcess,
  writeBenchConfig,
  type BenchConfig,
  type SynthTiming,
} from '../lib/bench/synth-bench.js';
import { parseFlags, runCli } from '../lib/cli/run.js';
import { ExitCode } from '../lib/errors.js';

const median = (xs: readonly number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function series(
  runs: number,
  time: (c: BenchConfig) => Promise<SynthTiming>,
  small: BenchConfig,
  large: BenchConfig,
) {
  await time(small); // untimed warm-up: first-run module loading and disk caches are not billed to either side
  const s: SynthTiming[] = [];
  const l: SynthTiming[] = [];
  for (let i = 0; i < runs; i++) {
    s.push(await time(small));
    l.push(await time(large));
  }
  return { s, l };
}

function report(title: string, r: { s: SynthTiming[]; l: SynthTiming[] }): number {
  const line = (name: string, ts: SynthTiming[]) => {
    const ms = ts.map((t) => t.ms);
    const parses = ts[0]!.templateParses >= 0 ? `  templates parsed per synth: ${ts[0]!.templateParses}` : '';
    return `  ${name.padEnd(22)} ${String(ts[0]!.stacks).padStart(4)} stacks  median ${median(ms).toFixed(0).padStart(6)} ms  (${ms.map((m) => m.toFixed(0)).join(', ')})${parses}`;
  };
  const ratio = median(r.l.map((t) => t.ms)) / median(r.s.map((t) => t.ms));
  console.log(title);
  console.log(line('1 region x 1 stack', r.s));
  console.log(line('17 regions x 6 stacks', r.l));
  console.log(`  ratio ${ratio.toFixed(2)}x`);
  return ratio;
}

void runCli(async (argv) => {
  const { values } = parseFlags(argv, { runs: { type: 'string', default: '3' }, artifacts: { type: 'string' } });
  const runs = Math.max(1, Number(values.runs) || 3);
  const root = path.join(import.meta.dirname, '..');
  const artifactsDir = values.artifacts ?? path.join(root, 'assets', 'example');
  const dir = mkdtempSync(path.join(tmpdir(), 'taegis-bench-config-'));
  try {
    const small = writeBenchConfig(dir, artifactsDir, 1, 1);
    const large = writeBenchConfig(dir, artifactsDir, 17, 6);
    console.log(
      'synth = read config, validate config + artifacts, build stacks, cdk-nag AwsSolutions, write the cloud assembly',
    );
    const e2e = report(
      'end to end (the app process cdk synth runs; the target applies here):',
      await series(runs, (c) => timeAppProcess(c, path.join(root, 'bin', 'taegis-migrate.ts')), small, large),
    );
    report(
      'in-process (the work alone, no process start; for tracking per-stack cost):',
      await series(runs, timeInProcess, small, large),
    );
    console.log(
      `target: 102-stack synth <= 2x the 1-stack synth: ${e2e <= 2 ? 'MET' : 'MISSED'} (${e2e.toFixed(2)}x end to end)`,
    );
    return e2e <= 2 ? ExitCode.Ok : ExitCode.CheckFailed;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
