import {
  GetBucketNotificationConfigurationCommand,
  PutBucketNotificationConfigurationCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { writeBackup } from './backup.js';
import { notificationsFromResponse, sameNotifications, type BucketNotifications } from './notifications.js';

/** The bucket a write goes to, and the owner S3 must confirm (ExpectedBucketOwner) on every call. */
export interface BucketTarget {
  readonly region: string;
  readonly bucket: string;
  readonly account: string;
}

/** Reads a bucket's notification configuration, as the rest of verify compares it. */
export async function readNotifications(s3: S3Client, t: BucketTarget): Promise<BucketNotifications> {
  return notificationsFromResponse(
    await s3.send(new GetBucketNotificationConfigurationCommand({ Bucket: t.bucket, ExpectedBucketOwner: t.account })),
  );
}

export interface ReplaceNotificationsInput {
  /** The configuration read before deciding what to write; it is what the backup holds. */
  readonly current: BucketNotifications;
  readonly desired: BucketNotifications;
  readonly backupDir: string;
  /** When the backup is stamped. */
  readonly savedAt: Date;
  /**
   * Read the bucket again after the backup and write only if it still equals `current` (another writer in between
   * would otherwise be overwritten unseen). @default false
   */
  readonly confirmUnchanged?: boolean;
  /** Told the backup file as soon as it is on disk, so a failed put can still say where it is. */
  readonly onBackup?: (file: string) => void;
}

export type ReplaceNotificationsResult =
  /** Put, and the read-back equals `desired`. */
  | { readonly outcome: 'written'; readonly backupFile: string; readonly after: BucketNotifications }
  /** Nothing put: the bucket changed between the first read and the write (`confirmUnchanged`). */
  | { readonly outcome: 'changed-meanwhile'; readonly backupFile: string; readonly after: BucketNotifications }
  /** Put, but the read-back differs from `desired`. */
  | { readonly outcome: 'read-back-differs'; readonly backupFile: string; readonly after: BucketNotifications };

/**
 * The one write path for a bucket's notification configuration, shared by the trigger move and `verify restore`:
 * back up `current`, (optionally) confirm it is still current, put `desired` whole, read it back.
 * PutBucketNotificationConfiguration replaces everything, so nothing is written without a backup on disk first.
 */
export async function replaceNotifications(
  s3: S3Client,
  target: BucketTarget,
  input: ReplaceNotificationsInput,
): Promise<ReplaceNotificationsResult> {
  const backupFile = writeBackup(input.backupDir, {
    region: target.region,
    bucket: target.bucket,
    account: target.account,
    savedAt: input.savedAt.toISOString(),
    configuration: input.current,
  });
  input.onBackup?.(backupFile);
  if (input.confirmUnchanged) {
    const reread = await readNotifications(s3, target);
    if (!sameNotifications(input.current, reread)) return { outcome: 'changed-meanwhile', backupFile, after: reread };
  }
  await s3.send(
    new PutBucketNotificationConfigurationCommand({
      Bucket: target.bucket,
      ExpectedBucketOwner: target.account,
      NotificationConfiguration: input.desired,
    }),
  );
  const after = await readNotifications(s3, target);
  return sameNotifications(input.desired, after)
    ? { outcome: 'written', backupFile, after }
    : { outcome: 'read-back-differs', backupFile, after };
}
