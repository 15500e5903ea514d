import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { TaegisError } from '../util/errors.js';
import type { BucketNotifications } from './notifications.js';

export const BACKUP_KIND = 'taegis-migrate/bucket-notification-backup';

/** What a backup file holds: enough to put the configuration back with `verify restore --backup FILE`. */
export interface NotificationBackup {
  readonly kind: typeof BACKUP_KIND;
  readonly version: 1;
  readonly region: string;
  readonly bucket: string;
  /** The bucket owner's account (sent as ExpectedBucketOwner on restore). */
  readonly account: string;
  readonly savedAt: string;
  readonly configuration: BucketNotifications;
}

/** `<dir>/<region>_<bucket>_<time>.json`; never overwrites an existing file. Returns the path written. */
export function writeBackup(dir: string, backup: Omit<NotificationBackup, 'kind' | 'version'>): string {
  mkdirSync(dir, { recursive: true });
  const stamp = backup.savedAt.replace(/[:.]/g, '-');
  const base = path.join(dir, `${backup.region}_${backup.bucket}_${stamp}`);
  for (let n = 0; ; n++) {
    const file = `${base}${n === 0 ? '' : `_${n}`}.json`;
    try {
      writeFileSync(file, `${JSON.stringify({ kind: BACKUP_KIND, version: 1, ...backup }, null, 2)}\n`, { flag: 'wx' });
      return path.resolve(file);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
  }
}

/** Reads and checks a backup file; anything else is bad input (exit 2) and nothing is written. */
export function readBackup(file: string): NotificationBackup {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new TaegisError('INPUT_INVALID', `backup file ${file} cannot be read as JSON: ${(err as Error).message}`, {
      fix: 'pass a file written by "taegis-migrate verify" into its --backup-dir (default ./backups)',
    });
  }
  const b = raw as Partial<NotificationBackup> | null;
  const problems: string[] = [];
  if (!b || typeof b !== 'object') problems.push('is not a JSON object');
  else {
    if (b.kind !== BACKUP_KIND) problems.push(`"kind" is not "${BACKUP_KIND}"`);
    if (b.version !== 1) problems.push('"version" is not 1');
    if (typeof b.region !== 'string' || !/^[a-z]{2}(-[a-z]+)+-\d{1,2}$/.test(b.region))
      problems.push('"region" is missing or invalid');
    if (typeof b.bucket !== 'string' || b.bucket.length < 3) problems.push('"bucket" is missing');
    if (typeof b.account !== 'string' || !/^\d{12}$/.test(b.account))
      problems.push('"account" is not a 12-digit account id');
    if (!b.configuration || typeof b.configuration !== 'object') problems.push('"configuration" is missing');
  }
  if (problems.length > 0) {
    throw new TaegisError(
      'INPUT_INVALID',
      `backup file ${file} is not a taegis-migrate backup: ${problems.join('; ')}`,
      {
        fix: 'pass a file written by "taegis-migrate verify" into its --backup-dir (default ./backups), unedited',
      },
    );
  }
  return b as NotificationBackup;
}
