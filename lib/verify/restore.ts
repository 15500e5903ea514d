import { routeAccounts, type AccountClients } from '../aws/accounts.js';
import type { AwsClientFactory } from '../aws/clients.js';
import type { AccessConfig } from '../config/schema.js';
import { ExitCode, TaegisError } from '../errors.js';
import { readBackup } from './backup.js';
import { readNotifications, replaceNotifications } from './bucket-write.js';
import { requireCredentials } from '../aws/credentials.js';
import { sameNotifications } from './notifications.js';

export interface RestoreOptions {
  readonly file: string;
  /** Where the configuration being replaced is saved first, so a restore can itself be undone. */
  readonly backupDir: string;
  readonly now: () => Date;
  readonly stdout: (text: string) => void;
  /** Resolve credentials before any request (off when tests pass their own clients). */
  readonly checkCredentials: boolean;
  /**
   * Clients per account: the restore goes into the account the backup came from, with that account's credentials.
   * @default - `clients` for every account (tests)
   */
  readonly accounts?: AccountClients;
  /**
   * How to enter the backup's account when it is not the caller's (`--role-name`, or the config's `access`).
   * @default - none: only the caller's own account
   */
  readonly access?: AccessConfig;
}

/** `verify restore --backup FILE`: puts a saved notification configuration back, after saving the current one. */
export async function restoreBackup(clients: AwsClientFactory, opts: RestoreOptions): Promise<ExitCode> {
  const backup = readBackup(opts.file);
  if (opts.checkCredentials) {
    await requireCredentials(clients, backup.region);
  }
  let s3 = clients.s3(backup.region);
  if (opts.accounts) {
    const routing = await routeAccounts(opts.accounts, [
      { account: backup.account, region: backup.region, ...(opts.access ? { access: opts.access } : {}) },
    ]);
    const why = routing.unreachable.get(backup.account);
    if (why !== undefined) {
      throw new TaegisError('CHECK_FAILED', `cannot enter account ${backup.account} to restore ${opts.file}: ${why}`);
    }
    s3 = routing.clientsFor(backup.account).s3(backup.region);
  }
  const target = { region: backup.region, bucket: backup.bucket, account: backup.account };
  const current = await readNotifications(s3, target);
  if (sameNotifications(current, backup.configuration)) {
    opts.stdout(
      `bucket ${backup.bucket} (${backup.region}) already has the configuration of ${opts.file}; nothing written`,
    );
    return ExitCode.Ok;
  }
  const written = await replaceNotifications(s3, target, {
    current,
    desired: backup.configuration,
    backupDir: opts.backupDir,
    savedAt: opts.now(),
  });
  const saved = written.backupFile;
  if (written.outcome !== 'written') {
    throw new TaegisError('CHECK_FAILED', `restored ${backup.bucket}, but reading it back differs from ${opts.file}`, {
      fix: `compare with the saved previous configuration ${saved}`,
    });
  }
  opts.stdout(
    `restored bucket ${backup.bucket} (${backup.region}) from ${opts.file}; the configuration it replaced is saved in ${saved}`,
  );
  return ExitCode.Ok;
}
