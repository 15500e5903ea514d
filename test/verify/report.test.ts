import { describe, expect, it } from 'vitest';
import {
  exitCodeOf,
  formatJUnit,
  formatTable,
  summarize,
  type RegionReport,
  type VerifyReport,
} from '../../lib/verify/report.js';

const check = (
  name: 'stack' | 'runtime' | 'health' | 'trigger' | 'logs',
  status: 'pass' | 'warn' | 'fail' | 'skip',
  detail: string,
  warnings: string[] = [],
) => ({
  name,
  status,
  detail,
  warnings,
  startedAt: '2026-11-23T12:00:00.000Z',
  durationMs: 1500,
});

function report(regions: RegionReport[]): VerifyReport {
  return {
    tool: 'taegis-migrate verify',
    startedAt: '2026-11-23T12:00:00.000Z',
    finishedAt: '2026-11-23T12:00:03.000Z',
    durationMs: 3000,
    dryRun: false,
    expectRuntime: 'provided.al2',
    regions,
    summary: summarize(regions),
    exitCode: exitCodeOf(regions),
  };
}

describe('reports', () => {
  const regions: RegionReport[] = [
    {
      region: 'us-east-1',
      stacks: [
        {
          region: 'us-east-1',
          stackName: 'ct',
          checks: [
            check('stack', 'pass', 'UPDATE_COMPLETE'),
            check('runtime', 'fail', 'runtime is nodejs20.x, expected provided.al2 <& "quoted">'),
            check('health', 'pass', 'State Active'),
            check('trigger', 'skip', 'not run: an earlier check failed'),
            check('logs', 'warn', 'found', ['1 error-level line(s): ERROR \u0007bell']),
          ],
        },
      ],
      buckets: [],
    },
    {
      region: 'eu-west-1',
      stacks: [{ region: 'eu-west-1', stackName: 'waf', checks: [check('stack', 'pass', 'CREATE_COMPLETE')] }],
      buckets: [],
    },
  ];

  it('GIVEN a failed check THEN exit code 1 and JUnit has a suite per region, a case per stack and check, escaped failure reasons and skips', () => {
    const r = report(regions);
    expect(r.exitCode).toBe(1);
    expect(r.summary).toEqual({ pass: 3, warn: 1, fail: 1, skip: 1 });
    const xml = formatJUnit(r);
    expect(xml).toContain('<testsuite name="us-east-1" tests="5" failures="1" errors="0" skipped="1" time="7.500"');
    expect(xml).toContain('<testsuite name="eu-west-1" tests="1" failures="0"');
    expect(xml).toContain(
      '<failure message="runtime is nodejs20.x, expected provided.al2 &lt;&amp; &quot;quoted&quot;&gt;" type="runtime">',
    );
    expect(xml).toContain(
      '<testcase classname="us-east-1.ct" name="trigger" time="1.500">\n      <skipped message="not run: an earlier check failed"/>',
    );
    // Control characters are not allowed in XML 1.0, even escaped.
    expect(xml).not.toContain('\u0007');
    expect(xml.match(/<testcase /g)).toHaveLength(6);
  });

  it('GIVEN only passes and warnings THEN exit code 0 and the table ends with PASS and the counts', () => {
    const ok = report([regions[1]!]);
    expect(ok.exitCode).toBe(0);
    const table = formatTable(ok);
    expect(table).toContain('== eu-west-1 ==');
    expect(table).toMatch(/waf +stack +PASS +CREATE_COMPLETE/);
    expect(table.split('\n').at(-1)).toBe('PASS: 1 passed, 0 warnings, 0 failed, 0 skipped in 3.0 s');
  });
});
