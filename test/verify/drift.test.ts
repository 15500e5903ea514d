import { describe, expect, it } from 'vitest';
import { fixCommand, withDriftFixes } from '../../lib/verify/drift.js';
import { formatJUnit, formatTable, type CheckResult, type VerifyReport } from '../../lib/verify/report.js';

const check = (
  name: CheckResult['name'],
  status: CheckResult['status'],
  detail = `${name} ${status}`,
): CheckResult => ({
  name,
  status,
  detail,
  warnings: [],
  startedAt: '2026-12-04T06:00:00.000Z',
  durationMs: 1,
});

const report: VerifyReport = {
  tool: 'taegis-migrate verify',
  startedAt: '2026-12-04T06:00:00.000Z',
  finishedAt: '2026-12-04T06:00:01.000Z',
  durationMs: 1000,
  dryRun: true,
  expectRuntime: 'provided.al2',
  regions: [
    {
      account: '222222222222',
      region: 'eu-west-1',
      stacks: [
        {
          region: 'eu-west-1',
          stackName: 'waf',
          checks: [check('stack', 'pass'), check('runtime', 'fail', 'runtime is go1.x'), check('health', 'skip')],
        },
      ],
      buckets: [],
    },
    {
      account: '222222222222',
      region: 'us-east-1',
      stacks: [
        {
          region: 'us-east-1',
          stackName: 'ct',
          checks: [
            check('stack', 'pass'),
            check('trigger', 'fail', 'drift: would add trigger t'),
            check('logs', 'skip'),
          ],
        },
      ],
      buckets: [],
    },
  ],
  summary: { pass: 2, warn: 0, fail: 2, skip: 2 },
  exitCode: 1,
};

describe('verify --check: each drift with the command that fixes it', () => {
  it('GIVEN each kind of check THEN a trigger is fixed by verify of that stack, a stack, runtime or health by deploy', () => {
    const where = { account: '222222222222', region: 'us-east-1', stackName: 'ct' };
    const target = '--config c.json --account 222222222222 --region us-east-1';
    expect(fixCommand('trigger', where, 'c.json')).toBe(`taegis-migrate verify ${target} --stack ct`);
    expect(fixCommand('package', where, 'c.json')).toBe(`taegis-migrate deploy ${target}`);
    expect(fixCommand('sns', where, 'c.json')).toBe(`taegis-migrate verify ${target} --stack ct`);
    expect(fixCommand('failed-events', where, 'c.json')).toMatch(/then taegis-migrate replay .* --stack ct$/);
    for (const c of ['stack', 'runtime', 'health'] as const)
      expect(fixCommand(c, where, 'c.json')).toBe(`taegis-migrate deploy ${target}`);
    expect(fixCommand('logs', where, 'c.json')).toMatch(/then taegis-migrate verify .* --stack ct --log-timeout 600$/);
    expect(fixCommand('taegis', where, undefined)).toMatch(/taegis-migrate verify --account 222222222222 .*--taegis$/);
  });

  it('GIVEN a report THEN only failed checks become drifts, each in the table, the JSON and the JUnit failure', () => {
    const r = withDriftFixes(report, 'c.json');
    expect(r.check).toBe(true);
    expect(r.drifts!.map((d) => `${d.region} ${d.stackName} ${d.check}`)).toEqual([
      'eu-west-1 waf runtime',
      'us-east-1 ct trigger',
    ]);
    expect(r.regions.flatMap((g) => g.stacks.flatMap((s) => s.checks.filter((c) => c.fix).map((c) => c.name)))).toEqual(
      ['runtime', 'trigger'],
    );
    const table = formatTable(r);
    expect(table).toContain('DRIFT (2):');
    expect(table).toContain('fix: taegis-migrate deploy --config c.json --account 222222222222 --region eu-west-1');
    expect(table).toContain('(check: read-only, nothing was written)');
    expect(formatJUnit(r)).toContain(
      'message="drift: would add trigger t; fix: taegis-migrate verify --config c.json --account 222222222222 --region us-east-1 --stack ct"',
    );
  });
});
