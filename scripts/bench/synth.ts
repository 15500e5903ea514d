/**
 * `npm run bench:synth`: times a 17-region x 6-stack synth against a 1 x 1 synth, end to end (the app process
 * `cdk synth` starts) and in-process. Target: the large synth takes at most 2x the small one; exit 1 when missed.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { buildApp } from '../../lib/app/app.js';
import { templateParseCount } from '../../lib/artifacts/cfn-yaml.js';
import { parseConfig } from '../../lib/config/load.js';
import { ExitCode } from '../../lib/util/errors.js';

const ROOT = path.join(import.meta.dirname, '..', '..');

/** 17 commercial regions, the "every region" case the benchmark models. */
export const BENCH_REGIONS = [
  'us-east-1',
  'us-east-2',
  'us-west-1',
  'us-west-2',
  'ca-central-1',
  'eu-west-1',
  'eu-west-2',
  'eu-west-3',
  'eu-central-1',
  'eu-north-1',
  'ap-south-1',
  'ap-northeast-1',
  'ap-northeast-2',
  'ap-northeast-3',
  'ap-southeast-1',
  'ap-southeast-2',
  'sa-east-1',
] as const;
const INTEGRATIONS = [
  'awscloudtrail',
  'awscloudwatchlogs',
  'awsalb',
  'awsvpcflowlogs',
  'awswaf',
  'ciscoumbrella',
] as const;

/** A generated config file of `regions` x `stacksPerRegion` Lambda stacks over the given artifacts folder. */
export interface BenchConfig {
  readonly file: string;
  readonly raw: unknown;
}

export function writeBenchConfig(
  dir: string,
  artifactsDir: string,
  regions: number,
  stacksPerRegion: number,
): BenchConfig {
  const raw = {
    taegisRegion: 'ctpx',
    artifactsDir: path.resolve(artifactsDir),
    lambdaRuntime: 'provided.al2023',
    regions: BENCH_REGIONS.slice(0, regions).map((region) => ({
      region,
      account: '123456789012',
      lambdaStacks: Array.from({ length: stacksPerRegion }, (_, i) => {
        const integrationType = INTEGRATIONS[i % INTEGRATIONS.length]!;
        return {
          stackName: `bench-${integrationType}-${i}`,
          integrationType,
          notificationBucket: `bench-logs-${region}-${i}`,
        };
      }),
    })),
  };
  const file = path.join(dir, `bench-${regions}x${stacksPerRegion}.taegis.config.json`);
  writeFileSync(file, JSON.stringify(raw, null, 2));
  return { file, raw };
}

export interface SynthTiming {
  readonly stacks: number;
  readonly ms: number;
  /** Templates parsed during this synth (2 whatever the stack count; -1 when not observable). */
  readonly templateParses: number;
}

/** In-process: validate, build (with cdk-nag) and synthesize into a fresh folder; the work only, no process start. */
export async function timeInProcess(config: BenchConfig): Promise<SynthTiming> {
  const outdir = mkdtempSync(path.join(tmpdir(), 'taegis-bench-'));
  try {
    const parsesBefore = templateParseCount();
    const start = performance.now();
    const built = await buildApp(parseConfig(config.raw, config.file), {
      appProps: { outdir, builtinCloudFormationValidation: false },
    });
    const assembly = built.app.synth();
    const ms = performance.now() - start;
    if ((built.nag?.own.length ?? 0) > 0)
      throw new Error('cdk-nag findings on our own stacks: fix them before benchmarking');
    return { stacks: assembly.stacks.length, ms, templateParses: templateParseCount() - parsesBefore };
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

/**
 * End to end, as `cdk synth` runs it: the app entry point in its own Node process (tsx, module loading, config file
 * read, validation, cdk-nag, cloud assembly written), timed on the wall clock.
 */
export async function timeAppProcess(config: BenchConfig, appEntry: string): Promise<SynthTiming> {
  const outdir = mkdtempSync(path.join(tmpdir(), 'taegis-bench-'));
  try {
    const start = performance.now();
    await new Promise<void>((resolve, reject) => {
      const child = spawn(process.execPath, ['--import', 'tsx', appEntry], {
        cwd: path.dirname(path.dirname(appEntry)),
        env: { ...process.env, CDK_OUTDIR: outdir, CDK_CONTEXT_JSON: JSON.stringify({ config: config.file }) },
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      child.on('error', reject);
      child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`app exited ${code}: ${stderr}`))));
    });
    const ms = performance.now() - start;
    const stacks = readdirSync(outdir).filter((f) => f.endsWith('.template.json')).length;
    return { stacks, ms, templateParses: -1 };
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

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

/** `npm run bench:synth` (flags: ./definition.ts). */
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
