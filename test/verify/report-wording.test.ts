import { describe, expect, it } from 'vitest';
import { exitCodeOf, formatTable, summarize, type RegionReport } from '../../lib/verify/report.js';

describe('wording of counts', () => {
  it('GIVEN a verify run with exactly one warning THEN the closing line says "1 warning", not "1 warnings"', () => {
    const regions: RegionReport[] = [
      {
        region: 'us-east-1',
        stacks: [
          {
            region: 'us-east-1',
            stackName: 'ct',
            checks: [
              {
                name: 'stack',
                status: 'pass',
                detail: 'UPDATE_COMPLETE',
                warnings: [],
                startedAt: '2026-11-23T12:00:00.000Z',
                durationMs: 10,
              },
              {
                name: 'logs',
                status: 'warn',
                detail: 'found',
                warnings: ['1 error-level line(s)'],
                startedAt: '2026-11-23T12:00:00.000Z',
                durationMs: 10,
              },
            ],
          },
        ],
        buckets: [],
      },
    ];
    const table = formatTable({
      tool: 'taegis-migrate verify',
      startedAt: '2026-11-23T12:00:00.000Z',
      finishedAt: '2026-11-23T12:00:01.000Z',
      durationMs: 1000,
      dryRun: false,
      expectRuntime: 'provided.al2',
      regions,
      summary: summarize(regions),
      exitCode: exitCodeOf(regions),
    });
    expect(table.split('\n').at(-1)).toBe('PASS: 1 passed, 1 warning, 0 failed, 0 skipped in 1.0 s');
  });
});
