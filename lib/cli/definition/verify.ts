import { BACKUP, BACKUP_DIR, RESTORE_DESCRIPTION, RESTORE_EXIT } from './restore.js';
import { ACCOUNT, AWS_FLAGS, CONFIG, fleetFlags, HELP, JSON_OUT, REGION, ROLE_NAME } from './shared.js';
import { defineCommand } from './types.js';

const BARE = ['verify'] as const;

export const verify = defineCommand({
  name: 'verify',
  summary: 'move the S3 trigger to the updated function and wait for its logs ("verify restore" undoes it)',
  usage: ['taegis-migrate verify [flags]', 'taegis-migrate verify restore --backup FILE [flags]'],
  description:
    'Checks every configured Taegis Lambda stack (status, runtime, health), moves the S3 trigger of its log bucket to the updated function (backing up the bucket\'s notification configuration first) and waits for "Uploading data to s3" in its logs. --taegis also asks the Taegis API (config "taegis" section) whether Taegis saw each stack\'s data since the migration; with a "monitoring" section the alarms are checked too, with "failedEvents" the events waiting in each function\'s failed-event queue (fix the cause, then "taegis-migrate replay").',
  runsBare: true,
  subcommands: {
    restore: {
      summary: "put a bucket's notification configuration back from a backup (the same as taegis-migrate restore)",
      usage: ['taegis-migrate verify restore --backup FILE [flags]'],
      description: RESTORE_DESCRIPTION,
      exit: RESTORE_EXIT,
    },
  },
  flags: {
    config: CONFIG,
    region: { ...REGION, in: BARE },
    account: { ...ACCOUNT, in: BARE },
    stack: { type: 'list', value: 'NAME', in: BARE, description: 'only this stack (repeatable, or a comma list)' },
    'dry-run': { type: 'boolean', in: BARE, description: 'show what would change; write nothing' },
    check: {
      type: 'boolean',
      in: BARE,
      description:
        'read-only drift check: writes nothing at all (no notification, no permission, no backup) and fails (exit 1) on anything it would write or any failed check, naming each drift and the command that fixes it; --since defaults to 24h (the log window)',
    },
    'expect-runtime': {
      type: 'string',
      value: 'RUNTIME',
      in: BARE,
      defaultText: "the config's lambdaRuntime",
      pattern: { regex: /^[a-z][a-z0-9.]*$/, what: 'a Lambda runtime id', fix: 'e.g. provided.al2 or provided.al2023' },
      description: 'the runtime the function must have',
    },
    'log-timeout': {
      type: 'int',
      value: 'SECONDS',
      min: 0,
      max: 86_400,
      example: 300,
      in: BARE,
      defaultText: '300; 0 with --dry-run',
      description: 'how long to wait for the log line',
    },
    since: {
      type: 'string',
      value: 'ISO-TIME|DURATION',
      in: BARE,
      description: 'look for log lines from then on (e.g. 30m, 2h, 2026-11-23T10:00:00Z)',
    },
    json: { ...JSON_OUT, in: BARE },
    junit: { type: 'string', value: 'FILE', in: BARE, description: 'JUnit XML report for CI' },
    'backup-dir': BACKUP_DIR,
    taegis: {
      type: 'boolean',
      in: BARE,
      description: "also check that Taegis itself saw each stack's data since the migration",
    },
    ...fleetFlags('stacks checked at once', "16, or the wave's maxConcurrency", BARE),
    backup: { ...BACKUP, in: ['restore'] },
    'role-name': {
      ...ROLE_NAME,
      description: `${ROLE_NAME.description} (restore: in the backup's account)`,
    },
    ...AWS_FLAGS,
    help: HELP,
  },
  exit: '0 every check passed (or no more targets failed than tolerated), 1 more targets failed a check than tolerated, 2 bad input (nothing was written).',
});
