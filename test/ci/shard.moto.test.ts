import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { ShardResult } from '../../lib/ci/shard.js';
import { copyExample, ROOT, writeJson } from '../support/example.js';
import { useMoto } from '../support/use-moto.js';
import { run } from '../support/run.js';

const BIN = path.join(ROOT, 'bin', 'taegis-migrate.mjs');

describe('ci shard runs the real plan, deploy and verify per target against moto; ci gate applies the tolerance', () => {
  const moto = useMoto();
  const example = copyExample();
  const work = mkdtempSync(path.join(tmpdir(), 'taegis-ci-shard-moto-'));
  afterAll(() => {
    rmSync(example.dir, { recursive: true, force: true });
    rmSync(work, { recursive: true, force: true });
  });

  const withTolerance = (failureTolerance: number) => {
    const raw = JSON.parse(readFileSync(path.join(ROOT, 'assets', 'example', 'taegis.config.json'), 'utf8')) as Record<
      string,
      unknown
    >;
    raw.artifactsDir = example.dir;
    raw.credentialsSecret = { name: 'taegis-migrate/credentials' };
    raw.pipeline = {
      account: '123456789012',
      region: 'us-east-1',
      source: {
        connectionArn: 'arn:aws:codeconnections:us-east-1:123456789012:connection/x',
        repository: 'a/b',
        branch: 'main',
      },
      waves: [{ name: 'all', targets: ['*'], failureTolerance }],
    };
    writeJson(example.config, raw);
  };
  const program = (args: string[]) =>
    run(process.execPath, [BIN, ...args], { cwd: work, env: { ...moto().env, CDK_DISABLE_VERSION_CHECK: '1' } });

  it('GIVEN two targets whose stacks do not exist WHEN the shard runs THEN both are attempted and fail at plan (no deploy), exit 0; the gate fails the wave at tolerance 1 and passes it at 2', async () => {
    withTolerance(1);
    const shard = await program([
      'ci',
      'shard',
      '--config',
      example.config,
      '--wave',
      'all',
      '--shard',
      '0',
      '--log-timeout',
      '0',
    ]);
    expect(shard.code, shard.stderr + shard.stdout).toBe(0);
    const result = JSON.parse(
      readFileSync(path.join(work, 'reports', 'ci', 'all-apply-0.json'), 'utf8'),
    ) as ShardResult;
    expect(result.targets.map((t) => [t.target, t.result, t.reason])).toEqual([
      ['123456789012/us-east-1', 'fail', 'plan exit 1'],
      ['123456789012/eu-west-1', 'fail', 'plan exit 1'],
    ]);
    // The plan's own words are in the report: the stacks it could not find.
    expect(result.targets[0]!.steps[0]!.tail).toMatch(/lab-network-lambda|does not exist|missing/i);
    const strict = await program(['ci', 'gate', '--config', example.config, '--wave', 'all']);
    expect(strict.code, strict.stdout).toBe(1);
    expect(strict.stdout).toContain('2 failed; tolerance 1 (1 may fail): FAIL');
    withTolerance(2);
    const lenient = await program(['ci', 'gate', '--config', example.config, '--wave', 'all']);
    expect(lenient.code, lenient.stdout).toBe(0);
    expect(lenient.stdout).toContain('2 failed; tolerance 2 (2 may fail): pass');
  });

  it('GIVEN --help and a bad shard WHEN run THEN usage with exit 0, and exit 2 with nothing called', async () => {
    const help = await program(['ci', 'shard', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('usage: taegis-migrate ci shard');
    const gateHelp = await program(['ci', 'gate', '--help']);
    expect(gateHelp.stdout).toContain('usage: taegis-migrate ci gate');
    withTolerance(0);
    const bad = await program(['ci', 'shard', '--config', example.config, '--wave', 'all', '--shard', '5']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--shard 5 is not a shard of wave all');
  });
});
