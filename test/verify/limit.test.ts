import { describe, expect, it } from 'vitest';
import { limiter } from '../../lib/verify/limit.js';

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
