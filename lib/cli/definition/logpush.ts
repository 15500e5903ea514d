import { CONFIG, HELP, JSON_OUT } from './shared.js';
import { defineCommand } from './types.js';

const HEALTH = ['health'] as const;

export const logpush = defineCommand({
  name: 'logpush',
  summary: 'Cloudflare Logpush jobs feeding Taegis: setup, status, health',
  usage: ['taegis-migrate logpush <setup|status|health> [flags]'],
  description:
    'Manages the Cloudflare Logpush jobs that feed Taegis. Credentials come from the environment or files, never from flags: CLOUDFLARE_API_TOKEN (preferred), or CLOUDFLARE_EMAIL + CLOUDFLARE_API_KEY; integration keys as the config names them. CLOUDFLARE_API_BASE_URL overrides https://api.cloudflare.com/client/v4.',
  subcommands: {
    setup: {
      summary: 'create or update one Logpush job per configured dataset (idempotent)',
      usage: ['taegis-migrate logpush setup [flags]'],
      description:
        'Creates or updates one Logpush job per configured dataset (idempotent); jobs with our name that it does not manage (a dataset not configured, another ingest URL, a duplicate) are reported and left alone.',
      exit: '0 set up (or nothing to change), 2 bad input (config, credentials; nothing was called).',
    },
    status: {
      summary: 'the Logpush jobs of the configured accounts and zones, with their last push and last error',
      usage: ['taegis-migrate logpush status [flags]'],
      description: 'Lists the Logpush jobs of the configured accounts and zones with their last push and last error.',
      exit: '0 every configured dataset has a healthy job, 1 a configured dataset has no job, or its job is disabled or failing, 2 bad input.',
    },
    health: {
      summary: 'records, bytes, compressed bytes and uploads per day',
      usage: ['taegis-migrate logpush health [--since YYYY-MM-DD] [--until YYYY-MM-DD] [flags]'],
      description:
        'Records, bytes, compressed bytes and uploads per day of every configured job; --taegis also asks the Taegis API whether Taegis saw each dataset.',
      exit: '0 every job pushed (and Taegis saw it, with --taegis), 1 a job pushed nothing (or Taegis saw nothing), 2 bad input.',
    },
  },
  flags: {
    config: {
      ...CONFIG,
      description:
        'config file with a "logpush" section, or a standalone logpush config; -c config=PATH (the CDK CLI form) also works',
    },
    'dry-run': { type: 'boolean', in: ['setup'], description: 'show what would be created or updated; change nothing' },
    since: {
      type: 'string',
      value: 'YYYY-MM-DD',
      in: HEALTH,
      defaultText: '6 days before --until',
      description: 'first day (UTC, inclusive)',
    },
    until: {
      type: 'string',
      value: 'YYYY-MM-DD',
      in: HEALTH,
      defaultText: 'today',
      description: 'last day (UTC, inclusive)',
    },
    dataset: { type: 'list', value: 'NAME', split: false, in: HEALTH, description: 'only this dataset (repeatable)' },
    taegis: {
      type: 'boolean',
      in: HEALTH,
      description:
        'also ask the Taegis API (main config\'s "taegis" section) whether Taegis saw each dataset\'s data since --since and the source is healthy',
    },
    'log-timeout': {
      type: 'int',
      value: 'SECONDS',
      min: 0,
      max: 86_400,
      example: 300,
      in: HEALTH,
      defaultText: '0: ask once',
      description: 'with --taegis: keep asking this long',
    },
    json: { ...JSON_OUT, in: ['status', 'health'] },
    help: HELP,
  },
  exit: '0 pass, 1 a check failed (status, health), 2 bad input (nothing was called).',
});
