/**
 * A concurrency bound: at most `n` of the wrapped functions run at once; the rest wait in order.
 * Wrap leaf units of work only (a wrapped function must not wait for another wrapped one, or it can deadlock).
 */
export function limiter(n: number): <T>(fn: () => Promise<T>) => Promise<T> {
  let active = 0;
  const queue: (() => void)[] = [];
  // A finishing task hands its slot straight to the next waiter, so a caller arriving in between cannot slip in.
  const release = (): void => {
    const next = queue.shift();
    if (next) next();
    else active -= 1;
  };
  return async <T>(fn: () => Promise<T>): Promise<T> => {
    if (active >= n) await new Promise<void>((resolve) => queue.push(resolve));
    else active += 1;
    try {
      return await fn();
    } finally {
      release();
    }
  };
}
