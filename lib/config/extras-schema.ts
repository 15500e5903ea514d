import { z } from 'zod';
import { SecretSourceSchema } from '../util/secret-source.js';

// Must equal FIX_SEPARATOR of ./schema.ts, which imports this module (a cycle would leave it uninitialised).
const m = (what: string, fix: string): string => `${what}\u0000${fix}`;

const PARTITION = 'aws(?:-cn|-us-gov|-iso|-iso-[a-z])?';
const SNS_ARN = new RegExp(`^arn:${PARTITION}:sns:[a-z0-9-]+:\\d{12}:[A-Za-z0-9_-]{1,256}$`);
// Taegis tenant ids are numbers today; ids of other shapes are accepted as long as they are a plain token.
const TENANT_ID = /^[A-Za-z0-9_-]{1,64}$/;
const SENSOR_OR_SOURCE = /^[^\s].{0,254}$/;

/**
 * The Taegis API client `verify --taegis` and `logpush health --taegis` use (XDR > Tenant settings > API
 * credentials). The id and secret come from the environment or files, never from this file.
 */
export const TaegisApiSchema = z.strictObject({
  /** The tenant to ask about (sent as `X-Tenant-Context`). */
  tenantId: z
    .string()
    .regex(TENANT_ID, m('is not a Taegis tenant id', 'copy the tenant id from XDR (Tenant settings), e.g. "12345"')),
  /** Where the API client id comes from. */
  clientId: SecretSourceSchema,
  /** Where the API client secret comes from. */
  clientSecret: SecretSourceSchema,
});
export type TaegisApiConfig = z.infer<typeof TaegisApiSchema>;

/** Optional per-stack (or per-dataset) names of the Taegis data source, for when the API cannot find it. */
export const taegisSourceFields = {
  /** Taegis sensor type of the data source (as XDR > Data sources shows it). @default - any sensor type */
  taegisSensorType: z
    .string()
    .regex(SENSOR_OR_SOURCE, m('is not a sensor type', 'copy it from XDR > Data sources, or remove the field'))
    .optional(),
  /** Taegis source id of the data source. @default - found through the API by the log bucket's name */
  taegisSourceId: z
    .string()
    .regex(SENSOR_OR_SOURCE, m('is not a source id', 'copy it from XDR > Data sources, or remove the field'))
    .optional(),
} as const;

/** The monitor left behind (`TaegisMonitoring-<region>` stacks). Opt-in: without this section nothing is made. */
export const MonitoringSchema = z.strictObject({
  /**
   * Minutes without an "Uploading data to s3" line before the silence alarm fires (a multiple of 5, up to 1440:
   * one period of at most a day, as CloudWatch allows for a single-datapoint alarm).
   * @default 360
   */
  silenceMinutes: z
    .number()
    .int(m('is not a whole number', 'use minutes, e.g. 360'))
    .min(5, m('is below 5', 'use at least 5 minutes'))
    .max(1440, m('is above 1440 (a day)', 'use at most 1440 minutes'))
    .refine((n) => n % 5 === 0, { message: m('is not a multiple of 5', 'use e.g. 60, 360 or 1440') })
    .default(360),
  /**
   * An existing SNS topic for the alarms (it must be in every monitored region's account and region, or be
   * reachable by CloudWatch there).
   * @default - a KMS-encrypted, TLS-only topic per monitoring stack
   */
  alarmTopicArn: z
    .string()
    .regex(SNS_ARN, m('is not an SNS topic ARN', 'use arn:aws:sns:<region>:<account>:<topic>, or remove the field'))
    .optional(),
  /** E-mail addresses subscribed to the alarm topic (each confirms by mail). @default none */
  emails: z.array(z.email(m('is not an e-mail address', 'use e.g. secops@example.com'))).default([]),
});
export type MonitoringConfig = z.infer<typeof MonitoringSchema>;
