import { AWS_FLAGS, CONFIG, HELP, ROLE_NAME } from './shared.js';
import { defineCommand, type StringFlag } from './types.js';

export const BACKUP = {
  type: 'string',
  value: 'FILE',
  description: 'the backup file to put back (backups/<region>_<bucket>_<time>.json), or an SNS route record to undo',
} as const satisfies StringFlag;

export const BACKUP_DIR = {
  type: 'string',
  value: 'DIR',
  default: 'backups',
  description:
    "where a bucket's notification configuration is backed up before a write (restore: the one being replaced)",
} as const satisfies StringFlag;

export const RESTORE_DESCRIPTION =
  "Puts a bucket's S3 notification configuration back from a backup that verify wrote before changing it (or undoes an SNS route from its record), in the backup's account: through --role-name, else the config's \"access\" role when --config is given.";
export const RESTORE_EXIT = '0 restored, 1 the restore failed, 2 bad input (nothing was written).';

/** `restore`: the same as `verify restore`, as a command of its own. */
export const restore = defineCommand({
  name: 'restore',
  summary: "put a bucket's notification configuration back from a verify backup",
  usage: ['taegis-migrate restore --backup FILE [flags]'],
  description: `${RESTORE_DESCRIPTION} The same as "taegis-migrate verify restore".`,
  flags: {
    backup: BACKUP,
    'backup-dir': BACKUP_DIR,
    config: { ...CONFIG, defaultText: 'none: only to read the top-level "access"' },
    'role-name': { ...ROLE_NAME, description: "the role to assume in the backup's account" },
    ...AWS_FLAGS,
    help: HELP,
  },
  exit: RESTORE_EXIT,
});
