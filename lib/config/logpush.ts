import { z } from 'zod';
import { FIX_SEPARATOR } from './schema.js';
import { SecretSourceSchema } from '../util/secret-source.js';
import { taegisSourceFields } from './extras-schema.js';

/** The config's FIX_SEPARATOR: `zodProblems` splits these messages into "what is wrong" and the fix. */
export const LOGPUSH_FIX_SEPARATOR = FIX_SEPARATOR;
const m = (what: string, fix: string): string => `${what}${LOGPUSH_FIX_SEPARATOR}${fix}`;

/** Where a job lives: an account (Zero Trust and other account-level datasets) or a zone (CDN datasets). */
export type ScopeKind = 'account' | 'zone';

/**
 * Zone-level datasets Cloudflare documents today (its dataset reference and API schema). A dataset not listed here
 * is still accepted (Cloudflare adds datasets); Cloudflare's fields API is the judge for those.
 */
export const ZONE_DATASETS = [
  'dns_logs',
  'firewall_events',
  'http_requests',
  'nel_reports',
  'page_shield_events',
  'spectrum_events',
  'websocket_analytics',
  'zaraz_events',
] as const;

/**
 * Account-level datasets Cloudflare documents today. Some exist at both levels (`firewall_events` has an
 * account-scoped form with a `ZoneName` field; `websocket_analytics`): a dataset in both lists is accepted at both.
 */
export const ACCOUNT_DATASETS = [
  'access_requests',
  'account_abuse_protection_events',
  'audit_logs',
  'audit_logs_v2',
  'biso_user_actions',
  'casb_findings',
  'device_posture_results',
  'dex_application_tests',
  'dex_device_state_events',
  'dlp_forensic_copies',
  'dns_firewall_logs',
  'email_security_alerts',
  'email_security_post_delivery_events',
  'firewall_events',
  'gateway_dns',
  'gateway_http',
  'gateway_network',
  'ipsec_logs',
  'magic_bgp_logs',
  'magic_ids_detections',
  'mcp_portal_logs',
  'mnm_flow_logs',
  'network_analytics_logs',
  'sinkhole_http_logs',
  'ssh_logs',
  'turnstile_events',
  'warp_config_changes',
  'warp_toggle_changes',
  'websocket_analytics',
  'workers_trace_events',
  'zero_trust_network_sessions',
] as const;

/**
 * Zero Trust datasets (Access, Gateway, DEX): Cloudflare requires "Zero Trust: PII Read" besides "Logs: Edit" to
 * view, create, update or delete their jobs, and answers error 1004 without it.
 */
export const ZERO_TRUST_DATASETS: ReadonlySet<string> = new Set([
  'access_requests',
  'dex_application_tests',
  'dex_device_state_events',
  'gateway_dns',
  'gateway_http',
  'gateway_network',
]);

/** Timestamp formats of `output_options.timestamp_format`. */
export const TIMESTAMP_FORMATS = ['rfc3339', 'unix', 'unixnano'] as const;
export type TimestampFormat = (typeof TIMESTAMP_FORMATS)[number];

const ZONE_SET: ReadonlySet<string> = new Set(ZONE_DATASETS);
const ACCOUNT_SET: ReadonlySet<string> = new Set(ACCOUNT_DATASETS);

/** Cloudflare account and zone ids: 32 lowercase hex characters. */
const CF_ID = /^[0-9a-f]{32}$/;
const DATASET = /^[a-z][a-z0-9_]{1,63}$/;

// The secret reference is shared with the Taegis API section; it lives in lib/util.
export { SecretSourceSchema, type SecretSource } from '../util/secret-source.js';

export const LogpushDatasetSchema = z.strictObject({
  /** Cloudflare dataset id, e.g. `http_requests` (zone) or `gateway_dns` (account). */
  dataset: z
    .string()
    .regex(
      DATASET,
      m(
        'is not a Logpush dataset id',
        'use the id from Cloudflare\'s dataset list, e.g. "http_requests" or "gateway_dns"',
      ),
    ),
  /** The Taegis HTTP ingest integration's URL (https, no credentials in it). */
  ingestUrl: z
    .url({
      protocol: /^https$/,
      error: m('is not an https URL', 'paste the ingest URL the Taegis HTTP ingest integration shows'),
    })
    .refine((u) => !/[?&]header_/i.test(u) && !/[?&]tags=/i.test(u), {
      message: m(
        'must not carry "header_*" or "tags" parameters',
        'give the bare ingest URL; the integration key comes from "integrationKey" and the tags are added by the tool',
      ),
    })
    .refine((u) => !/^https:\/\/[^/]*@/i.test(u) && !u.includes('#'), {
      message: m('must not contain credentials or a fragment', 'give the bare ingest URL'),
    }),
  /** Where the Taegis integration key for this ingest URL comes from. */
  integrationKey: SecretSourceSchema,
  /**
   * Whether the job pushes.
   * @default true
   */
  enabled: z.boolean().default(true),
  /** `taegisSensorType` / `taegisSourceId`: the Taegis data source, for `health --taegis`. */
  ...taegisSourceFields,
});
export type LogpushDatasetConfig = z.infer<typeof LogpushDatasetSchema>;

