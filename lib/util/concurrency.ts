/**
 * A concurrency bound: at most `n` of the wrapped functions run at once; the rest wait in the order they came.
 * One bound can be shared by work of different kinds (verify wraps its stack checks, bucket writes and log polls in
 * one), so the account's API rate limits see one number. Wrap leaf units of work only: a wrapped function that waits
 * for another wrapped one can deadlock.
 */
export function limiter(n: number): <T>(fn: () => Promise<T>) => Promise<T> {
  const slots = Math.max(1, n);
  let active = 0;
  const queue: (() => void)[] = [];
  // A finishing task hands its slot straight to the next waiter, so a caller arriving in between cannot slip in.
  const release = (): void => {
    const next = queue.shift();
    if (next) next();
    else active -= 1;
  };
  return async <T>(fn: () => Promise<T>): Promise<T> => {
    if (active >= slots) await new Promise<void>((resolve) => queue.push(resolve));
    else active += 1;
    try {
      return await fn();
    } finally {
      release();
    }
  };
}

/**
 * Maps over items with at most `limit` calls in flight (a `limiter` of its own), keeping the input order in the
 * result. Many regions times many stacks would otherwise hit the account's API rate limits all at once.
 */
export async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const bounded = limiter(limit);
  return Promise.all(items.map((item, i) => bounded(() => fn(item, i))));
}
