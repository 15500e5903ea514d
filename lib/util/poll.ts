/** Where a wait in rounds stands, after each round. */
export interface PollProgress {
  readonly done: number;
  readonly total: number;
  readonly secondsLeft: number;
}

export interface PollRoundsOptions {
  /** How many things the wait is for (progress reports `done` of these). */
  readonly total: number;
  /** Seconds to keep asking; 0 asks once. */
  readonly timeoutSeconds: number;
  /** The first pause between rounds. */
  readonly intervalMs: number;
  /** Each pause is the previous one times this, up to `maxIntervalMs`. @default 1 (a steady pace) */
  readonly growth?: number;
  /** @default no limit */
  readonly maxIntervalMs?: number;
  readonly now: () => Date;
  readonly sleep: (ms: number) => Promise<void>;
  readonly onProgress?: (p: PollProgress) => void;
  /** One round over what is still open: how many are left afterwards, or 'stop' to end the wait at once. */
  readonly round: () => Promise<number | 'stop'>;
}

/**
 * Asks round after round until nothing is left or the time is up, reporting progress after each round and never
 * sleeping past the deadline. The verify log wait and the Taegis data wait share it, on their injected clocks.
 */
export async function pollRounds(opts: PollRoundsOptions): Promise<'done' | 'timeout' | 'stopped'> {
  const deadline = opts.now().getTime() + opts.timeoutSeconds * 1000;
  let interval = opts.intervalMs;
  for (;;) {
    const left = await opts.round();
    if (left === 'stop') return 'stopped';
    const msLeft = deadline - opts.now().getTime();
    opts.onProgress?.({
      done: opts.total - left,
      total: opts.total,
      secondsLeft: Math.max(0, Math.ceil(msLeft / 1000)),
    });
    if (left === 0) return 'done';
    if (msLeft <= 0) return 'timeout';
    await opts.sleep(Math.min(interval, msLeft));
    interval = Math.min(opts.maxIntervalMs ?? Infinity, Math.round(interval * (opts.growth ?? 1)));
  }
}
