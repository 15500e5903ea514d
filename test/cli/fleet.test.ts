import { readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  fleetFlags,
  fleetWaves,
  formatFleetSummary,
  runWaves,
  type FleetRow,
  type FleetWave,
} from '../../lib/cli/fleet.js';
import { unknownRegion, EXTRA_REGIONS_ENV } from '../../lib/config/regions.js';
import { reportError, TaegisError, type Problem } from '../../lib/util/errors.js';
import { programMain } from '../../lib/commands/index.js';
import { loadConfig } from '../../lib/config/load.js';
import { NO_FAILURES } from '../../lib/util/tolerance.js';
import { countingEndpoint } from '../support/counting-endpoint.js';
import { copyExample } from '../support/example.js';
import { parseSummary } from '../support/summary.js';

const A = '111111111111';
const B = '222222222222';

describe('fleet flags', () => {
  it.each([
    [['--failure-tolerance', '-1'], '--failure-tolerance'],
    [['--failure-tolerance', '10 %'], '--failure-tolerance'],
    [['--failure-tolerance', '101%'], '--failure-tolerance'],
    [['--failure-tolerance', '1.5'], '--failure-tolerance'],
  ])('GIVEN %j THEN a problem naming %s', (argv, flag) => {
    const problems: Problem[] = [];
    fleetFlags({ [argv[0]!.slice(2)]: argv[1] }, problems);
    expect(problems.map((p) => p.path)).toEqual([flag]);
    expect(problems[0]!.fix).toBeTruthy();
  });

  it('GIVEN good values THEN counts, percentages and a concurrency', () => {
    const problems: Problem[] = [];
    expect(fleetFlags({ 'failure-tolerance': '10%', concurrency: 8 }, problems)).toMatchObject({
      tolerance: { kind: 'percent', value: 10 },
      concurrency: 8,
    });
    expect(fleetFlags({ 'failure-tolerance': '2' }, problems).tolerance).toEqual({ kind: 'count', value: 2 });
    expect(problems).toEqual([]);
  });
});

describe('waves of a run by hand', () => {
  const regions = [
    { account: A, region: 'us-east-1' },
    { account: A, region: 'eu-west-1' },
    { account: B, region: 'us-east-1' },
    { account: B, region: 'eu-west-1' },
  ];
  const config = {
    configPath: 'taegis.config.json',
    regions,
    pipeline: {
      waves: [
        { name: 'pilot', targets: [`${A}/us-east-1`], approval: false, failureTolerance: 0 },
        { name: 'rest', targets: ['*'], approval: false, failureTolerance: '50%', maxConcurrency: 3 },
      ],
    },
  } as unknown as Parameters<typeof fleetWaves>[0];

  it('GIVEN no wave flag THEN one wave of the selected targets, tolerance 0 unless given', () => {
    const [w, ...more] = fleetWaves(config, { regions: regions.slice(0, 2) } as never, { waves: false }, 4);
    expect(more).toEqual([]);
    expect(w).toMatchObject({ name: 'all', tolerance: NO_FAILURES, concurrency: 4 });
    expect(w!.targets).toHaveLength(2);
  });

  it("GIVEN --waves THEN the config's waves in order with their own tolerance and concurrency, flags winning", () => {
    const waves = fleetWaves(config, config, { waves: true }, 4);
    expect(waves.map((w) => [w.name, w.targets.length, w.tolerance, w.concurrency])).toEqual([
      ['pilot', 1, { kind: 'count', value: 0 }, 4],
      ['rest', 3, { kind: 'percent', value: 50 }, 3],
    ]);
    const flagged = fleetWaves(config, config, { waves: true, concurrency: 9 }, 4);
    expect(flagged.map((w) => w.concurrency)).toEqual([9, 9]);
  });

  it('GIVEN --wave with an unknown name, or waves without a pipeline THEN bad input', () => {
    expect(() => fleetWaves(config, config as never, { waves: false, wave: 'nope' }, 4)).toThrow(
      /--wave "nope" is not a wave/,
    );
    expect(() => fleetWaves({ ...config, pipeline: undefined }, config as never, { waves: true }, 4)).toThrow(
      TaegisError,
    );
  });

  it('GIVEN a wave past its tolerance THEN every target of it was attempted and the next wave does not start', async () => {
    const waves: FleetWave[] = [
      { name: 'one', targets: regions.slice(0, 3), tolerance: { kind: 'count', value: 1 }, concurrency: 2 },
      { name: 'two', targets: regions.slice(3), tolerance: NO_FAILURES, concurrency: 2 },
    ];
    const attempted: string[] = [];
    const run = await runWaves(waves, async (w) => {
      const targets = w.targets.map((t, i) => {
        attempted.push(`${t.account}/${t.region}`);
        return { ...t, failed: i < 2 };
      });
      return Promise.resolve({ result: w.name, targets });
    });
    expect(attempted).toHaveLength(3);
    expect(run.exceeded).toBe(true);
    expect(run.waves.map((w) => [w.name, w.failed, w.allowed, w.result])).toEqual([
      ['one', 2, 1, 'exceeded'],
      ['two', 0, 0, 'not-started'],
    ]);
    // Within the tolerance: both waves run.
    const ok = await runWaves(waves, (w) =>
      Promise.resolve({ result: w.name, targets: w.targets.map((t) => ({ ...t, failed: false })) }),
    );
    expect(ok.waves.map((w) => w.result)).toEqual(['pass', 'pass']);
  });
});

