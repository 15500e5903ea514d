/**
 * Lambda runtime lifecycle dates AWS announced, for warnings. Dates are UTC days (YYYY-MM-DD).
 * Source: the Lambda runtimes page, "Deprecated runtimes" (provided.al2 follows Amazon Linux 2's end of support).
 */
export interface RuntimeLifecycle {
  readonly deprecated: string;
  readonly blockCreate: string;
  readonly blockUpdate: string;
  readonly successor: string;
}

export const RUNTIME_LIFECYCLE: Readonly<Record<string, RuntimeLifecycle>> = {
  'provided.al2': {
    deprecated: '2026-06-30',
    blockCreate: '2026-07-31',
    blockUpdate: '2026-08-31',
    successor: 'provided.al2023',
  },
};

/**
 * The warning for a runtime on `now`, or undefined when AWS has announced nothing for it.
 * Says which stage is reached, with every date, so users can plan.
 */
export function runtimeWarning(runtime: string, now: Date): string | undefined {
  const life = RUNTIME_LIFECYCLE[runtime];
  if (!life) return undefined;
  const day = now.toISOString().slice(0, 10);
  const stage =
    day >= life.blockUpdate
      ? `AWS blocks updating functions on it since ${life.blockUpdate}`
      : day >= life.blockCreate
        ? `AWS blocks creating functions on it since ${life.blockCreate} and will block updates from ${life.blockUpdate}`
        : day >= life.deprecated
          ? `deprecated by AWS since ${life.deprecated}; creating functions is blocked from ${life.blockCreate}, updating from ${life.blockUpdate}`
          : `AWS deprecates it on ${life.deprecated}; creating functions is blocked from ${life.blockCreate}, updating from ${life.blockUpdate}`;
  const timeline =
    day >= life.blockUpdate ? ` (deprecated ${life.deprecated}, creation blocked ${life.blockCreate})` : '';
  return `runtime ${runtime}: ${stage}${timeline}; plan the move to ${life.successor} once the vendor supports it`;
}
