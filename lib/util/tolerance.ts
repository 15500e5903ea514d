/**
 * Failure tolerance of a wave of targets, as CloudFormation StackSets express it: a count of targets, or a percentage
 * of the wave's targets (rounded down), that may fail before the wave fails. Every target of a wave is attempted
 * either way; the tolerance only decides whether the wave (and so the run, and the next wave) goes on.
 */
export type FailureTolerance =
  { readonly kind: 'count'; readonly value: number } | { readonly kind: 'percent'; readonly value: number };

/** What `--failure-tolerance` and a wave's `failureTolerance` accept: `2`, `"2"`, `"10%"`. */
export const FAILURE_TOLERANCE_FORM = 'a whole number of targets (e.g. 2) or a percentage from 0% to 100% (e.g. "10%")';

/** No target may fail: the default everywhere. */
export const NO_FAILURES: FailureTolerance = { kind: 'count', value: 0 };

/**
 * Reads a tolerance; `undefined` for anything else (a negative number, a fraction, `"10 %"`, `"101%"`), so that
 * each caller reports bad input in its own words (a flag name or a config path).
 */
export function parseFailureTolerance(input: string | number): FailureTolerance | undefined {
  if (typeof input === 'number') {
    return Number.isSafeInteger(input) && input >= 0 ? { kind: 'count', value: input } : undefined;
  }
  const percent = /^(\d{1,3})%$/.exec(input);
  if (percent) {
    const value = Number(percent[1]);
    return value <= 100 ? { kind: 'percent', value } : undefined;
  }
  return /^\d{1,9}$/.test(input) ? { kind: 'count', value: Number(input) } : undefined;
}

/** How many of `total` targets may fail. */
export function allowedFailures(tolerance: FailureTolerance, total: number): number {
  return tolerance.kind === 'count' ? tolerance.value : Math.floor((total * tolerance.value) / 100);
}

/** True when `failed` of `total` targets is more than the tolerance allows: the wave fails, the next does not start. */
export function toleranceExceeded(tolerance: FailureTolerance, total: number, failed: number): boolean {
  return failed > allowedFailures(tolerance, total);
}

/** `2`, `10%`: as a user writes it. */
export function formatFailureTolerance(tolerance: FailureTolerance): string {
  return tolerance.kind === 'count' ? String(tolerance.value) : `${tolerance.value}%`;
}
