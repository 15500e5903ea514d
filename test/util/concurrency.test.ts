import { describe, expect, it } from 'vitest';
import { limiter, mapLimit } from '../../lib/util/concurrency.js';

describe('limiter', () => {
  it('GIVEN a bound of 3 WHEN 20 tasks start at once THEN at most 3 run together, all finish, and failures do not leak slots', async () => {
    const limit = limiter(3);
    let active = 0;
    let peak = 0;
    const results = await Promise.allSettled(
      Array.from({ length: 20 }, (_, i) =>
        limit(async () => {
          active += 1;
          peak = Math.max(peak, active);
          await new Promise((r) => setTimeout(r, 5));
          active -= 1;
          if (i % 5 === 0) throw new Error(`task ${i}`);
          return i;
        }),
      ),
    );
    expect(peak).toBe(3);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(16);
    expect(await limit(() => Promise.resolve('free'))).toBe('free');
  });
});

describe('mapLimit', () => {
  it('GIVEN a bound of 2 WHEN mapping 9 items that finish out of order THEN at most 2 run together and results keep input order', async () => {
    let active = 0;
    let peak = 0;
    const started: number[] = [];
    const out = await mapLimit([5, 1, 4, 1, 3, 1, 2, 1, 1], 2, async (ms, i) => {
      started.push(i);
      active += 1;
      peak = Math.max(peak, active);
      await new Promise((r) => setTimeout(r, ms * 3));
      active -= 1;
      return `${i}:${ms}`;
    });
    expect(peak).toBe(2);
    expect(started).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
    expect(out).toEqual(['0:5', '1:1', '2:4', '3:1', '4:3', '5:1', '6:2', '7:1', '8:1']);
  });

  it('GIVEN a bound of 0 or no items THEN it still runs (one at a time) or answers at once', async () => {
    expect(await mapLimit([1, 2], 0, (x) => Promise.resolve(x * 2))).toEqual([2, 4]);
    expect(await mapLimit([], 4, () => Promise.resolve(1))).toEqual([]);
  });
});