describe('the Markdown fleet summary', () => {
  const row = (wave: string, account: string, region: string, stack: string, fail?: string): FleetRow => ({
    wave,
    account,
    region,
    stack,
    steps: [
      { name: 'stack', status: 'pass' },
      { name: 'trigger', status: fail ? 'fail' : 'pass' },
    ],
    result: fail ? 'fail' : 'pass',
    ...(fail ? { failedStep: 'trigger', reason: fail } : {}),
  });

  it('GIVEN a run with failures THEN counts per wave and account come first, then one row per failed target, then every target', () => {
    const rows: FleetRow[] = [
      row('pilot', A, 'us-east-1', 'ct'),
      row('pilot', B, 'us-east-1', 'waf', 'AccessDenied | no role'),
      row('rest', A, 'eu-west-1', 'vpc'),
      row('rest', B, 'eu-west-1', 'vpc', 'bucket gone'),
      { wave: 'later', account: B, region: 'ap-south-1', stack: 'x', steps: [], result: 'not-started' },
    ];
    const md = formatFleetSummary({
      command: 'verify',
      rows,
      exitCode: 1,
      waves: [
        { name: 'pilot', tolerance: '1', allowed: 1, targets: 2, failed: 1, result: 'pass' },
        { name: 'rest', tolerance: '0', allowed: 0, targets: 2, failed: 1, result: 'exceeded' },
        { name: 'later', tolerance: '0', allowed: 0, targets: 1, failed: 0, result: 'not-started' },
      ],
    });
    const s = parseSummary(md);
    expect(s.title).toBe('taegis-migrate verify: FAIL');
    expect(s.counts).toMatch(/^5 target\(s\): 2 passed, 2 failed, 1 not started/);
    expect(s.headings).toEqual(['Waves', 'Accounts', 'Failures (2)', 'All targets (5)']);
    expect(s.waves).toEqual([
      {
        Wave: 'pilot',
        Targets: '2',
        Passed: '1',
        Failed: '1',
        'Not started': '0',
        Tolerance: '1 (1 allowed)',
        Result: 'PASS',
      },
      {
        Wave: 'rest',
        Targets: '2',
        Passed: '1',
        Failed: '1',
        'Not started': '0',
        Tolerance: '0 (0 allowed)',
        Result: 'FAIL',
      },
      {
        Wave: 'later',
        Targets: '1',
        Passed: '0',
        Failed: '0',
        'Not started': '1',
        Tolerance: '0 (0 allowed)',
        Result: 'not started',
      },
    ]);
    // The account with failures leads.
    expect(s.accounts.map((a) => [a.Account, a.Failed])).toEqual([
      [B, '2'],
      [A, '0'],
    ]);
    expect(s.failures).toEqual([
      {
        Wave: 'pilot',
        Account: B,
        Region: 'us-east-1',
        Stack: 'waf',
        Step: 'trigger',
        Reason: 'AccessDenied | no role',
      },
      { Wave: 'rest', Account: B, Region: 'eu-west-1', Stack: 'vpc', Step: 'trigger', Reason: 'bucket gone' },
    ]);
    expect(s.rows).toHaveLength(5);
    expect(s.rows[0]).toMatchObject({ Stack: 'ct', Result: 'pass', Steps: 'stack: pass, trigger: pass' });
  });

  it('GIVEN more rows than GitHub shows THEN the per-target table is left out, the counts and failures stay', () => {
    const rows = Array.from({ length: 9000 }, (_, i) =>
      row(
        'all',
        String(100000000000 + i),
        'us-east-1',
        `stack-with-a-long-name-${i}`,
        i % 1000 === 0 ? 'x' : undefined,
      ),
    );
    const md = formatFleetSummary({
      command: 'verify',
      rows,
      exitCode: 1,
      waves: [{ name: 'all', tolerance: '0', allowed: 0, targets: 9000, failed: 9, result: 'exceeded' }],
    });
    expect(Buffer.byteLength(md)).toBeLessThan(1_000_000);
    const s = parseSummary(md);
    expect(s.failures).toHaveLength(9);
    expect(s.rows).toEqual([]);
  });
});

