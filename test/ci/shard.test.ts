import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ShardResult } from '../../lib/ci/shard.js';
import { ciGateMain, ciShardMain } from '../../lib/commands/ci.js';
import { ExitCode, TaegisError } from '../../lib/util/errors.js';
import { shardedWaves } from '../../lib/pipeline/shards.js';
import { loadConfig, parseConfig } from '../../lib/config/load.js';
import { copyExample, EXAMPLE_CONFIG, exampleRawConfig, writeJson } from '../support/example.js';
import { fleetRaw } from '../support/pipeline.js';

describe('ci shard and ci gate: a wave worked through in shards, its failure tolerance applied at the end', () => {
  const example = copyExample();
  const work = mkdtempSync(path.join(tmpdir(), 'taegis-ci-shard-'));
  afterAll(() => {
    rmSync(example.dir, { recursive: true, force: true });
    rmSync(work, { recursive: true, force: true });
  });
  beforeAll(() => {
    const raw = JSON.parse(readFileSync(example.config, 'utf8')) as Record<string, unknown>;
    fleetRaw(raw, 20, ['eu-west-3', 'us-east-2', 'ap-south-1']);
    writeJson(example.config, raw);
  });

  const waveNamed = (name: string) =>
    shardedWaves({ ...loadConfig(example.config), pipeline: loadConfig(example.config).pipeline! }).find(
      (w) => w.name === name,
    )!;

  it('GIVEN 60 targets WHEN sharded THEN every target is in exactly one shard of exactly one wave, each shard holds whole accounts, at most shardsPerWave shards', () => {
    const config = loadConfig(example.config);
    const waves = shardedWaves({ ...config, pipeline: config.pipeline! });
    const seen = waves.flatMap((w) => w.shards.flat().map((t) => `${t.account}/${t.region}`));
    expect(seen.sort()).toEqual(config.regions.map((r) => `${r.account}/${r.region}`).sort());
    for (const w of waves) {
      expect(w.shards.length).toBeLessThanOrEqual(8);
      const accountShard = new Map<string, number>();
      w.shards.forEach((s, i) =>
        s.forEach((t) => {
          expect(accountShard.get(t.account) ?? i).toBe(i);
          accountShard.set(t.account, i);
        }),
      );
    }
    expect(waves.map((w) => [w.name, w.targets.length, w.shards.length])).toEqual([
      ['pilot', 1, 1],
      ['ten-accounts', 29, 4], // accounts 606000000001..9 (x3 regions) and the pilot account's other two; maxConcurrency 4 caps the shards
      ['everything-else', 30, 8],
    ]);
  });

  it('GIVEN a shard whose targets fail at plan or deploy WHEN it runs THEN every target is attempted, at most the share of the wave concurrency at once, results and a JUnit suite per target written, exit 0', async () => {
    const wave = waveNamed('ten-accounts');
    const targets = wave.shards[0]!;
    expect(targets.length).toBeGreaterThan(2);
    const failPlan = targets[0]!;
    const failDeploy = targets[1]!;
    let inFlight = 0;
    let most = 0;
    const calls: string[] = [];
    const out: string[] = [];
    const code = await ciShardMain(
      ['--config', example.config, '--wave', 'ten-accounts', '--shard', '0', '--log-timeout', '0'],
      {
        cwd: work,
        out: (t) => out.push(t),
        runStep: async (args, _env, log) => {
          inFlight += 1;
          most = Math.max(most, inFlight);
          await new Promise((r) => setTimeout(r, 5));
          inFlight -= 1;
          const account = args[args.indexOf('--account') + 1];
          const region = args[args.indexOf('--region') + 1];
          calls.push(`${args[0]} ${account}/${region}`);
          writeFileSync(log, `ran ${args[0]}\n`);
          if (args[0] === 'plan' && account === failPlan.account && region === failPlan.region) return 1;
          if (args[0] === 'deploy' && account === failDeploy.account && region === failDeploy.region) return 1;
          return 0;
        },
      },
    );
    expect(code).toBe(ExitCode.Ok);
    expect(most).toBeLessThanOrEqual(wave.perShardConcurrency);
    const name = (t: { account: string; region: string }) => `${t.account}/${t.region}`;
    // Each target planned; those that passed plan deployed; those that deployed verified.
    for (const t of targets) expect(calls).toContain(`plan ${name(t)}`);
    expect(calls).not.toContain(`deploy ${name(failPlan)}`);
    expect(calls).not.toContain(`verify ${name(failDeploy)}`);
    const result = JSON.parse(
      readFileSync(path.join(work, 'reports', 'ci', 'ten-accounts-apply-0.json'), 'utf8'),
    ) as ShardResult;
    expect(result.targets.map((t) => t.target)).toEqual(targets.map(name));
    expect(result.targets.filter((t) => t.result === 'fail').map((t) => [t.target, t.reason])).toEqual([
      [name(failPlan), 'plan exit 1'],
      [name(failDeploy), 'deploy exit 1'],
    ]);
    const junit = readFileSync(path.join(work, 'reports', 'junit', 'ten-accounts-apply-0.xml'), 'utf8');
    expect(junit.match(/<testsuite /g)).toHaveLength(targets.length);
    expect(junit).toContain(`<testsuite name="${name(failDeploy)}" tests="2" failures="1">`);
  });

  it('GIVEN the shard results of a wave WHEN the gate runs THEN failures within the tolerance pass (exit 0), a shard without results counts its targets failed and exceeds it (exit 1)', async () => {
    const wave = waveNamed('ten-accounts'); // tolerance 10% of 29 targets: 2 may fail
    const out: string[] = [];
    // Only shard 0 has run (two failures): every other target has no result.
    expect(
      ciGateMain(['--config', example.config, '--wave', 'ten-accounts'], { cwd: work, out: (t) => out.push(t) }),
    ).toBe(ExitCode.CheckFailed);
    const missing = wave.targets.length - wave.shards[0]!.length;
    expect(out.filter((l) => l.includes('no result: its shard did not finish'))).toHaveLength(missing);
    expect(out.at(-1)).toContain(`${missing + 2} failed; tolerance 10% (2 may fail): FAIL`);
    // The other shards pass everything.
    for (let i = 1; i < wave.shards.length; i++) {
      const r = await ciShardMain(['--config', example.config, '--wave', 'ten-accounts', '--shard', String(i)], {
        cwd: work,
        out: () => {},
        runStep: (_a, _e, log) => (writeFileSync(log, ''), Promise.resolve(0)),
      });
      expect(r).toBe(ExitCode.Ok);
    }
    expect(readdirSync(path.join(work, 'reports', 'ci'))).toHaveLength(wave.shards.length);
    out.length = 0;
    expect(
      ciGateMain(['--config', example.config, '--wave', 'ten-accounts'], { cwd: work, out: (t) => out.push(t) }),
    ).toBe(ExitCode.Ok);
    expect(out.at(-1)).toContain('2 failed; tolerance 10% (2 may fail): pass');
    const report = JSON.parse(readFileSync(path.join(work, 'reports', 'ten-accounts-gate.json'), 'utf8')) as {
      failures: unknown[];
      passed: boolean;
    };
    expect(report.passed).toBe(true);
    expect(report.failures).toHaveLength(2);
  });

  it.each([
    [['--wave', 'nope', '--shard', '0'], /--wave nope is not a wave/],
    [['--wave', 'pilot', '--shard', '1'], /--shard 1 is not a shard of wave pilot/],
    [['--wave', 'pilot', '--shard', '0', '--phase', 'destroy'], /--phase: "destroy" is not one of plan, apply/],
    [
      ['--wave', 'pilot', '--shard', '0', '--credential-source', 'Keys'],
      /--credential-source: "Keys" is not one of EcsContainer, Environment/,
    ],
  ])('GIVEN bad flags %j WHEN ci shard runs THEN bad input, nothing run', async (flags, message) => {
    let ran = 0;
    const run = ciShardMain(['--config', example.config, ...flags], {
      cwd: work,
      runStep: () => (ran++, Promise.resolve(0)),
    });
    const err = await run.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TaegisError);
    expect((err as TaegisError).format()).toMatch(message);
    expect(ran).toBe(0);
  });
});

