import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { bench } from '../cli/definition/bench.js';
import { parseCommand } from '../cli/parse.js';
import { ExitCode } from '../util/errors.js';
import {
  timeAppProcess,
  timeInProcess,
  writeBenchConfig,
  type BenchConfig,
  type SynthTiming,
} from '../bench/synth-bench.js';

const ROOT = path.join(import.meta.dirname, '..', '..');

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

function report(out: (t: string) => void, title: string, r: { s: SynthTiming[]; l: SynthTiming[] }): number {
  const line = (name: string, ts: SynthTiming[]) => {
    const ms = ts.map((t) => t.ms);
    const parses = ts[0]!.templateParses >= 0 ? `  templates parsed per synth: ${ts[0]!.templateParses}` : '';
    return `  ${name.padEnd(22)} ${String(ts[0]!.stacks).padStart(4)} stacks  median ${median(ms).toFixed(0).padStart(6)} ms  (${ms.map((m) => m.toFixed(0)).join(', ')})${parses}`;
  };
  const ratio = median(r.l.map((t) => t.ms)) / median(r.s.map((t) => t.ms));
  out(title);
  out(line('1 region x 1 stack', r.s));
  out(line('17 regions x 6 stacks', r.l));
  out(`  ratio ${ratio.toFixed(2)}x`);
  return ratio;
}

/** `bench synth`: the synth benchmark (lib/cli/definition/bench.ts). */
export async function benchSynth(
  values: { readonly runs: number; readonly artifacts: string | undefined },
  out = (t: string) => console.log(t),
): Promise<ExitCode> {
  const runs = values.runs;
  const artifactsDir = values.artifacts ?? path.join(ROOT, 'assets', 'example');
  const dir = mkdtempSync(path.join(tmpdir(), 'taegis-bench-config-'));
  try {
    const small = writeBenchConfig(dir, artifactsDir, 1, 1);
    const large = writeBenchConfig(dir, artifactsDir, 17, 6);
    out(
      'synth = read config, validate config + artifacts, build stacks, cdk-nag AwsSolutions, write the cloud assembly',
    );
    const e2e = report(
      out,
      'end to end (the app process cdk synth runs; the target applies here):',
      await series(runs, (c) => timeAppProcess(c, path.join(ROOT, 'bin', 'cdk-app.ts')), small, large),
    );
    report(
      out,
      'in-process (the work alone, no process start; for tracking per-stack cost):',
      await series(runs, timeInProcess, small, large),
    );
    out(
      `target: 102-stack synth <= 2x the 1-stack synth: ${e2e <= 2 ? 'MET' : 'MISSED'} (${e2e.toFixed(2)}x end to end)`,
    );
    return e2e <= 2 ? ExitCode.Ok : ExitCode.CheckFailed;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** `bench <synth|verify|fleet>`. The verify benchmarks drive moto through the test support, so they load only when run. */
export async function benchMain(argv: readonly string[], out = (t: string) => console.log(t)): Promise<ExitCode> {
  const { values, sub, help } = parseCommand(bench, argv);
  if (help !== undefined) {
    out(help);
    return ExitCode.Ok;
  }
  if (sub === 'synth') return benchSynth(values, out);
  if (sub === 'verify') {
    const { benchVerify } = await import('../../test/bench/verify-bench.js');
    return benchVerify({
      baselineStacks: values['baseline-stacks'],
      concurrency: values.concurrency,
      accounts: values.accounts ?? 1,
    });
  }
  const { benchFleet } = await import('../../test/bench/fleet-bench.js');
  return benchFleet({
    accounts: values.accounts ?? 100,
    regions: values.regions,
    stacks: values.stacks,
    concurrency: values.concurrency,
  });
}
