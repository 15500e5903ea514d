import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { parseFlags } from '../cli/run.js';
import { ExitCode, TaegisError } from '../util/errors.js';
import {
  timeAppProcess,
  timeInProcess,
  writeBenchConfig,
  type BenchConfig,
  type SynthTiming,
} from '../bench/synth-bench.js';

const ROOT = path.join(import.meta.dirname, '..', '..');

export const BENCH_USAGE = `usage: taegis-migrate bench <synth|verify|fleet> [flags]     (npm run bench:synth / bench:verify / bench:fleet)

  synth    times a 17-region x 6-stack synth against a 1 x 1 synth, end to end (the app process cdk synth starts)
           and in-process; exit 1 when the large synth takes more than 2x the small one
           --runs N                timed runs per size (default 3)
           --artifacts DIR         vendor artifacts folder (default assets/example)
  verify   seeds moto (started on a free 127.0.0.1 port, stopped by PID) with many stacks, runs verify against it
           and compares with an aws-cli baseline
           --baseline-stacks N     stacks in the aws-cli baseline (5 to 100, default 10)
           --concurrency N         verify's concurrency (default 16)
  fleet    seeds moto with ACCOUNTS x REGIONS targets (STACKS each) and runs verify over them as the CLI does, against
           the same stacks in one account; exit 1 when the fleet adds more than 0.5 requests per stack or 1.3x the time
           --accounts N            accounts (default 100)
           --regions N             regions per account (1 to 6, default 3)
           --stacks N              stacks per target (default 1)
           --concurrency N         verify's concurrency (default 16)
  -h, --help                       show this help`;

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

/** `bench synth`: the synth benchmark (see BENCH_USAGE). */
export async function benchSynth(argv: readonly string[], out = (t: string) => console.log(t)): Promise<ExitCode> {
  const { values } = parseFlags(argv, {
    runs: { type: 'string', default: '3' },
    artifacts: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    out(BENCH_USAGE);
    return ExitCode.Ok;
  }
  if (!/^\d+$/.test(values.runs) || Number(values.runs) < 1) {
    throw new TaegisError('INPUT_INVALID', `--runs "${values.runs}" is not a whole number from 1`, {
      fix: 'pass e.g. --runs 3',
    });
  }
  const runs = Number(values.runs);
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

/** `bench <synth|verify>`. The verify benchmark drives moto through the test support, so it is loaded only when run. */
export async function benchMain(argv: readonly string[], out = (t: string) => console.log(t)): Promise<ExitCode> {
  const [which, ...rest] = argv;
  if (which === undefined || which === '-h' || which === '--help' || which === 'help') {
    out(BENCH_USAGE);
    return which === undefined ? ExitCode.BadInput : ExitCode.Ok;
  }
  if (which === 'synth') return benchSynth(rest, out);
  if (which === 'verify') {
    if (rest.includes('-h') || rest.includes('--help')) {
      out(BENCH_USAGE);
      return ExitCode.Ok;
    }
    const { benchVerify } = await import('../../test/bench/verify-bench.js');
    return benchVerify(rest);
  }
  if (which === 'fleet') {
    if (rest.includes('-h') || rest.includes('--help')) {
      out(BENCH_USAGE);
      return ExitCode.Ok;
    }
    const { benchFleet } = await import('../../test/bench/fleet-bench.js');
    return benchFleet(rest);
  }
  throw new TaegisError('INPUT_INVALID', `unknown benchmark "${which}"`, {
    fix: 'use "bench synth", "bench verify" or "bench fleet"',
  });
}
