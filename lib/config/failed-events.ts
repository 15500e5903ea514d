import { z } from 'zod';

// Must equal FIX_SEPARATOR of ./schema.ts, which imports this module (a cycle would leave it uninitialised).
const m = (what: string, fix: string): string => `${what}\u0000${fix}`;

/** SQS keeps a message at most 14 days (MessageRetentionPeriod 60 s to 1,209,600 s). */
export const MAX_RETENTION_DAYS = 14;

/**
 * Keep the events a migrated function failed on (after Lambda's own retries), in an SQS queue that is the function's
 * on-failure destination, so `taegis-migrate replay` can send them again. Top level for every stack; a stack's own
 * `failedEvents` overrides field by field.
 */
export const FailedEventsSchema = z.strictObject({
  /**
   * Give the function(s) an on-failure destination queue.
   * @default false
   */
  keep: z.boolean(m('is not a boolean', 'write true or false, without quotes')).optional(),
  /**
   * Days a failed event stays in the queue (SQS allows 1 to 14).
   * @default 14
   */
  retentionDays: z
    .number()
    .int(m('is not a whole number', 'use days, e.g. 14'))
    .min(1, m('is below 1', 'use 1 to 14 days'))
    .max(MAX_RETENTION_DAYS, m('is above 14', 'SQS keeps a message at most 14 days: use 1 to 14'))
    .optional(),
  /**
   * Retries of a failed asynchronous invocation before the event goes to the queue (Lambda allows 0 to 2).
   * @default - Lambda's default (2)
   */
  maxRetryAttempts: z
    .number()
    .int(m('is not a whole number', 'use 0, 1 or 2'))
    .min(0, m('is below 0', 'use 0, 1 or 2'))
    .max(2, m('is above 2', 'Lambda retries an asynchronous event at most twice: use 0, 1 or 2'))
    .optional(),
  /**
   * Seconds Lambda keeps trying an event before it goes to the queue (Lambda allows 60 to 21600).
   * @default - Lambda's default (21600, six hours)
   */
  maxEventAgeSeconds: z
    .number()
    .int(m('is not a whole number', 'use seconds, e.g. 3600'))
    .min(60, m('is below 60', 'use 60 to 21600 seconds'))
    .max(21_600, m('is above 21600 (six hours)', 'use 60 to 21600 seconds'))
    .optional(),
});
export type FailedEventsConfig = z.infer<typeof FailedEventsSchema>;

/** A stack's failed-event settings once the top level and its own entry are merged. */
export interface ResolvedFailedEvents {
  readonly retentionDays: number;
  /** @default - Lambda's default */
  readonly maxRetryAttempts?: number;
  /** @default - Lambda's default */
  readonly maxEventAgeSeconds?: number;
}

/**
 * The settings in force for one stack: its own `failedEvents` field by field over the top level; undefined when
 * `keep` is not true (the option is off for the stack).
 */
export function failedEventsFor(
  config: { readonly failedEvents?: FailedEventsConfig },
  stack: { readonly failedEvents?: FailedEventsConfig },
): ResolvedFailedEvents | undefined {
  const merged: FailedEventsConfig = { ...config.failedEvents, ...stack.failedEvents };
  if (merged.keep !== true) return undefined;
  return {
    retentionDays: merged.retentionDays ?? MAX_RETENTION_DAYS,
    ...(merged.maxRetryAttempts !== undefined ? { maxRetryAttempts: merged.maxRetryAttempts } : {}),
    ...(merged.maxEventAgeSeconds !== undefined ? { maxEventAgeSeconds: merged.maxEventAgeSeconds } : {}),
  };
}
