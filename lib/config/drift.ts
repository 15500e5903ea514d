import { z } from 'zod';

/**
 * The config's `pipeline.drift` section: when the scheduled drift watch runs `verify --check` and how it
 * raises the alarm. Both CI routes read it (lib/ci/drift-workflow.ts, lib/pipeline/drift-stack.ts). Messages carry
 * their fix after `\u0000`, as in pipeline.ts.
 */
const m = (what: string, fix: string): string => `${what}\u0000${fix}`;

const FIELD = /^[\d*,/-]+$/;
const DAY = '(?:SUN|MON|TUE|WED|THU|FRI|SAT)';
const WEEKDAYS = new RegExp(`^${DAY}(?:[-,]${DAY})*$`);
const CRON_FORM =
  '"MIN HOUR DAY-OF-MONTH MONTH DAY-OF-WEEK" in UTC, e.g. "0 6 * * *" (daily 06:00) or "0 6 * * MON-FRI"';

/** Why a 5-field cron cannot drive both GitHub and EventBridge, or undefined when it can. */
export function cronProblem(cron: string): string | undefined {
  const f = cron.trim().split(/\s+/);
  if (f.length !== 5) return `has ${f.length} fields, not 5`;
  const [min, hour, dom, month, dow] = f as [string, string, string, string, string];
  for (const [name, v] of [
    ['minute', min],
    ['hour', hour],
    ['day of month', dom],
    ['month', month],
  ] as const) {
    if (!FIELD.test(v)) return `${name} "${v}" is not digits, "*", ",", "-" or "/"`;
  }
  // GitHub counts weekdays 0-6 from Sunday, EventBridge 1-7: names mean the same day to both.
  if (dow !== '*' && !WEEKDAYS.test(dow)) return `day of week "${dow}" is not "*" or day names (SUN-SAT)`;
  // EventBridge needs "?" in one of the two day fields.
  if (dom !== '*' && dow !== '*') return 'sets both a day of month and a day of week';
  return undefined;
}

export const DriftConfigSchema = z.strictObject({
  /**
   * When the drift watch runs: 5-field cron in UTC (GitHub `schedule`, and EventBridge Scheduler for CodePipeline).
   * @default "0 6 * * *" (daily 06:00 UTC)
   */
  schedule: z
    .string()
    .superRefine((v, ctx) => {
      const p = cronProblem(v);
      if (p !== undefined) ctx.addIssue({ code: 'custom', message: m(p, `use ${CRON_FORM}`) });
    })
    .optional(),
  /**
   * The log window: `verify --check --since` (no "Uploading data to s3" within it is drift).
   * @default "24h"
   */
  since: z
    .string()
    .regex(/^\d+[smhd]$/, m('is not a duration', 'use a number and s, m, h or d, e.g. "24h"'))
    .optional(),
  /**
   * GitHub: open (or update) one issue per drifted target, labelled `taegis-drift`.
   * @default false
   */
  openIssues: z.boolean().default(false),
  /**
   * CodePipeline: an existing SNS topic the drift build notifies when it fails.
   * @default - the drift stack creates one (subscribe to it)
   */
  topicArn: z
    .string()
    .regex(
      /^arn:aws(?:-cn|-us-gov|-iso|-iso-[a-z])?:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}$/,
      m('is not an SNS topic ARN', 'use arn:aws:sns:<region>:<account>:<topic>'),
    )
    .optional(),
});
export type DriftConfig = z.infer<typeof DriftConfigSchema>;

export const DEFAULT_DRIFT_SCHEDULE = '0 6 * * *';
export const DEFAULT_DRIFT_SINCE = '24h';

/** The drift watch's settings with their defaults. */
export function driftSettings(drift: DriftConfig | undefined): {
  readonly schedule: string;
  readonly since: string;
  readonly openIssues: boolean;
  readonly topicArn?: string;
} {
  return {
    schedule: (drift?.schedule ?? DEFAULT_DRIFT_SCHEDULE).trim().split(/\s+/).join(' '),
    since: drift?.since ?? DEFAULT_DRIFT_SINCE,
    openIssues: drift?.openIssues ?? false,
    ...(drift?.topicArn !== undefined ? { topicArn: drift.topicArn } : {}),
  };
}

/** The same schedule as an EventBridge cron expression (six fields, `?` in the day field left open). */
export function eventBridgeCron(schedule: string): string {
  const [min, hour, dom, month, dow] = schedule.trim().split(/\s+/) as [string, string, string, string, string];
  return dow === '*' ? `cron(${min} ${hour} ${dom} ${month} ? *)` : `cron(${min} ${hour} ? ${month} ${dow} *)`;
}