describe('regions from aws-cdk-lib', () => {
  it('GIVEN a misspelled region THEN it is refused with the nearest known one; a newer region is allowed by the env var', () => {
    expect(unknownRegion('eu-west-1', {})).toBeUndefined();
    expect(unknownRegion('eu-westt-1', {})?.fix).toMatch(/did you mean "eu-west-1"/);
    expect(unknownRegion('xx-newplace-1', {})?.fix).toContain(`${EXTRA_REGIONS_ENV}=xx-newplace-1`);
    expect(unknownRegion('xx-newplace-1', { [EXTRA_REGIONS_ENV]: 'xx-newplace-1, yy-other-2' })).toBeUndefined();
  });
});

describe('bad fleet input in every command: exit 2, nothing called', () => {
  let endpoint: Awaited<ReturnType<typeof countingEndpoint>>;
  let typo: string;
  let example: string;
  beforeAll(async () => {
    endpoint = await countingEndpoint();
    const copy = copyExample();
    example = copy.config;
    const raw = JSON.parse(readFileSync(copy.config, 'utf8')) as { regions: { region: string }[] };
    raw.regions[1]!.region = 'eu-westt-1';
    typo = path.join(path.dirname(copy.config), 'typo.config.json');
    writeFileSync(typo, JSON.stringify(raw));
  });
  afterAll(() => endpoint.stop());

  async function program(args: readonly string[]) {
    let stderr = '';
    const spies = [
      vi.spyOn(process.stdout, 'write').mockImplementation(() => true),
      vi.spyOn(process.stderr, 'write').mockImplementation((c: string | Uint8Array) => ((stderr += String(c)), true)),
    ];
    const saved = process.env.AWS_ENDPOINT_URL;
    process.env.AWS_ENDPOINT_URL = endpoint.url;
    try {
      const code = await programMain(args).catch((err: unknown) => reportError(err));
      return { code, stderr };
    } finally {
      if (saved === undefined) delete process.env.AWS_ENDPOINT_URL;
      else process.env.AWS_ENDPOINT_URL = saved;
      for (const s of spies) s.mockRestore();
    }
  }

  it.each([
    ['deploy', '--failure-tolerance', '-1'],
    ['deploy', '--concurrency', '0'],
    ['plan', '--failure-tolerance', '10x'],
    ['plan', '--concurrency', '1000'],
    ['verify', '--failure-tolerance', '101%'],
    ['verify', '--concurrency', 'many'],
  ])('GIVEN %s %s %s THEN exit 2 naming the flag', async (command, flag, value) => {
    const r = await program([command, '--config', example, flag, value]);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain(flag);
    expect(endpoint.count()).toBe(0);
  });

  it.each(['deploy', 'plan', 'verify'])('GIVEN %s --wave without pipeline waves THEN exit 2', async (command) => {
    const r = await program([command, '--config', example, '--wave', 'pilot']);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/has no waves/);
    expect(endpoint.count()).toBe(0);
  });

  it.each([['synth'], ['deploy'], ['plan'], ['verify'], ['secret', 'put']])(
    'GIVEN a config with "eu-westt-1" WHEN %s runs THEN exit 2 naming the field and the nearest region',
    async (...command) => {
      const r = await program([...command, '--config', typo]);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toContain('regions[1].region: "eu-westt-1" is not an AWS region');
      expect(r.stderr).toContain('did you mean "eu-west-1"');
      expect(endpoint.count()).toBe(0);
    },
  );

  it('GIVEN discover --region eu-westt-1 THEN exit 2, nothing called', async () => {
    const r = await program(['discover', '--region', 'us-east-1,eu-westt-1']);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain('--region: "eu-westt-1" is not an AWS region');
    expect(endpoint.count()).toBe(0);
  });

  it('GIVEN the region allowed through the env var THEN the config loads', () => {
    process.env[EXTRA_REGIONS_ENV] = 'eu-westt-1';
    try {
      expect(loadConfig(typo).regions[1]!.region).toBe('eu-westt-1');
    } finally {
      delete process.env[EXTRA_REGIONS_ENV];
    }
  });
});