describe('pipeline limits in the config: bad input naming the field', () => {
  const base = (mutate: (pipeline: Record<string, unknown>) => void) => {
    const raw = exampleRawConfig();
    fleetRaw(raw, 48, ['eu-west-3']);
    mutate(raw.pipeline as Record<string, unknown>);
    try {
      parseConfig(raw, EXAMPLE_CONFIG);
      return 'valid';
    } catch (e) {
      return JSON.stringify((e as TaegisError).problems);
    }
  };
  it('GIVEN shardsPerWave 25 THEN CONFIG_INVALID at pipeline.shardsPerWave', () => {
    expect(base((p) => (p.shardsPerWave = 25))).toMatch(/"path":"pipeline\.shardsPerWave","message":"is above 24"/);
    expect(base((p) => (p.shardsPerWave = 24))).toBe('valid');
  });
  it('GIVEN 48 waves THEN CONFIG_INVALID at pipeline.waves (CodePipeline holds 50 stages)', () => {
    const waves = (n: number) => (p: Record<string, unknown>) =>
      (p.waves = [
        ...Array.from({ length: n - 1 }, (_, i) => ({
          name: `w${i}`,
          targets: [`6060${String(i).padStart(8, '0')}/eu-west-3`],
        })),
        { name: 'rest', targets: ['*'] },
      ]);
    expect(base(waves(48))).toMatch(/"path":"pipeline\.waves","message":"lists more than 47 waves"/);
    expect(base(waves(47))).toBe('valid');
  });
});
