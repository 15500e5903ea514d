import { describe, expect, it } from 'vitest';
import {
  allowedFailures,
  formatFailureTolerance,
  parseFailureTolerance,
  toleranceExceeded,
} from '../../lib/util/tolerance.js';

describe('failure tolerance', () => {
  it('reads counts and percentages, and nothing else', () => {
    expect(parseFailureTolerance(2)).toEqual({ kind: 'count', value: 2 });
    expect(parseFailureTolerance('2')).toEqual({ kind: 'count', value: 2 });
    expect(parseFailureTolerance('10%')).toEqual({ kind: 'percent', value: 10 });
    for (const bad of [-1, 1.5, '-1', '10 %', '101%', '', 'two', '1e3'])
      expect(parseFailureTolerance(bad)).toBeUndefined();
  });

  it('rounds a percentage down and fails a wave only above what it tolerates', () => {
    const tenPercent = parseFailureTolerance('10%')!;
    expect(allowedFailures(tenPercent, 29)).toBe(2);
    expect(toleranceExceeded(tenPercent, 29, 2)).toBe(false);
    expect(toleranceExceeded(tenPercent, 29, 3)).toBe(true);
    expect(toleranceExceeded({ kind: 'count', value: 0 }, 5, 1)).toBe(true);
    expect(formatFailureTolerance(tenPercent)).toBe('10%');
  });
});