const scopeSchema = (kind: ScopeKind) =>
  z.strictObject({
    /** The Cloudflare account or zone id (32 hex characters, from the dashboard's Overview page). */
    id: z
      .string()
      .regex(
        CF_ID,
        m(
          `is not a Cloudflare ${kind} id`,
          `copy the ${kind === 'zone' ? 'Zone ID' : 'Account ID'} (32 hex characters) from the dashboard`,
        ),
      ),
    /** A label for output only, e.g. the domain name. */
    name: z.string().min(1).optional(),
    /** The datasets to push from this account or zone. */
    datasets: z.array(LogpushDatasetSchema).min(1, m('lists no dataset', 'add at least one entry to "datasets"')),
  });

export const LogpushAccountSchema = scopeSchema('account');
export const LogpushZoneSchema = scopeSchema('zone');

export const LogpushAuthSchema = z.strictObject({
  /**
   * The Cloudflare API token (sent as `Authorization: Bearer`). Preferred.
   * @default {"env": "CLOUDFLARE_API_TOKEN"}
   */
  apiToken: SecretSourceSchema.optional(),
  /**
   * The legacy Global API key (sent as `X-Auth-Key` with `X-Auth-Email`), used only when no token is found.
   * @default {"env": "CLOUDFLARE_API_KEY"}
   */
  apiKey: SecretSourceSchema.optional(),
  /**
   * The e-mail address of the legacy key's user.
   * @default {"env": "CLOUDFLARE_EMAIL"}
   */
  email: SecretSourceSchema.optional(),
});

/** The `logpush` section (or a standalone logpush config file). */
export const LogpushConfigSchema = z
  .strictObject({
    /** Where the Cloudflare credentials come from. */
    auth: LogpushAuthSchema.default({}),
    /** Accounts whose account-level datasets (Zero Trust, ...) are pushed. */
    accounts: z.array(LogpushAccountSchema).default([]),
    /** Zones whose zone-level datasets (CDN: http_requests, firewall_events, ...) are pushed. */
    zones: z.array(LogpushZoneSchema).default([]),
    /**
     * `max_upload_bytes` of every job: 0, or between 5 MB and 1 GB.
     * @default 5000000
     */
    maxUploadBytes: z
      .number()
      .int()
      .refine((n) => n === 0 || (n >= 5_000_000 && n <= 1_000_000_000), {
        message: m('is out of range', 'use 0 or a value between 5000000 and 1000000000'),
      })
      .default(5_000_000),
    /**
     * `max_upload_records` of every job: 0, or between 1000 and 1,000,000.
     * @default 1000
     */
    maxUploadRecords: z
      .number()
      .int()
      .refine((n) => n === 0 || (n >= 1000 && n <= 1_000_000), {
        message: m('is out of range', 'use 0 or a value between 1000 and 1000000'),
      })
      .default(1000),
    /**
     * `output_options.timestamp_format` of every job (`rfc3339`, `unix` or `unixnano`).
     * @default "rfc3339" (what the dashboard sets)
     */
    timestampFormat: z
      .enum(TIMESTAMP_FORMATS, { error: m('is not a Logpush timestamp format', 'use "rfc3339", "unix" or "unixnano"') })
      .default('rfc3339'),
  })
  .superRefine((cfg, ctx) => {
    if (cfg.accounts.length === 0 && cfg.zones.length === 0) {
      ctx.addIssue({
        code: 'custom',
        path: [],
        message: m(
          'lists no account and no zone',
          'add an entry to "accounts" (Zero Trust datasets) or "zones" (CDN datasets)',
        ),
      });
    }
    for (const [key, kind, ownSet, wrongSet, otherKey] of [
      ['accounts', 'account', ACCOUNT_SET, ZONE_SET, 'zones'],
      ['zones', 'zone', ZONE_SET, ACCOUNT_SET, 'accounts'],
    ] as const) {
      const seenIds = new Map<string, number>();
      cfg[key].forEach((scope, i) => {
        const first = seenIds.get(scope.id);
        if (first !== undefined) {
          ctx.addIssue({
            code: 'custom',
            path: [key, i, 'id'],
            message: m(`is listed twice (also ${key}[${first}])`, 'merge the two entries into one'),
          });
        } else seenIds.set(scope.id, i);
        const seenDatasets = new Map<string, number>();
        scope.datasets.forEach((d, j) => {
          const firstDs = seenDatasets.get(d.dataset);
          if (firstDs !== undefined) {
            ctx.addIssue({
              code: 'custom',
              path: [key, i, 'datasets', j, 'dataset'],
              message: m(`"${d.dataset}" is listed twice (also datasets[${firstDs}])`, 'keep one entry per dataset'),
            });
          } else seenDatasets.set(d.dataset, j);
          if (wrongSet.has(d.dataset) && !ownSet.has(d.dataset)) {
            ctx.addIssue({
              code: 'custom',
              path: [key, i, 'datasets', j, 'dataset'],
              message: m(
                `"${d.dataset}" is ${kind === 'account' ? 'a zone' : 'an account'}-level dataset, not ${kind === 'account' ? 'an account' : 'a zone'}-level one`,
                `move it under "${otherKey}"`,
              ),
            });
          }
        });
      });
    }
  });
export type LogpushConfigInput = z.infer<typeof LogpushConfigSchema>;

/** One configured account or zone, flattened for the commands. */
export interface Scope {
  readonly kind: ScopeKind;
  readonly id: string;
  readonly name?: string;
  readonly datasets: readonly LogpushDatasetConfig[];
}

export function scopesOf(config: LogpushConfigInput): Scope[] {
  return [
    ...config.accounts.map((a) => ({ kind: 'account' as const, ...a })),
    ...config.zones.map((z) => ({ kind: 'zone' as const, ...z })),
  ];
}
